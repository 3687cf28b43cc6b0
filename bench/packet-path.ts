// What enforcement costs on the packet path: two pods on one node (both on
// cni0, so A -> B is bridged and crosses the node's forward hook), measured
// with no nft table, with a one-policy table, and with a 1,000-policy table
// in which A -> B is allowed by the last rule of the last of 1,000 policies
// selecting B: every new connection walks every policy chain of B's pod chain
// (~7,000 rules, with set lookups) before it is accepted. The middle column
// separates what the table's mere presence costs (conntrack starts tracking
// the netns, base chains, dispatch maps) from what the long walk costs.
//
// Figures: short TCP connections per second (connect, read the server's
// answer, close; one at a time and 16 in flight) from a small Node client in
// A to the lab's endpoint server in B; and iperf3 throughput, A -> B, 5 s.
// Only a connection's first packet reaches the policy chains (established
// traffic is accepted by `ct state established,related` first), so the walk
// should show in connection rates and hardly in bulk throughput.
import { execa } from 'execa';
import { compileNode } from '../src/compile/compile-node.ts';
import type { NodeIR } from '../src/compile/ir.ts';
import { execNftRunner } from '../src/dataplane/nft-runner.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import type { NetworkPolicy, Pod } from '../src/model/types.ts';
import { renderReplaceScript } from '../src/nft/render-table.ts';
import { PolicyEngine } from '../src/policy/engine.ts';
import { ipBlock, node, ns, pod, podPeer, policy, rule, sel, tcp } from '../test/generators/cluster-builders.ts';
import { buildWorld, kernelPrerequisites, type World } from '../src/lab/index.ts';
import { count, millis, type Bench } from './bench.ts';
import { countIR } from './count-ir.ts';

const A = { id: 'bench/a', ip: '10.244.1.10' };
const B = { id: 'bench/b', ip: '10.244.1.11' };
const PROBE_PORT = 80; // the lab's endpoint server in B answers its id here
const IPERF_PORT = 5201;
const POLICIES = 1_000;
const CONNECT_SECONDS = 3;
const CONNECT_MAX = 20_000; // per run, so a fast run cannot exhaust ports
const IPERF_SECONDS = 5;
const policyName = (k: number): string => `p${String(k).padStart(4, '0')}`;

/**
 * The model cluster: a and b on n1 (the lab's node), plus 2,000 pods
 * elsewhere whose addresses fill the peer sets (they exist only as set elements).
 * Each policy selects b and has three rules that miss a -> b:80: a peer set of
 * other pods, an ipBlock with except that does not hold a, and a's own pod on a
 * port it does not use. Only the last policy's last rule allows a.
 */
function cluster(policyCount: number): ClusterState {
  const pods: Pod[] = [
    pod('bench/a', { app: 'a' }, { ips: [A.ip], node: 'n1' }),
    pod('bench/b', { app: 'b' }, { ips: [B.ip], node: 'n1' }),
  ];
  for (let i = 0; i < 2_000; i++) pods.push(pod(`bench/x${i}`, { group: `g${i % 50}` }, { ips: [`10.245.${i >> 8}.${i & 255}`], node: 'n2' }));
  const policies: NetworkPolicy[] = [];
  for (let k = POLICIES - policyCount; k < POLICIES; k++) {
    const misses = [
      rule([podPeer(sel({ group: `g${k % 50}` }))], [tcp(PROBE_PORT), tcp(IPERF_PORT)]),
      rule([ipBlock('172.16.0.0/16', `172.16.${k % 256}.0/24`)]),
      rule([podPeer(sel({ app: 'a' }))], [tcp(10_000 + k)]),
    ];
    const allow = k === POLICIES - 1 ? [rule([podPeer(sel({ app: 'a' }))], [tcp(PROBE_PORT), tcp(IPERF_PORT)])] : [];
    policies.push(policy(`bench/${policyName(k)}`, { podSelector: sel({ app: 'b' }), ingress: [...misses, ...allow] }));
  }
  return new ClusterState({
    namespaces: [ns('bench')],
    pods,
    policies,
    nodes: [node('n1', ['192.168.200.10'], ['10.244.1.0/24']), node('n2', ['192.168.200.11'], ['10.245.0.0/16'])],
  });
}

