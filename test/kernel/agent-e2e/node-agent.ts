// One `nftpol agent --source kubernetes` child per lab node, running in the
// node's network namespace (so the table it writes is that node's), with two
// socat relays in the same namespace: 127.0.0.1:API_PORT to the fake API
// server's Unix socket, and a Unix socket of the test to the agent's
// endpoints on 127.0.0.1:AGENT_PORT. The test reads /status, /readyz and
// /metrics through that socket, and the agent's JSON log lines from its
// stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import type { FakeResource } from '../../k8s/fake-api-server.ts';
import { relayLoopbackToSocket, relaySocketToLoopback, type Relay } from '../../support/netns-relay.ts';

const MAIN = path.resolve(import.meta.dirname, '../../../src/cli/nftpol-main.ts');
/** Inside each node's namespace: where the API server is relayed, and where the agent listens. */
export const API_PORT = 6443;
const AGENT_PORT = 9807;

/** The parts of the agent's /status this test reads (docs/agent.md). */
export interface AgentStatus {
  readonly kernel: {
    readonly revision: string | null;
    readonly lastSync: { readonly result: string; readonly error?: string } | null;
  };
  readonly ready: boolean;
  readonly readyReason: string;
}

export interface AgentLogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** "namespaces=106,pods=108,..." to its numbers; a resource not listed yet is absent. */
export function revisionVersions(revision: string | null): Partial<Record<FakeResource, number>> {
  const out: Partial<Record<FakeResource, number>> = {};
  for (const part of (revision ?? '').split(',')) {
    const m = /^(namespaces|pods|networkpolicies|nodes|clusternetworkpolicies|adminnetworkpolicies|baselineadminnetworkpolicies)=(\d+)$/.exec(part);
    if (m) out[m[1] as FakeResource] = Number(m[2]);
  }
  return out;
}

/** Whether a revision includes every change up to `want` (the resourceVersion of each resource's last write). */
export function revisionCovers(revision: string | null, want: Partial<Record<FakeResource, number>>): boolean {
  const have = revisionVersions(revision);
  return Object.entries(want).every(([r, v]) => (have[r as FakeResource] ?? -1) >= (v as number));
}

export interface NodeAgentOptions {
  readonly node: string;
  /** ['ip', 'netns', 'exec', NETNS]: the lab world's nodeCommandPrefix(node). */
  readonly netnsPrefix: readonly string[];
  readonly apiSocket: string;
  readonly kubeconfig: string;
  /** A folder of the test's for this agent's socket. */
  readonly dir: string;
}

export class NodeAgent {
  readonly node: string;
  readonly logs: AgentLogLine[] = [];
  private readonly child: ChildProcess;
  private readonly relays: readonly Relay[];
  private readonly statusSocket: string;
  private readonly exited: Promise<number | null>;
  private raw = '';

  private constructor(node: string, child: ChildProcess, relays: readonly Relay[], statusSocket: string) {
    this.node = node;
    this.child = child;
    this.relays = relays;
    this.statusSocket = statusSocket;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let partial = '';
    child.stdout?.on('data', (b: Buffer) => {
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.record(line);
    });
    child.stderr?.on('data', (b: Buffer) => void (this.raw += b.toString()));
  }

  static async start(o: NodeAgentOptions): Promise<NodeAgent> {
    const statusSocket = path.join(o.dir, `agent-${o.node}.sock`);
    const relays = await Promise.all([
      relayLoopbackToSocket(o.netnsPrefix, API_PORT, o.apiSocket),
      relaySocketToLoopback(o.netnsPrefix, statusSocket, AGENT_PORT),
    ]);
    // `ip netns exec` execs the command in place: the child is the agent itself.
    const argv = [...o.netnsPrefix, process.execPath, MAIN, 'agent', '--source', 'kubernetes', '--kubeconfig', o.kubeconfig,
      '--node', o.node, '--listen', `127.0.0.1:${AGENT_PORT}`, '--coalesce-ms', '5'];
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    return new NodeAgent(o.node, child, relays, statusSocket);
  }

  /** Whether the agent process is still there. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** GET on the agent's endpoints; status 0 when nothing answers (not started yet, or gone). */
  get(urlPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.statusSocket, path: urlPath, agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => void (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ status: 0, body: '' }));
      req.end();
    });
  }

  async status(): Promise<AgentStatus | undefined> {
    const r = await this.get('/status');
    return r.status === 200 ? (JSON.parse(r.body) as AgentStatus) : undefined;
  }

  /** A metric without labels from /metrics, e.g. nftpol_objects_rejected_total. */
  async metric(name: string): Promise<number | undefined> {
    const r = await this.get('/metrics');
    const line = r.body.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  }

  /** The agent's log lines whose message starts with `prefix`, from index `from` on. */
  logged(prefix: string, from = 0): AgentLogLine[] {
    return this.logs.slice(from).filter((l) => l.msg.startsWith(prefix));
  }

  /** Everything it said, for a failure message. */
  transcript(): string {
    return `${this.logs.map((l) => JSON.stringify(l)).join('\n')}${this.raw === '' ? '' : `\nstderr:\n${this.raw}`}`;
  }

  /** SIGTERM (the table stays in force; SIGKILL if it has not exited 10 s later), then the relays. Idempotent. */
  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    await Promise.all(this.relays.map((r) => r.stop()));
    return code;
  }

  private record(line: string): void {
    if (line.trim() === '') return;
    try {
      const parsed = JSON.parse(line) as AgentLogLine;
      this.logs.push(parsed);
    } catch {
      this.raw += `${line}\n`;
    }
  }
}
