// The one place nftpol runs the nft binary. Scripts go in on stdin, so a
// change is one `nft -f -` transaction: all of it applies, or none of it.
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
  return {
    apply: async (script) => void (await run(['-f', '-'], script)),
    check: async (script) => void (await run(['-c', '-f', '-'], script)),
    read: (args) => run(args),
  };
}
