// Traffic that runs while the tests disturb the agent: an echo server (for a
// long-lived connection) and a load client, each a small Node program started
// inside a pod's network namespace (plain JavaScript, node: modules only).
//
// The load client, until told to stop, at once:
//  - opens new connections to the denied port in a tight loop (LOOPS in
//    parallel, each given up after DENIED_WAIT_MS: a dropped SYN never
//    connects) and counts every one that connects;
//  - opens short connections to the allowed port one after another, each of
//    which must bring the server's answer within SHORT_WAIT_MS;
//  - keeps one connection to the echo port and sends a numbered line every
//    STREAM_EVERY_MS; every line must come back, and the connection must never
//    close or fail.
// It prints its counts as a JSON line every 100 ms and once more at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { pollUntil } from '../../support/agent-child.ts';

export interface LoadReport {
  denied: { attempts: number; connected: number };
  short: { ok: number; failed: number; reasons: Record<string, number> };
  stream: { sent: number; echoed: number; broken: string | null; maxWaitMs: number };
}

export interface LoadTarget {
  readonly address: string;
  readonly deniedPort: number;
  readonly shortPort: number;
  readonly streamPort: number;
}

const ECHO_SERVER = `
const net = require('node:net');
const server = net.createServer((s) => { s.on('error', () => s.destroy()); s.pipe(s); });
server.listen({ host: '::', port: Number(process.env.ECHO_PORT), ipv6Only: false }, () => process.stdout.write('ready\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const LOAD_CLIENT = `
const net = require('node:net');
const t = JSON.parse(process.env.LOAD_TARGET);
const LOOPS = 16, DENIED_WAIT_MS = 250, SHORT_WAIT_MS = 3000, STREAM_EVERY_MS = 20;
const r = { denied: { attempts: 0, connected: 0 }, short: { ok: 0, failed: 0, reasons: {} }, stream: { sent: 0, echoed: 0, broken: null, maxWaitMs: 0 } };
let stopping = false;

function attempt(port, waitMs, onSocket) {
  return new Promise((resolve) => {
    const s = net.connect({ host: t.address, port });
    let done = false;
    const end = (how) => { if (done) return; done = true; clearTimeout(timer); s.destroy(); resolve(how); };
    const timer = setTimeout(() => end('timeout'), waitMs);
    s.on('error', (e) => end(e.code || 'error'));
    onSocket(s, end);
  });
}
async function deniedLoop() {
  while (!stopping) {
    r.denied.attempts++;
    const how = await attempt(t.deniedPort, DENIED_WAIT_MS, (s, end) => s.on('connect', () => end('connected')));
    if (how === 'connected') r.denied.connected++;
  }
}
async function shortLoop() {
  while (!stopping) {
    const how = await attempt(t.shortPort, SHORT_WAIT_MS, (s, end) => {
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d) => { got += d; });
      s.on('end', () => end(got.length > 0 ? 'ok' : 'closed-without-answer'));
    });
    if (how === 'ok') r.short.ok++;
    else { r.short.failed++; r.short.reasons[how] = (r.short.reasons[how] || 0) + 1; }
  }
}
const sentAt = [];
const stream = net.connect({ host: t.address, port: t.streamPort });
let buf = '';
stream.setEncoding('utf8');
stream.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const n = Number(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (n === r.stream.echoed) { r.stream.maxWaitMs = Math.max(r.stream.maxWaitMs, Date.now() - sentAt[n]); r.stream.echoed++; }
    else r.stream.broken = r.stream.broken || 'line ' + n + ' came back out of order (expected ' + r.stream.echoed + ')';
  }
});
stream.on('error', (e) => { r.stream.broken = r.stream.broken || 'error ' + (e.code || e.message); });
stream.on('close', () => { if (!stopping) r.stream.broken = r.stream.broken || 'closed'; });
const sender = setInterval(() => { sentAt.push(Date.now()); stream.write(r.stream.sent++ + '\\n'); }, STREAM_EVERY_MS);
const progress = setInterval(() => process.stdout.write(JSON.stringify(r) + '\\n'), 100);
const loops = [shortLoop(), ...Array.from({ length: LOOPS }, deniedLoop)];
process.stdin.on('data', async () => {
  stopping = true;
  clearInterval(sender);
  await Promise.all(loops);
  const deadline = Date.now() + 5000;
  while (r.stream.echoed < r.stream.sent && !r.stream.broken && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 10));
  clearInterval(progress);
  stream.destroy();
  process.stdout.write(JSON.stringify(r) + '\\n');
  process.exit(0);
});
`;

/** Runs a JavaScript program inside a namespace. */
function runIn(netnsPrefix: readonly string[], script: string, env: Record<string, string>): ChildProcess {
  const [cmd, ...pre] = [...netnsPrefix, process.execPath, '-e', script];
  return spawn(cmd as string, pre, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

export class EchoServer {
  private readonly proc: ChildProcess;

  private constructor(proc: ChildProcess) {
    this.proc = proc;
  }

  static async start(netnsPrefix: readonly string[], port: number): Promise<EchoServer> {
    const proc = runIn(netnsPrefix, ECHO_SERVER, { ECHO_PORT: String(port) });
    let out = '';
    proc.stdout?.on('data', (b: Buffer) => void (out += b.toString()));
    proc.stderr?.on('data', (b: Buffer) => void (out += b.toString()));
    await pollUntil('the echo server', () => out.includes('ready') || proc.exitCode !== null, { context: () => out });
    if (!out.includes('ready')) throw new Error(`the echo server did not start: ${out}`);
    return new EchoServer(proc);
  }

  stop(): void {
    this.proc.stdin?.end();
  }
}

export class LoadClient {
  private readonly proc: ChildProcess;
  private out = '';
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(proc: ChildProcess) {
    this.proc = proc;
    proc.stdout?.on('data', (b: Buffer) => void (this.out += b.toString()));
    proc.stderr?.on('data', (b: Buffer) => void (this.stderr += b.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }

  static start(netnsPrefix: readonly string[], target: LoadTarget): LoadClient {
    return new LoadClient(runIn(netnsPrefix, LOAD_CLIENT, { LOAD_TARGET: JSON.stringify(target) }));
  }

  /** The latest counts (all zero before the first report). */
  progress(): LoadReport {
    const lines = this.out.trim().split('\n').filter((l) => l.startsWith('{'));
    const last = lines[lines.length - 1];
    if (last === undefined) return { denied: { attempts: 0, connected: 0 }, short: { ok: 0, failed: 0, reasons: {} }, stream: { sent: 0, echoed: 0, broken: null, maxWaitMs: 0 } };
    return JSON.parse(last) as LoadReport;
  }

  /** Waits until the counts satisfy `enough` (the client made progress). */
  async until(what: string, enough: (r: LoadReport) => boolean): Promise<void> {
    await pollUntil(`the load client: ${what}`, () => enough(this.progress()), { context: () => `${JSON.stringify(this.progress())}\n${this.stderr}` });
  }

  /** Stops the loops, waits for the last echoes, and returns the final counts. */
  async stop(): Promise<LoadReport> {
    this.proc.stdin?.write('stop\n');
    const code = await this.exited;
    if (code !== 0) throw new Error(`the load client exited ${String(code)}: ${this.stderr}`);
    return this.progress();
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}
