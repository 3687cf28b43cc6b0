// Everything a run creates is registered here first, so it is removed however the run ends:
// normal teardown, a failed build, process exit, SIGINT/SIGTERM/SIGHUP (handlers), and
// SIGKILL (a guardian process, below). cleanupStale / cleanupOrphans remove what is left
// if even that fails.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { RUN_PREFIX_PATTERN, deleteNetns, deleteNetnsSync, listNetns } from './netns.ts';

/**
 * Guardian: a shell in its own session (Ctrl-C does not reach it) holding a pipe from us.
 * "done" on the pipe: we cleaned up ourselves, it just exits. End of file without "done":
 * we died, possibly by SIGKILL (vitest SIGKILLs its workers when the main process goes), and
 * it deletes the run's namespaces and kills what runs in them.
 */
const GUARDIAN = `
if read -r line; then exit 0; fi
sleep 0.3
for ns in $(ip netns list | awk -v p="$1" 'index($1, p) == 1 { print $1 }'); do
  for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
  ip netns del "$ns"
done
`;

function startGuardian(prefix: string): ChildProcess | undefined {
  try {
    const child = spawn('sh', ['-c', GUARDIAN, 'nftpol-netns-guardian', prefix], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    child.unref();
    (child.stdin as Socket | null)?.unref();
    return child;
  } catch {
    return undefined;
  }
}

const active = new Set<RunResources>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const r of [...active]) r.releaseSync();
  uninstall();
  // Re-raise, so the process ends the way it would have without us.
  process.kill(process.pid, signal);
}

function onExit(): void {
  for (const r of [...active]) r.releaseSync();
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of signals) process.on(s, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const s of signals) process.off(s, onSignal);
  process.off('exit', onExit);
}

/** What one run owns: its namespaces and the processes it started. */
export class RunResources {
  readonly prefix: string;
  private readonly netns = new Set<string>();
  private readonly pids = new Set<number>();
  private readonly guardian: ChildProcess | undefined;

  constructor(prefix: string) {
    if (!/^np[a-z0-9]*-$/.test(prefix)) throw new Error(`bad run prefix ${JSON.stringify(prefix)}: want np[a-z0-9]*-`);
    this.prefix = prefix;
    active.add(this);
    install();
    this.guardian = startGuardian(prefix);
  }

  /** Register before creating, so a half-done creation is still cleaned up. */
  addNetns(names: readonly string[]): void {
    for (const n of names) {
      if (!n.startsWith(this.prefix)) throw new Error(`netns ${n} does not carry the run prefix ${this.prefix}`);
      this.netns.add(n);
    }
  }

  addProcess(pid: number): void {
    this.pids.add(pid);
  }

  removeProcess(pid: number): void {
    this.pids.delete(pid);
  }

  private killAll(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.pids.clear();
  }

  private forget(): void {
    active.delete(this);
    if (active.size === 0) uninstall();
  }

  async release(): Promise<void> {
    this.killAll();
    try {
      await deleteNetns([...this.netns]);
      this.netns.clear();
      this.guardian?.stdin?.end('done\n');
    } finally {
      this.forget();
    }
  }

  releaseSync(): void {
    this.killAll();
    deleteNetnsSync([...this.netns]);
    this.netns.clear();
    this.guardian?.stdin?.end('done\n');
    this.forget();
  }
}

/** Deletes every netns whose name starts with `prefix` (and kills what runs in it). */
export async function cleanupStale(prefix: string): Promise<string[]> {
  if (!prefix.startsWith('np') || prefix.length < 3) throw new Error(`cleanupStale: refusing prefix ${JSON.stringify(prefix)}; lab prefixes start with "np"`);
  const names = (await listNetns()).filter((n) => n.startsWith(prefix));
  await deleteNetns(names);
  return names;
}

/** Deletes namespaces left by runs whose owning process is gone. Safe beside live parallel runs. */
export async function cleanupOrphans(): Promise<string[]> {
  const orphans = (await listNetns()).filter((n) => {
    const m = RUN_PREFIX_PATTERN.exec(n);
    return m !== null && !alive(Number(m[1]));
  });
  await deleteNetns(orphans);
  return orphans;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
