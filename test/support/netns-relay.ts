// socat relays between a network namespace's loopback and a Unix socket.
// Loopback is per network namespace, the filesystem is not: a process on
// 127.0.0.1 inside a test's namespace is reached from the test through a
// socket file, and a server of the test (on a socket file) is reached from
// inside the namespace on 127.0.0.1. No traffic leaves loopback.
import { spawn } from 'node:child_process';
import { execa } from 'execa';

export interface Relay {
  readonly pid: number;
  /** Ends the relay (its forked children end with their connections). Idempotent. */
  stop(): Promise<void>;
}

/** What is missing for relays: a working socat; empty when it is there. */
export async function relayPrerequisites(): Promise<string[]> {
  const r = await execa('socat', ['-V'], { reject: false, stdin: 'ignore', timeout: 10_000 }).catch(() => undefined);
  return r?.exitCode === 0 ? [] : ['no working `socat` on PATH (Debian package socat, see scripts/system-deps.sh)'];
}

/** socat's address syntax splits on ':' and ','; the paths given here are the test's own, so anything else is refused, not escaped. */
function checkedPath(socketPath: string): string {
  if (!/^\/[\w./-]+$/.test(socketPath)) throw new Error(`relay: socket path ${JSON.stringify(socketPath)} has characters socat would read as syntax`);
  return socketPath;
}

function checkedPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`relay: port ${port} is not in 1..65535`);
  return port;
}

/**
 * Starts `socat -d -d FROM TO` with `prefix` (e.g. ['ip', 'netns', 'exec',
 * NS]) and resolves once it listens, or rejects with its output when it exits
 * first or does not listen within 10 s.
 */
async function startSocat(prefix: readonly string[], from: string, to: string): Promise<Relay> {
  const argv = [...prefix, 'socat', '-d', '-d', from, to];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  let listening = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay ${from} -> ${to} not listening within 10 s: ${said}`)), 10_000);
    // socat logs every connection at -d -d: keep reading (a full pipe would stall it) but keep only the start.
    child.stderr.on('data', (b: Buffer) => {
      if (said.length < 4096) said += b.toString();
      if (!listening && said.includes('listening on')) {
        listening = true;
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      if (!listening) reject(new Error(`relay ${from} -> ${to} exited before listening: ${said}`));
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid as number,
    stop: () => (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    })()),
  };
}

/** Inside the namespace, 127.0.0.1:`port` forwards to the Unix socket `socketPath` (e.g. a server of the test). */
export function relayLoopbackToSocket(netnsPrefix: readonly string[], port: number, socketPath: string): Promise<Relay> {
  return startSocat(netnsPrefix, `TCP-LISTEN:${checkedPort(port)},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${checkedPath(socketPath)}`);
}

/** The Unix socket `socketPath` forwards to 127.0.0.1:`port` inside the namespace (e.g. a process's HTTP endpoints). */
export function relaySocketToLoopback(netnsPrefix: readonly string[], socketPath: string, port: number): Promise<Relay> {
  return startSocat(netnsPrefix, `UNIX-LISTEN:${checkedPath(socketPath)},fork,unlink-early`, `TCP:127.0.0.1:${checkedPort(port)}`);
}
