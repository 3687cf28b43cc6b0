// Tests that hand scripts to the real `nft -c` need root and nft, but none of
// the kernel harness's bridges and vxlans: only a throwaway network namespace,
// so nothing they do can reach the host's ruleset.
//
// describeNft(name, body): CI (CI set, not "false"/"0") must run these tests,
// so a missing prerequisite fails every test of the suite, listing what is
// missing; elsewhere (a laptop without root) the suite is skipped with a
// printed reason.
import { randomBytes } from 'node:crypto';
import { execa, execaSync } from 'execa';
import { execNftRunner, type NftRunner } from '../../src/dataplane/nft-runner.ts';
import { afterAll, beforeAll } from 'vitest';
import { describeRequiring } from './describe-requiring.ts';

let cached: Promise<string[]> | undefined;

/** What is missing to run `nft -c` in a throwaway netns; empty when all is there. Cached per process. */
export function nftCheckPrerequisites(): Promise<string[]> {
  return (cached ??= check());
}

async function works(file: string, args: readonly string[]): Promise<boolean> {
  try {
    return (await execa(file, args, { reject: false, timeout: 10_000, stdin: 'ignore' })).exitCode === 0;
  } catch {
    return false;
  }
}

async function check(): Promise<string[]> {
  const missing: string[] = [];
  const uid = process.getuid?.();
  if (uid !== 0) missing.push(`not root (uid ${uid ?? 'unknown'}): network namespaces and nft -c need root`);
  if (!(await works('nft', ['--version']))) missing.push('no working `nft` on PATH (nftables)');
  if (!(await works('ip', ['-V']))) missing.push('no working `ip` on PATH (iproute2)');
  if (missing.length > 0) return missing;
  try {
    const ns = await throwawayNetns();
    try {
      await ns.nft.check('table inet npgold_check {\n\tchain f {\n\t\ttype filter hook forward priority 0; policy accept;\n\t}\n}\n');
    } finally {
      await ns.destroy();
    }
  } catch (err) {
    missing.push(`cannot run nft -c in a throwaway network namespace: ${(err as Error).message}`);
  }
  return missing;
}

export function describeNft(name: string, body: () => void): Promise<void> {
  return describeRequiring('nft', nftCheckPrerequisites, name, body);
}

export interface ThrowawayNetns {
  readonly name: string;
  /** nft, run inside the namespace. */
  readonly nft: NftRunner;
  /** Deletes the namespace (idempotent). */
  destroy(): Promise<void>;
}

const live = new Set<string>();
let exitHookInstalled = false;

/** Deletes namespaces a test forgot (or could not) delete, when the process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of live) {
      try {
        execaSync('ip', ['netns', 'del', name], { reject: false, stdin: 'ignore' });
      } catch {
        // best effort
      }
    }
  });
}

/** A new, empty network namespace "npgold<pid>x<hex>" with an nft runner inside it. */
export async function throwawayNetns(): Promise<ThrowawayNetns> {
  const name = `npgold${process.pid}x${randomBytes(3).toString('hex')}`;
  installExitHook();
  const add = await execa('ip', ['netns', 'add', name], { reject: false, stdin: 'ignore' });
  if (add.exitCode !== 0) throw new Error(`ip netns add ${name} failed: ${String(add.stderr).trim()}`);
  live.add(name);
  return {
    name,
    nft: execNftRunner({ prefix: ['ip', 'netns', 'exec', name] }),
    destroy: async () => {
      if (!live.has(name)) return;
      live.delete(name);
      await execa('ip', ['netns', 'del', name], { reject: false, stdin: 'ignore' });
    },
  };
}

/**
 * One throwaway network namespace for the suite it is called in: made before
 * its tests, destroyed after. Returns the namespace (call it inside a test).
 */
export function useThrowawayNetns(): () => ThrowawayNetns {
  let ns: ThrowawayNetns | undefined;
  beforeAll(async () => {
    ns = await throwawayNetns();
  });
  afterAll(async () => {
    await ns?.destroy();
  });
  return () => {
    if (!ns) throw new Error('the throwaway network namespace was not made (beforeAll failed)');
    return ns;
  };
}
