// Runs inside one netns (a pod, a node or an outside host), started by servers.ts:
//   NP_ENDPOINT_CONFIG='<config json>' ip netns exec <netns> node endpoint-process.ts
// (servers.ts strips the types once and runs the result with `node -e`: 3x faster start).
// It answers on the configured TCP and UDP ports with its id, and makes probes on request.
// Protocol: JSON lines. stdin: {"seq":1,"to":"10.244.1.10","protocol":"TCP","port":80,"timeoutMs":1000}
// ("from": an address of this endpoint to send from; default: the kernel's choice)
// stdout: {"ready":true} once listening, then {"seq":1,"verdict":"allow","reason":"reply","reply":"x/a","ms":2}.
// It exits when stdin closes, so it never outlives the test process that started it.
// Standalone on purpose: only node: imports.

import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

interface Config {
  id: string;
  tcpPorts: number[];
  udpPorts: number[];
  /** UDP binds per address (replies then leave from the address that was probed). */
  addresses: string[];
}

interface ProbeRequest {
  seq: number;
  from?: string;
  to: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  timeoutMs: number;
}

interface ProbeReply {
  seq: number;
  verdict: 'allow' | 'deny';
  /** `reply`, `timeout`, `connected-no-reply`, or an errno code such as ECONNREFUSED. */
  reason: string;
  reply?: string;
  ms: number;
}

const config = JSON.parse(process.env.NP_ENDPOINT_CONFIG ?? '{}') as Config;
const answer = `${config.id}\n`;

function write(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function fatal(message: string): never {
  write({ fatal: message });
  process.exit(1);
}

async function listenTcp(port: number): Promise<void> {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(answer);
  });
  server.maxConnections = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '::', port, ipv6Only: false, backlog: 1024 }, () => resolve());
  });
  server.on('error', () => undefined);
}

async function listenUdp(address: string, port: number): Promise<void> {
  const v6 = net.isIPv6(address);
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
  socket.on('message', (_msg, rinfo) => socket.send(answer, rinfo.port, rinfo.address));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => resolve());
  });
  socket.on('error', () => undefined);
}

function probeTcp(req: ProbeRequest, done: (verdict: 'allow' | 'deny', reason: string, reply?: string) => void): void {
  let buf = '';
  let connected = false;
  let finished = false;
  const socket = net.connect({ host: req.to, port: req.port, ...(req.from === undefined ? {} : { localAddress: req.from }) });
  const finish = (verdict: 'allow' | 'deny', reason: string, reply?: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    done(verdict, reason, reply);
  };
  const timer = setTimeout(() => finish('deny', connected ? 'connected-no-reply' : 'timeout'), req.timeoutMs);
  socket.setEncoding('utf8');
  socket.on('connect', () => (connected = true));
  socket.on('data', (d: string) => {
    buf += d;
    if (buf.includes('\n')) finish('allow', 'reply', buf.trim());
  });
  socket.on('end', () => finish(buf === '' ? 'deny' : 'allow', buf === '' ? 'closed-no-reply' : 'reply', buf.trim()));
  socket.on('error', (e: NodeJS.ErrnoException) => finish('deny', e.code ?? e.message));
}

function probeUdp(req: ProbeRequest, done: (verdict: 'allow' | 'deny', reason: string, reply?: string) => void): void {
  const socket = dgram.createSocket(net.isIPv6(req.to) ? 'udp6' : 'udp4');
  let finished = false;
  const timers: NodeJS.Timeout[] = [];
  const finish = (verdict: 'allow' | 'deny', reason: string, reply?: string): void => {
    if (finished) return;
    finished = true;
    for (const t of timers) clearTimeout(t);
    socket.close();
    done(verdict, reason, reply);
  };
  const send = (): void => {
    if (!finished) socket.send('probe\n', (e) => e && finish('deny', (e as NodeJS.ErrnoException).code ?? e.message));
  };
  socket.on('message', (msg) => finish('allow', 'reply', msg.toString('utf8').trim()));
  // On a connected socket an ICMP error (port unreachable, reject) surfaces here.
  socket.on('error', (e: NodeJS.ErrnoException) => finish('deny', e.code ?? e.message));
  const connect = (): void =>
    socket.connect(req.port, req.to, () => {
      send();
      // UDP gets no retransmission: send again twice within the window.
      timers.push(setTimeout(send, req.timeoutMs / 3), setTimeout(send, (2 * req.timeoutMs) / 3));
    });
  if (req.from === undefined) connect();
  else socket.bind({ address: req.from, port: 0 }, connect);
  timers.push(setTimeout(() => finish('deny', 'timeout'), req.timeoutMs));
}

function handle(line: string): void {
  if (line.trim() === '') return;
  const req = JSON.parse(line) as ProbeRequest;
  const start = performance.now();
  const done = (verdict: 'allow' | 'deny', reason: string, reply?: string): void => {
    const out: ProbeReply = { seq: req.seq, verdict, reason, ms: Math.round(performance.now() - start) };
    if (reply !== undefined) out.reply = reply;
    write(out);
  };
  try {
    if (req.protocol === 'TCP') probeTcp(req, done);
    else probeUdp(req, done);
  } catch (e) {
    done('deny', `error: ${(e as Error).message}`);
  }
}

try {
  await Promise.all([
    ...config.tcpPorts.map(listenTcp),
    ...config.udpPorts.flatMap((port) => config.addresses.map((a) => listenUdp(a, port))),
  ]);
} catch (e) {
  fatal(`${config.id}: cannot listen: ${(e as Error).message}`);
}
readline.createInterface({ input: process.stdin }).on('line', handle);
process.stdin.on('end', () => process.exit(0));
write({ ready: true });
