// What a machine needs for the kernel lab (kernel tests, `nftpol test --dataplane kernel`), checked by trying it (not by guessing from versions).

import { existsSync } from 'node:fs';
import { RunResources } from './cleanup.ts';
import { inNetnsArgv, ipBatch, readSysctls, run } from './commands.ts';
import { createNetns, newRunPrefix } from './netns.ts';
import { RUNS_FROM_TYPESCRIPT } from './servers.ts';

const BR_NF = '/proc/sys/net/bridge/bridge-nf-call-iptables';

let cached: Promise<string[]> | undefined;

/** What is missing for kernel tests; empty when everything is there. Cached per process. */
export function kernelPrerequisites(): Promise<string[]> {
  return (cached ??= check());
}

async function works(argv: readonly string[]): Promise<boolean> {
  try {
    return (await run(argv, { reject: false, timeoutMs: 10_000 })).exitCode === 0;
  } catch {
    return false;
  }
}

async function check(): Promise<string[]> {
  const missing: string[] = [];
  const uid = process.getuid?.();
  if (uid !== 0) missing.push(`not root (uid ${uid ?? 'unknown'}): network namespaces, links and nft need root`);
  const features = process.features as { typescript?: unknown };
  if (RUNS_FROM_TYPESCRIPT && !features.typescript) missing.push(`node ${process.version} cannot run .ts files (need Node >= 23.6, type stripping on) for the endpoint processes`);
  const tools: [string, string[]][] = [
    ['nft', ['nft', '--version']],
    ['ip (iproute2)', ['ip', '-V']],
    ['bridge (iproute2)', ['bridge', '-V']],
    ['sysctl (procps)', ['sysctl', '--version']],
  ];
  const toolOk = await Promise.all(tools.map(([, argv]) => works(argv)));
  tools.forEach(([name], i) => {
    if (!toolOk[i]) missing.push(`no working \`${name}\` on PATH`);
  });
  if (!existsSync(BR_NF)) {
    if (uid === 0) await works(['modprobe', 'br_netfilter']);
    if (!existsSync(BR_NF)) missing.push(`br_netfilter is not available (${BR_NF} missing; \`modprobe br_netfilter\` failed or is absent)`);
  }
  // The scratch netns runs ip, sysctl and nft: with one of them missing it would fail for
  // that reason alone, already reported above, and must not be read as a kernel shortcoming.
  const [nftOk, ipOk, , sysctlOk] = toolOk;
  if (uid === 0 && nftOk && ipOk && sysctlOk) {
    const problem = await tryNetns();
    if (problem !== undefined) missing.push(problem);
  }
  return missing;
}

/** Creates a scratch netns with a bridge, a veth pair, a vxlan and an inet forward chain. */
async function tryNetns(): Promise<string | undefined> {
  const prefix = newRunPrefix();
  const name = `${prefix}chk`;
  const resources = new RunResources(prefix);
  resources.addNetns([name]);
  try {
    await createNetns([name]);
    await ipBatch(name, [
      'link add br0 type bridge',
      'link add v0 type veth peer name v1',
      'link set v1 master br0',
      'link add vx0 type vxlan id 1 dstport 8472 nolearning',
    ]);
    const sysctl = await readSysctls(name, ['net.bridge.bridge-nf-call-iptables']);
    if (sysctl['net.bridge.bridge-nf-call-iptables'] === undefined) {
      return 'bridge-nf-call-iptables is not per network namespace on this kernel (needs Linux >= 5.3): the lab will not flip it for the whole host';
    }
    await run(inNetnsArgv(name, ['nft', '-f', '-']), {
      input: 'table inet np_check {\n  chain f {\n    type filter hook forward priority 0;\n    ct state established accept\n  }\n}\n',
    });
    return undefined;
  } catch (e) {
    return `cannot build a test network namespace: ${(e as Error).message}`;
  } finally {
    await resources.release().catch(() => undefined);
  }
}
