// Network namespaces: naming, creation, listing, deletion (async and sync).

import { randomBytes } from 'node:crypto';
import { ipBatch, run, runSync } from './commands.ts';

/** Prefix for one run's namespaces: `np<pid>r<4 hex>-`, so an orphan's owner can be told. */
export function newRunPrefix(): string {
  return `np${process.pid}r${randomBytes(2).toString('hex')}-`;
}

/** Matches a run prefix; group 1 is the owner's pid. */
export const RUN_PREFIX_PATTERN = /^np(\d+)r[0-9a-f]{4}-/;

export async function createNetns(names: readonly string[]): Promise<void> {
  await ipBatch(undefined, names.map((n) => `netns add ${n}`));
}

export function parseNetnsList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

export async function listNetns(): Promise<string[]> {
  return parseNetnsList((await run(['ip', 'netns', 'list'])).stdout);
}

export function listNetnsSync(): string[] {
  return parseNetnsList(runSync(['ip', 'netns', 'list']).stdout);
}

/** Pids of processes living in `netns`. */
export async function netnsPids(netns: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', netns], { reject: false });
  return r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
}

function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills whatever still runs in each netns, then deletes them. Missing ones are ignored. */
export async function deleteNetns(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const existing = new Set(await listNetns());
  const present = names.filter((n) => existing.has(n));
  killPids((await Promise.all(present.map(netnsPids))).flat());
  if (present.length > 0) {
    // `-force` goes on past a failed line, so one bad name cannot strand the rest.
    await run(['ip', '-force', '-batch', '-'], { input: present.map((n) => `netns del ${n}\n`).join(''), reject: false });
  }
  const left = (await listNetns()).filter((n) => names.includes(n));
  if (left.length > 0) throw new Error(`could not delete netns: ${left.join(', ')}`);
}

/** Same as deleteNetns, synchronous and never throwing: for exit and signal handlers. */
export function deleteNetnsSync(names: readonly string[]): void {
  const existing = new Set(listNetnsSync());
  const present = names.filter((n) => existing.has(n));
  for (const n of present) {
    killPids(runSync(['ip', 'netns', 'pids', n]).stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number));
  }
  if (present.length > 0) runSync(['ip', '-force', '-batch', '-'], present.map((n) => `netns del ${n}\n`).join(''));
}