/** B's pod chain must end with the allowing policy, or the walk is not the worst case. */
function checkWorstCase(ir: NodeIR): string {
  const b = ir.pods.find((p) => p.pod === B.id);
  const chains = b?.ingress.isolated ? b.ingress.policyChains : [];
  const last = chains[chains.length - 1];
  if (chains.length !== POLICIES || last !== `pol-in/bench/${policyName(POLICIES - 1)}`) {
    throw new Error(`b's pod chain jumps to ${chains.length} policy chains, the last being ${last}: not the worst case`);
  }
  return last;
}

// Runs in A's netns: short connections to host:port for `seconds`, `inFlight` at a time.
const CLIENT = `
import net from 'node:net';
const [host, port, inFlight, seconds, max] = process.argv.slice(1).map((x, i) => (i === 0 ? x : Number(x)));
const lat = []; let failed = 0;
const one = () => new Promise((done) => {
  const t = process.hrtime.bigint();
  const s = net.connect({ host, port });
  s.setTimeout(2000, () => { failed++; s.destroy(); done(); });
  s.on('error', () => { failed++; s.destroy(); done(); });
  s.on('data', () => {});
  s.on('end', () => { lat.push(Number(process.hrtime.bigint() - t) / 1e3); s.destroy(); done(); });
});
const t0 = performance.now(), end = t0 + seconds * 1000;
await Promise.all(Array.from({ length: inFlight }, async () => { while (performance.now() < end && lat.length + failed < max) await one(); }));
const ms = performance.now() - t0;
lat.sort((a, b) => a - b);
console.log(JSON.stringify({ ok: lat.length, failed, ms, p50: lat[lat.length >> 1], p99: lat[Math.floor(lat.length * 0.99)] }));
`;

interface ConnectResult { ok: number; failed: number; ms: number; p50: number; p99: number }

async function connections(world: World, inFlight: number): Promise<ConnectResult> {
  const argv = [process.execPath, '--input-type=module', '-e', CLIENT, B.ip, String(PROBE_PORT), String(inFlight), String(CONNECT_SECONDS), String(CONNECT_MAX)];
  const r = await world.inEndpoint(A.id, argv, { timeoutMs: (CONNECT_SECONDS + 30) * 1000 });
  return JSON.parse(r.stdout) as ConnectResult;
}

async function iperf(world: World): Promise<{ gbits: number; retransmits: number }> {
  const argv = ['iperf3', '-c', B.ip, '-p', String(IPERF_PORT), '-t', String(IPERF_SECONDS), '-J'];
  const r = await world.inEndpoint(A.id, argv, { timeoutMs: (IPERF_SECONDS + 20) * 1000 });
  const end = (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits?: number } } }).end;
  return { gbits: end.sum_received.bits_per_second / 1e9, retransmits: end.sum_sent.retransmits ?? 0 };
}

/** Packets the rules of a chain counted: for the allowing policy's chain, the packets it accepted. */
async function chainPackets(world: World, chain: string): Promise<number> {
  const r = await world.inNode('n1', ['nft', '-j', 'list', 'chain', 'inet', 'nftpol', chain]);
  type Item = { rule?: { expr: { counter?: { packets: number } }[] } };
  const rules = (JSON.parse(r.stdout) as { nftables: Item[] }).nftables.flatMap((i) => (i.rule ? [i.rule] : []));
  return rules.reduce((n, rule) => n + (rule.expr.find((e) => e.counter)?.counter?.packets ?? 0), 0);
}

interface Column { name: string; one: ConnectResult; many: ConnectResult; tput: { gbits: number; retransmits: number } }

