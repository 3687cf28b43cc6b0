// One end of a long-lived connection for test/kernel/conntrack.test.ts, run
// inside a lab namespace: `ip netns exec NS node socket-peer.mjs` with
// PEER='{"role":"tcp-server"|"tcp-client"|"udp-server"|"udp-client","host":"10.244.1.11","port":9000}'.
// (The lab's endpoint processes answer once and close; these hold one
// connection open across policy changes.)
// stdin, JSON lines: {"send":"text"} (client: to the server; server: to every
// client it has heard from). stdout, JSON lines: {"ready":true},
// {"connected":true}, {"data":"text"} for each chunk received (a server echoes
// what it receives, prefixed "echo:"), {"closed":"reason"}.
// Plain JavaScript with node: imports only: it runs under whichever node runs the tests.
/* global process */
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

const config = JSON.parse(process.env.PEER ?? '{}');
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const v6 = net.isIPv6(config.host ?? '');
let send = () => undefined;

if (config.role === 'tcp-server') {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.setEncoding('utf8');
    s.on('data', (d) => {
      say({ data: d });
      s.write(`echo:${d}`);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  server.listen({ host: '::', port: config.port, ipv6Only: false }, () => say({ ready: true }));
  send = (text) => { for (const s of sockets) s.write(text); };
} else if (config.role === 'tcp-client') {
  const s = net.connect({ host: config.host, port: config.port });
  s.setEncoding('utf8');
  s.on('connect', () => say({ connected: true }));
  s.on('data', (d) => say({ data: d }));
  s.on('error', (e) => say({ closed: e.code ?? e.message }));
  s.on('end', () => say({ closed: 'end' }));
  send = (text) => s.write(text);
  say({ ready: true });
} else if (config.role === 'udp-server') {
  const peers = new Map();
  const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
  s.on('message', (m, r) => {
    peers.set(`${r.address} ${r.port}`, r);
    say({ data: m.toString('utf8') });
    s.send(`echo:${m.toString('utf8')}`, r.port, r.address);
  });
  s.bind({ address: config.host, port: config.port }, () => say({ ready: true }));
  send = (text) => { for (const r of peers.values()) s.send(text, r.port, r.address); };
} else if (config.role === 'udp-client') {
  const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
  s.on('message', (m) => say({ data: m.toString('utf8') }));
  s.on('error', (e) => say({ closed: e.code ?? e.message }));
  s.connect(config.port, config.host, () => say({ ready: true }));
  send = (text) => s.send(text);
} else {
  say({ closed: `unknown role ${config.role}` });
  process.exit(2);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const cmd = JSON.parse(line);
  if (typeof cmd.send === 'string') send(cmd.send);
});
process.stdin.on('end', () => process.exit(0));
