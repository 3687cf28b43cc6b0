// nftpol_cluster_rule_dropped_{packets,bytes}_total on the real kernel: the
// packets an Admin Deny drops are counted on that rule, read by the agent's
// metrics from the table in force (src/agent/cluster-rule-drops.ts). A lab
// node n1 (InternalIP 192.0.2.1) with x/a and x/b on it; an Admin
// ClusterNetworkPolicy denies x/a egress to every node (spec.egress[1]) after
// an Accept of TCP 22 to them (spec.egress[0]), and a Baseline one denies
// x/b UDP to 198.51.100.0/24. A UDP echo server listens on the node: x/b's
// datagram to it comes back; those x/a sends are dropped one by one on the
// Deny (no echo, the server hears nothing), and the metric says exactly how
// many.
// Root only; CI must run it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentMetrics } from '../../src/agent/metrics.ts';
import { countIR } from '../../src/agent/node-ir.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import { execNftRunner } from '../../src/dataplane/nft-runner.ts';
import { Syncer } from '../../src/dataplane/syncer.ts';
import { buildWorld, cleanupOrphans, type World, type WorldSpec } from '../../src/lab/index.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import { node, objects, pod, sel } from '../generators/cluster-builders.ts';
import { accept, cnp, deny, networks, nodesPeer, podsSubject, portOf } from '../generators/cluster-policies.ts';
import { describeKernel } from '../support/describe-requiring.ts';
import { Peer } from './long-lived-peer.ts';

const NODE_IP = '192.0.2.1';
const A = '10.244.1.10';
const B = '10.244.1.11';
const DATAGRAMS = 5;
const PORT = 9200;
/** How long the counters may take to show the datagrams sent (they do in milliseconds). */
const COUNTED_WITHIN_MS = 10_000;

const spec: WorldSpec = {
  nodes: [{ name: 'n1', podCIDR: '10.244.1.0/24', addresses: [NODE_IP] }],
  pods: [
    { id: 'x/a', node: 'n1', ips: [A], tcpPorts: [80], udpPorts: [] },
    { id: 'x/b', node: 'n1', ips: [B], tcpPorts: [80], udpPorts: [] },
  ],
};

const CLUSTER: ClusterObjects = {
  ...objects({ pods: [pod('x/a', { app: 'a' }, { node: 'n1', ips: [A] }), pod('x/b', { app: 'b' }, { node: 'n1', ips: [B] })], nodes: [node('n1', [NODE_IP], ['10.244.1.0/24'])] }),
  clusterPolicies: [
    cnp('a-no-nodes', { priority: 10, subject: podsSubject(sel(), sel({ app: 'a' })), egress: [accept([nodesPeer(sel())], [portOf('TCP', 22)], 'ssh'), deny([nodesPeer(sel())], [], 'no-nodes')] }),
    cnp('b-floor', { tier: 'Baseline', subject: podsSubject(sel(), sel({ app: 'b' })), egress: [deny([networks('198.51.100.0/24')], [portOf('UDP', 53)])] }),
  ],
};

const ruleLines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('nftpol_cluster_rule_dropped_'));

/** The metric's lines once `done` says so, or the last read at the deadline (the caller's assertions then say what is missing). */
async function readUntil(metrics: AgentMetrics, done: (lines: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + COUNTED_WITHIN_MS;
  for (;;) {
    const lines = ruleLines(await metrics.text());
    if (done(lines) || Date.now() >= deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

await describeKernel('drops of cluster-wide policies\' Deny rules in the agent\'s metrics, on the real kernel', () => {
  let world: World;
  let metrics: AgentMetrics;
  const peers: Peer[] = [];

  beforeAll(async () => {
    await cleanupOrphans();
    world = await buildWorld(spec);
    const runner = execNftRunner({ prefix: world.nodeCommandPrefix('n1') });
    const compiled = compileForNode(CLUSTER, 'n1', { place: false });
    if (!compiled.ok) throw new Error('n1 unknown');
    const res = await new Syncer({ runner, deltas: true, bridge: false, attempts: 1 }).sync(compiled.ir);
    expect(res.error).toBeUndefined();
    // As the agent does after each apply: the IR in force is what the listing is read against.
    metrics = new AgentMetrics({ drops: { runner, table: 'nftpol', cacheMs: 0 } });
    metrics.setIR(countIR(compiled.ir), compiled.ir);
  }, 60_000);
  afterAll(async () => {
    for (const p of peers) p.stop();
    await world?.destroy();
  });

  it('each Deny rule has its series from the start; datagrams x/a sends to its node count on cnp/a-no-nodes spec.egress[1], one by one', async () => {
    expect(ruleLines(await metrics.text())).toEqual([
      'nftpol_cluster_rule_dropped_packets_total{policy="cnp/a-no-nodes",direction="egress",rule="spec.egress[1]"} 0',
      'nftpol_cluster_rule_dropped_packets_total{policy="cnp/b-floor",direction="egress",rule="spec.egress[0]"} 0',
      'nftpol_cluster_rule_dropped_bytes_total{policy="cnp/a-no-nodes",direction="egress",rule="spec.egress[1]"} 0',
      'nftpol_cluster_rule_dropped_bytes_total{policy="cnp/b-floor",direction="egress",rule="spec.egress[0]"} 0',
    ]);
    // A server on the node answers whatever reaches it, so an echo that does
    // not come back means a drop (x/b, which no Deny covers here, hears it).
    const server = await Peer.start(world, 'n1', { role: 'udp-server', host: NODE_IP, port: PORT });
    peers.push(server);
    const other = await Peer.start(world, 'x/b', { role: 'udp-client', host: NODE_IP, port: PORT });
    peers.push(other);
    expect(await other.roundTrip('allowed-b')).toBe(true);
    const client = await Peer.start(world, 'x/a', { role: 'udp-client', host: NODE_IP, port: PORT });
    peers.push(client);
    for (let i = 0; i < DATAGRAMS; i++) client.send(`dropped-${i}`);
    const packets = 'nftpol_cluster_rule_dropped_packets_total{policy="cnp/a-no-nodes",direction="egress",rule="spec.egress[1]"}';
    // The sends go through a child process: read until all have been counted (or the deadline), then the exact figures.
    const lines = await readUntil(metrics, (ls) => ls.includes(`${packets} ${DATAGRAMS}`));
    expect(lines).toContain(`${packets} ${DATAGRAMS}`);
    // IPv4 header 20 + UDP 8 + "dropped-N" 9 bytes each.
    expect(lines).toContain(`nftpol_cluster_rule_dropped_bytes_total{policy="cnp/a-no-nodes",direction="egress",rule="spec.egress[1]"} ${DATAGRAMS * 37}`);
    expect(lines).toContain('nftpol_cluster_rule_dropped_packets_total{policy="cnp/b-floor",direction="egress",rule="spec.egress[0]"} 0');
    expect(await client.saw('echo:')).toBe(false);
    expect(await server.saw('dropped-', 0)).toBe(false);
  }, 60_000);
});
