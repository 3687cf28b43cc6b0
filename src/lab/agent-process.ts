// One `nftpol agent` per lab node, run inside the node's netns so that the table it writes
// is that node's (`nftpol test --dataplane agent`). The agent listens on its default
// 127.0.0.1:9807, which is the node netns' own loopback, not the host's: a socat in the
// same netns relays a unix socket (a file, reachable from the host netns) to it, and the
// runner asks /status through that socket. Nothing listens outside the run's namespaces.
//
// Both processes are started with `ip netns exec`, which execs in place: their pids live in
// the node's netns, so the lab's teardown (and its guardian, if the runner is killed) ends
// them with the namespace. stop() ends them first, politely.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';

/** Where the agent listens inside its netns (its default: the netns' own loopback). */
export const AGENT_LISTEN = '127.0.0.1:9807';
/** Log lines kept per agent, for the message when it dies or stalls. */
const KEPT_LINES = 40;
const STOP_GRACE_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;

export interface NodeAgentOptions {
  /** argv prefix that runs a command in the node's netns (World.nodeCommandPrefix). */
  readonly netnsPrefix: readonly string[];
  /** argv that runs nftpol (e.g. [node, .../nftpol-main.js]); `agent` and its flags follow. */
  readonly command: readonly string[];
  readonly node: string;
  /** The agent's folder of manifests (files source). */
  readonly dir: string;
  /** A path for the unix socket relaying the agent's endpoints (outside the watched folder). */
  readonly socket: string;
  /** More flags, after the ones given here (a later flag wins in commander). */
  readonly extraArgs?: readonly string[];
}

export interface AgentExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** An HTTP answer from the agent's endpoints. */
export interface AgentAnswer {
  readonly status: number;
  readonly body: string;
}

export class NodeAgentProcess {
  readonly node: string;
  readonly argv: readonly string[];
  private readonly socket: string;
  private readonly agent: ChildProcess;
  private readonly relay: ChildProcess;
  private readonly lines: string[] = [];
  private exit: AgentExit | undefined;
  private readonly exited: Promise<AgentExit>;
  private stopping: Promise<void> | undefined;

  private constructor(opts: NodeAgentOptions) {
    this.node = opts.node;
    this.socket = opts.socket;
    this.argv = [
      ...opts.command, 'agent', '--source', `files:${opts.dir}`, '--node', opts.node, '--listen', AGENT_LISTEN,
      // A change is applied 5 ms after its first event (the agent's default); reconcile
      // stays at its default, and nothing here depends on it.
      '--coalesce-ms', '5', '--log-level', 'info',
      ...(opts.extraArgs ?? []),
    ];
    const [file, ...args] = [...opts.netnsPrefix, ...this.argv];
    this.agent = spawn(file as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.agent.on('error', (err) => {
        this.keep(`(could not run ${file}: ${err.message})`);
        this.exit ??= { code: null, signal: null };
        resolve(this.exit);
      });
      this.agent.on('exit', (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
    for (const stream of [this.agent.stdout, this.agent.stderr]) {
      if (stream) readline.createInterface({ input: stream }).on('line', (l) => this.keep(l));
    }
    // fork: one relay child per connection; unlink-early: a stale socket file does not stop it.
    const [rfile, ...rargs] = [...opts.netnsPrefix, 'socat', `UNIX-LISTEN:${opts.socket},fork,unlink-early`, `TCP:${AGENT_LISTEN}`];
    // Its complaints while the agent is not listening yet are expected and not kept; a relay
    // that ends is (the status wait then says what it could not read).
    this.relay = spawn(rfile as string, rargs, { stdio: 'ignore' });
    this.relay.on('error', (err) => this.keep(`(relay: could not run socat: ${err.message})`));
    this.relay.on('exit', (code, signal) => {
      if (this.stopping === undefined) this.keep(`(relay: socat ended, ${signal ?? `exit code ${code ?? '?'}`})`);
    });
  }

  /** Starts the agent and its relay; whether it came up is for the caller's wait to find out. */
  static start(opts: NodeAgentOptions): NodeAgentProcess {
    return new NodeAgentProcess(opts);
  }

  private keep(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
  }

  /** How the agent ended, once it has. */
  get exitStatus(): AgentExit | undefined {
    return this.exit;
  }

  /** Its last log lines (stdout and stderr as they came), oldest first. */
  lastLines(n = 15): string[] {
    return this.lines.slice(-n);
  }

  /**
   * GET one of the agent's endpoints through the relay. Rejects while the relay or the
   * agent is not listening yet (ENOENT, ECONNREFUSED, a reset): callers poll.
   */
  get(urlPath: string): Promise<AgentAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.get({ socketPath: this.socket, path: urlPath, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${urlPath} within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
    });
  }

  /** SIGTERM (the agent exits 0 and leaves its table), SIGKILL after a grace period; the relay goes too. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      this.relay.kill('SIGKILL');
      if (this.exit !== undefined) return;
      this.agent.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
      if ((await Promise.race([this.exited, late])) === 'late') this.agent.kill('SIGKILL');
      clearTimeout(timer);
      await this.exited;
    })());
  }
}
