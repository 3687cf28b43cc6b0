// The one place nftpol runs the nft binary. A script is one `nft -f FILE`
// transaction: all of it applies, or none of it. It goes through a private
// file, not stdin: nft reads stdin until EOF, so if the agent died (SIGKILL,
// OOM) while writing a script bigger than the pipe, nft would read a cut-off
// script, and one cut at the end of a command commits half a change (a delta
// flushes rewritten chains first and refills them last: the pods would be
// open). A file is complete before nft starts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface NftRunner {
  /** Applies a script as one transaction; throws NftError when nft refuses it. */
  apply(script: string): Promise<void>;
  /** Checks a script without applying it (`nft -c -f -`). */
  check(script: string): Promise<void>;
  /** Runs a read-only nft command (e.g. ["-j", "list", "table", "inet", "nftpol"]) and returns stdout. */
  read(args: readonly string[]): Promise<string>;
}

export class NftError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

/** nft's answer when the table asked for does not exist (listing or deleting it). */
export function isNoSuchTable(err: unknown): boolean {
  return err instanceof NftError && /No such file or directory/.test(err.stderr);
}

export interface NftRunnerOptions {
  /** Path of the nft binary; tests inject a fake. */
  readonly binary?: string;
  /** Prefix command, e.g. ["ip", "netns", "exec", "node1"] to act inside a network namespace. */
  readonly prefix?: readonly string[];
  /** Where the script files are written (default: the system's temporary folder). */
  readonly scriptDir?: string;
}

/** Runs `use` with the script in a file only this user can read, removed afterwards. */
async function withScriptFile<T>(script: string, dir: string, use: (file: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(path.join(dir, 'nftpol-'));
  try {
    const file = path.join(folder, 'script.nft');
    await writeFile(file, script, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

export function execNftRunner(opts: NftRunnerOptions = {}): NftRunner {
  const binary = opts.binary ?? 'nft';
  const prefix = opts.prefix ?? [];
  const run = async (args: readonly string[], input?: string): Promise<string> => {
    const [cmd, ...rest] = [...prefix, binary, ...args];
    const res = await execa(cmd as string, rest, { input, reject: false, stripFinalNewline: false });
    if (res.exitCode !== 0) {
      const stderr = String(res.stderr);
      throw new NftError(`nft ${args.join(' ')} failed (exit ${res.exitCode}): ${stderr.trim().split('\n').slice(0, 6).join(' | ')}`, stderr);
    }
    return String(res.stdout);
  };
  const dir = opts.scriptDir ?? os.tmpdir();
  return {
    apply: (script) => withScriptFile(script, dir, async (file) => void (await run(['-f', file]))),
    check: (script) => withScriptFile(script, dir, async (file) => void (await run(['-c', '-f', file]))),
    read: (args) => run(args),
  };
}
