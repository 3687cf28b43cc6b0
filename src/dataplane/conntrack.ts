// The one place nftpol runs the `conntrack` binary (Debian's conntrack
// package, conntrack-tools): list the connection tracking table of the
// network namespace it runs in (or of another, through a prefix such as
// `ip netns exec NS`), and delete chosen entries.
//
// Why the command and not netlink from Node: Node has no netlink sockets, and
// no well-kept npm library speaks ctnetlink (the `netlink` package does
// rtnetlink and generic netlink, through a native addon, and is unmaintained
// since 2021). The command is already a dependency of the kernel tests.
//
// Deleting: every line of a `conntrack -R FILE` batch is a `-D` with a filter
// (conntrack-deletion.ts says which), run in one process. The batch goes
// through a file in a private temporary folder, not stdin: conntrack opens
// /dev/stdin by name, which fails on the socket Node gives a child as stdin.
// A line that matches
// nothing is not an error (the connection closed meanwhile: nothing to do),
// and conntrack prints each entry it deleted, which is how they are counted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { deletionLines, type ConntrackDeletionRequest } from './conntrack-deletion.ts';
import { parseConntrackListing, type ConntrackListing } from './conntrack-listing.ts';

export interface ConntrackDeletion {
  /** `-D` lines run (conntrack-deletion.ts). */
  readonly commands: number;
  /** Entries the kernel deleted. */
  readonly deleted: number;
}

export interface ConntrackTable {
  /** Every entry of both families; lines that do not read as entries are counted in `skipped`. */
  list(): Promise<ConntrackListing>;
  /** Deletes what the request names (conntrack-deletion.ts); an entry already gone is not an error. */
  delete(request: ConntrackDeletionRequest): Promise<ConntrackDeletion>;
}

/** `-D` lines per `conntrack -R` process (each walks the table: ~50 ms at 1k entries, ~150 ms at 10k, here). */
const LINES_PER_BATCH = 50;

export class ConntrackError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

export interface ConntrackOptions {
  /** Path of the conntrack binary; tests inject a fake. */
  readonly binary?: string;
  /** Prefix command, e.g. ["ip", "netns", "exec", "node1"] to act inside a network namespace. */
  readonly prefix?: readonly string[];
  /** Kills a conntrack command that runs longer (default 60 s): a sweep must not hang the agent. */
  readonly timeoutMs?: number;
}

export function execConntrack(opts: ConntrackOptions = {}): ConntrackTable {
  const binary = opts.binary ?? 'conntrack';
  const prefix = opts.prefix ?? [];
  const run = async (args: readonly string[]): Promise<string> => {
    const [cmd, ...rest] = [...prefix, binary, ...args];
    const res = await execa(cmd as string, rest, { reject: false, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 1024 ** 3, stdin: 'ignore' });
    if (res.exitCode !== 0 || res.failed) {
      const stderr = String(res.stderr ?? '');
      const why = res.timedOut ? 'timed out' : `exit ${res.exitCode ?? '?'}`;
      throw new ConntrackError(`conntrack ${args.join(' ')} failed (${why}): ${stderr.trim().split('\n').slice(0, 4).join(' | ')}`, stderr);
    }
    return String(res.stdout);
  };
  return {
    async list() {
      // One dump per family: `-L` alone lists only IPv4 on some conntrack versions.
      const [v4, v6] = await Promise.all([run(['-L', '-f', 'ipv4']), run(['-L', '-f', 'ipv6'])]);
      const a = parseConntrackListing(v4);
      const b = parseConntrackListing(v6);
      return {
        entries: [...a.entries, ...b.entries],
        skipped: a.skipped + b.skipped,
        skippedSamples: [...a.skippedSamples, ...b.skippedSamples].slice(0, 3),
      };
    },
    async delete(request) {
      const lines = deletionLines(request);
      let deleted = 0;
      if (lines.length === 0) return { commands: 0, deleted };
      const dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-conntrack-'));
      try {
        // In batches, each a process with its own timeout: each line walks the
        // whole table, so a sweep of thousands of flows takes minutes; one
        // process for it all would be killed by the timeout with its work
        // unreported. A failed batch stops the sweep, the earlier ones done.
        for (let i = 0; i < lines.length; i += LINES_PER_BATCH) {
          const batch = path.join(dir, `delete-${i}`);
          await writeFile(batch, `${lines.slice(i, i + LINES_PER_BATCH).join('\n')}\n`, { mode: 0o600 });
          deleted += parseConntrackListing(await run(['-R', batch])).entries.length;
        }
        return { commands: lines.length, deleted };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