async function run(report: (line: string) => void): Promise<void> {
  const missing = await kernelPrerequisites();
  if (missing.length > 0) return void report(`SKIPPED: kernel lab prerequisites missing: ${missing.join(', ')}`);

  const setups = [{ name: 'no table' }, { name: '1 policy', policies: 1 }, { name: `${count(POLICIES)} policies, last rule`, policies: POLICIES }];
  const world = await buildWorld({
    nodes: [{ name: 'n1', podCIDR: '10.244.1.0/24' }],
    pods: [A, B].map((p) => ({ id: p.id, node: 'n1', ips: [p.ip], tcpPorts: [PROBE_PORT], udpPorts: [] })),
  });
  const server = execa('ip', ['netns', 'exec', world.netnsOf(B.id), 'iperf3', '-s', '-p', String(IPERF_PORT)], { reject: false });
  try {
    // Room for many short connections from A (its own netns).
    await world.inEndpoint(A.id, ['sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=10240 65000']);
    const nft = execNftRunner({ prefix: world.nodeCommandPrefix('n1') });
    const columns: Column[] = [];
    let walked: string | undefined;
    for (const w of setups) {
      if (w.policies !== undefined) {
        const ir = compileNode(new PolicyEngine(cluster(w.policies)), 'n1');
        if (w.policies === POLICIES) walked = checkWorstCase(ir);
        const script = renderReplaceScript(ir);
        const t0 = performance.now();
        await nft.apply(script);
        const c = countIR(ir);
        report(`${w.name}: table applied in ${millis(performance.now() - t0)} (${c.policyChains} policy chains, ${count(c.rules)} rules, ${count(c.setElements)} set elements)`);
      }
      if ((await world.probe({ from: A.id, to: B.ip, protocol: 'TCP', port: PROBE_PORT })) !== 'allow') throw new Error(`${w.name}: a -> b denied`);
      const one = await connections(world, 1);
      const many = await connections(world, 16);
      const tput = await iperf(world);
      columns.push({ name: w.name, one, many, tput });
      if (w.policies === POLICIES && walked !== undefined) {
        // 1 probe, the clients' connections, iperf3's control and data connections.
        const opened = 1 + one.ok + one.failed + many.ok + many.failed + 2;
        const accepted = await chainPackets(world, walked);
        report(`  ${count(opened)} connections to b; ${walked} (b's last) accepted ${count(accepted)} packets`
          + (accepted === opened ? `: each connection's first packet walked all ${POLICIES} policy chains, later packets none` : ''));
      }
    }

    const rate = (r: ConnectResult): string => `${count((r.ok * 1000) / r.ms)}/s${r.failed > 0 ? ` (${r.failed} failed)` : ''}`;
    const rows: [string, (c: Column) => string][] = [
      ['connections/s, 1 in flight', (c) => rate(c.one)],
      ['  latency p50 / p99 (µs)', (c) => `${count(c.one.p50)} / ${count(c.one.p99)}`],
      ['connections/s, 16 in flight', (c) => rate(c.many)],
      ['  latency p50 / p99 (µs)', (c) => `${count(c.many.p50)} / ${count(c.many.p99)}`],
      [`iperf3 ${IPERF_SECONDS} s, Gbit/s`, (c) => c.tput.gbits.toFixed(2)],
      ['  retransmits', (c) => count(c.tput.retransmits)],
    ];
    const w0 = 30;
    const wc = Math.max(...columns.map((c) => c.name.length), 14) + 2;
    report('');
    report(`${''.padEnd(w0)}${columns.map((c) => c.name.padStart(wc)).join('')}`);
    for (const [label, f] of rows) report(`${label.padEnd(w0)}${columns.map((c) => f(c).padStart(wc)).join('')}`);
  } finally {
    server.kill();
    await server;
    await world.destroy();
  }
}

export const packetPath: Bench = {
  name: 'packet-path',
  description: `pod -> pod on one node: connections/s and iperf3 throughput with no table, 1 policy, ${POLICIES} policies (worst-case walk)`,
  run,
};
