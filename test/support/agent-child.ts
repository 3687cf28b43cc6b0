// `nftpol agent` as a real child process inside a network namespace (a lab
// node's, or a throwaway one), for the kernel tests. `ip netns exec` execs the
// agent in place, so the child's pid is the agent's: signals reach it, and
// its own children (the nft it runs) are found under /proc/<pid>.
//
// The agent's endpoints listen on the namespace's loopback. The test reaches
// them through a socat relay from a Unix socket (netns-relay.ts: a socket
// bound to a path is reachable from every network namespace), one relay per
// namespace, which outlives agent restarts: while no agent listens, a request
// answers status 0.
//
// Waits poll (pollUntil): a test waits for what it needs to see, never a fixed
// time and a hope.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { relaySocketToLoopback, type Relay } from './netns-relay.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
/** The CLI from source (Node >= 23.6 strips the types): what the tests run. */
export const NFTPOL_MAIN = path.join(REPO, 'src/cli/nftpol-main.ts');

export interface AgentStatusView {
  readonly source: { readonly revision: string | null; readonly rejected: { readonly revision: string; readonly problems: readonly string[] } | null };
  readonly kernel: {
    readonly revision: string | null;
    readonly lastSync: { readonly result: string; readonly trigger: string; readonly cause?: string; readonly error?: string } | null;
    readonly lastApply: { readonly kind: 'replace' | 'delta'; readonly bytes: number; readonly revision: string } | null;
  };
  readonly ready: boolean;
  readonly readyReason: string;
}

export interface HttpAnswer {
  /** 0: nothing answered (no agent listening). */
  readonly status: number;
  readonly body: string;
}

/** Polls `done` until it holds; after `timeoutMs` fails with `what` and `context()` (e.g. the agent's logs). */
export async function pollUntil(what: string, done: () => Promise<boolean> | boolean, opts: { timeoutMs?: number; context?: () => string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${opts.context ? `\n${opts.context()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A socat relay (netns-relay.ts) from a Unix socket to a port on a namespace's loopback: the test's way to the agent's endpoints. */
export class EndpointRelay {
  private readonly relay: Relay;
  private readonly dir: string;
  readonly socket: string;

  private constructor(relay: Relay, dir: string, socket: string) {
    this.relay = relay;
    this.dir = dir;
    this.socket = socket;
  }

  static async start(netnsPrefix: readonly string[], port: number): Promise<EndpointRelay> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-relay-'));
    const socket = path.join(dir, 'agent.sock');
    return new EndpointRelay(await relaySocketToLoopback(netnsPrefix, socket, port), dir, socket);
  }

  get(p: string): Promise<HttpAnswer> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socket, path: p, method: 'GET', agent: false, timeout: 5_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => void (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', (e) => resolve({ status: 0, body: e.message }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, body: e.message }));
      req.end();
    });
  }

  /** /status, or undefined while no agent answers. */
  async status(): Promise<AgentStatusView | undefined> {
    const r = await this.get('/status');
    return r.status === 200 ? (JSON.parse(r.body) as AgentStatusView) : undefined;
  }

  /** The value of one sample of /metrics, e.g. metric('nftpol_reconciles_total{result="repaired"}'); undefined when absent. */
  async metric(sample: string): Promise<number | undefined> {
    const r = await this.get('/metrics');
    const line = r.body.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? undefined : Number(line.slice(sample.length + 1));
  }

  async stop(): Promise<void> {
    await this.relay.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface AgentStartOptions {
  /** argv prefix that enters the namespace, e.g. world.nodeCommandPrefix('node-1'). */
  readonly netnsPrefix: readonly string[];
  readonly dir: string;
  readonly node: string;
  readonly listen: string;
  /** More flags, e.g. ['--reconcile-interval', '250ms']. */
  readonly args?: readonly string[];
  /** Environment on top of the test's (e.g. PATH with a fake nft first). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export class AgentChild {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private output = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => void (this.output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => void (this.output += b.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(o: AgentStartOptions): AgentChild {
    const [cmd, ...pre] = [...o.netnsPrefix, process.execPath, NFTPOL_MAIN];
    const argv = [...pre, 'agent', '--source', `files:${o.dir}`, '--node', o.node, '--listen', o.listen, '--coalesce-ms', '5', ...(o.args ?? [])];
    return new AgentChild(spawn(cmd as string, argv, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** stdout and stderr so far (JSON log lines, and anything else it printed). */
  logs(): string {
    return this.output;
  }

  /** The JSON log lines so far. */
  logLines(): LogLine[] {
    return this.output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGTERM, as the kubelet stops a pod; resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.signal('SIGTERM');
    return (await this.exited).code;
  }

  /** Pids of the agent's children (every thread's) with their command lines, e.g. ['nft', '-f', '-']. */
  async children(): Promise<{ pid: number; argv: string[] }[]> {
    const tasks = await readdir(`/proc/${this.pid}/task`).catch(() => [] as string[]);
    const pids = new Set<number>();
    for (const t of tasks) {
      const list = await readFile(`/proc/${this.pid}/task/${t}/children`, 'utf8').catch(() => '');
      for (const p of list.split(' ').filter((x) => x !== '')) pids.add(Number(p));
    }
    const out: { pid: number; argv: string[] }[] = [];
    for (const pid of pids) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      out.push({ pid, argv: cmdline.split('\0').filter((x) => x !== '') });
    }
    return out;
  }
}

/** Whether a process has ended (gone, or a zombie nobody reaped yet). */
export async function processEnded(pid: number): Promise<boolean> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return s === undefined || / Z /.test(s.slice(s.lastIndexOf(')')));
}
