// Revoking established connections on the real kernel. A lab world (two
// canal-style nodes; x/a, x/b and x/old on n1, x/c on n2) with n1's table
// applied by the Syncer from compileForNode, and long-lived connections held
// by socket-peer.mjs processes in the pods' namespaces:
//
//  1. x/a -> x/b:9000 (IPv4 and IPv6, bridged on n1) and x/c -> x/b:9000
//     (over vxlan) are established; a policy now lets only x/c reach x/b.
//     New connections from x/a are denied at once, but the established ones
//     still carry data (`ct state established` is accepted first: what
//     --keep-established keeps); after entriesToRevoke + delete on n1's
//     conntrack table, x/a's data no longer arrives, and x/c's still does.
//  2. x/old's address goes to x/new (other labels, isolated for ingress).
//     x/old's UDP "connection" to x/c keeps letting x/c's datagrams in to
//     the address (they are replies to conntrack) although policy would deny
//     them to x/new; flushing the entries of the address whose owner changed
//     stops them. The policy alone would keep that entry: the flow x/new ->
//     x/c is allowed.
//  3. A fact: after revocation, the server side sending first brings a TCP
//     connection back (conntrack picks it up mid-stream, the other way
//     round), unless TCP packets that would open a connection without SYN
//     are dropped; a table of the test's own adds that rule.
// Root only; CI must run it.
import { expect, it } from 'vitest';
import { addressOwners, deletionRequest, entriesToRevoke } from '../../src/agent/revoke-established.ts';
import type { WorldSpec } from '../../src/lab/index.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, NetworkPolicy, Pod } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { denyAll, node, objects, pod, podPeer, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';
import { describeKernel } from '../support/describe-requiring.ts';
import { conntrackLab } from './conntrack-lab.ts';
import type { Peer } from './long-lived-peer.ts';

const A = { v4: '10.244.1.10', v6: 'fd00:10:244:1::10' };
const B = { v4: '10.244.1.11', v6: 'fd00:10:244:1::11' };
const C = '10.244.2.10';
const OLD = '10.244.1.12';

const spec: WorldSpec = {
  nodes: [{ name: 'n1', podCIDR: '10.244.1.0/24', podCIDRv6: 'fd00:10:244:1::/64' }, { name: 'n2', podCIDR: '10.244.2.0/24' }],
  pods: [
    { id: 'x/a', node: 'n1', ips: [A.v4, A.v6], tcpPorts: [80], udpPorts: [] },
    { id: 'x/b', node: 'n1', ips: [B.v4, B.v6], tcpPorts: [80], udpPorts: [] },
    { id: 'x/old', node: 'n1', ips: [OLD], tcpPorts: [80], udpPorts: [] },
    { id: 'x/c', node: 'n2', ips: [C], tcpPorts: [80], udpPorts: [] },
  ],
};

// The cluster as the agent sees it, step by step.
const NODES = [node('n1', [], ['10.244.1.0/24', 'fd00:10:244:1::/64']), node('n2', [], ['10.244.2.0/24'])];
const podA = pod('x/a', { app: 'a' }, { node: 'n1', ips: [A.v4, A.v6] });
const podB = pod('x/b', { app: 'b' }, { node: 'n1', ips: [B.v4, B.v6] });
const podC = pod('x/c', { app: 'c' }, { node: 'n2', ips: [C] });
const podOld = pod('x/old', { app: 'old' }, { node: 'n1', ips: [OLD] });
const podNew = pod('x/new', { app: 'new' }, { node: 'n1', ips: [OLD] });
const ONLY_C_TO_B = policy('x/b-only-from-c', { podSelector: sel({ app: 'b' }), ingress: [rule([podPeer(sel({ app: 'c' }))], [tcp(9000)])] });
const NEW_CLOSED = denyAll('x/new-closed', ['Ingress'], sel({ app: 'new' }));
const cluster = (pods: Pod[], policies: NetworkPolicy[]): ClusterObjects => objects({ pods, policies, nodes: NODES });
const OPEN = cluster([podA, podB, podC, podOld], []);
const B_CLOSED = cluster([podA, podB, podC, podOld], [ONLY_C_TO_B]);
const REUSED = cluster([podA, podB, podC, podNew], [ONLY_C_TO_B, NEW_CLOSED]);

await describeKernel('revoking established connections (conntrack) on the real kernel', () => {
  const lab = conntrackLab(spec, OPEN);
  const { start, apply } = lab;
  let bServer: Peer;
  let a4: Peer;
  const engineOf = (o: ClusterObjects): PolicyEngine => new PolicyEngine(new ClusterState(o));

  it('cuts the connections a change denies (IPv4 and IPv6, bridged); an allowed one over vxlan carries on; kept until then', async () => {
    bServer = await start('x/b', { role: 'tcp-server', host: '::', port: 9000 });
    a4 = await start('x/a', { role: 'tcp-client', host: B.v4, port: 9000 });
    const a6 = await start('x/a', { role: 'tcp-client', host: B.v6, port: 9000 });
    const c4 = await start('x/c', { role: 'tcp-client', host: B.v4, port: 9000 });
    expect([await a4.roundTrip('open-a4'), await a6.roundTrip('open-a6'), await c4.roundTrip('open-c4')]).toEqual([true, true, true]);

    await apply(B_CLOSED);
    const fresh = await start('x/a', { role: 'tcp-client', host: B.v4, port: 9000 });
    expect(await fresh.saw('<connected>')).toBe(false); // the new table denies a new connection at once
    // Without revocation (--keep-established): the established ones still flow.
    expect([await a4.roundTrip('kept-a4'), await a6.roundTrip('kept-a6'), await c4.roundTrip('kept-c4')]).toEqual([true, true, true]);

    const listing = await lab.conntrack.list();
    expect(listing.skipped).toBe(0);
    const revoked = entriesToRevoke({ node: 'n1', engine: engineOf(B_CLOSED), previousOwners: addressOwners('n1', new ClusterState(OPEN)), entries: listing.entries });
    const reasons = [...new Set(revoked.map((r) => r.reason))].sort();
    expect(reasons).toEqual([
      'x/a (10.244.1.10) -> x/b (10.244.1.11) 9000/TCP now denied by the ingress of x/b',
      'x/a (fd00:10:244:1::10) -> x/b (fd00:10:244:1::11) 9000/TCP now denied by the ingress of x/b',
    ]);
    const deleted = await lab.conntrack.delete(deletionRequest(revoked, listing.entries));
    expect(deleted.deleted).toBeGreaterThanOrEqual(2);

    expect([await a4.roundTrip('cut-a4'), await a6.roundTrip('cut-a6')]).toEqual([false, false]);
    expect(await c4.roundTrip('still-c4')).toBe(true);
    // Nothing of the cut connections remains in the table.
    const after = (await lab.conntrack.list()).entries.filter((e) => e.original.src === A.v4 || e.original.src === A.v6);
    expect(after.filter((e) => e.reply.sport === 9000 && e.state === 'ESTABLISHED')).toEqual([]);
  }, 60_000);

  it('flushes the entries of an address that changed owner: the new pod does not inherit the old pod\'s UDP flow', async () => {
    const server = await start('x/c', { role: 'udp-server', host: C, port: 9001 });
    const old = await start('x/old', { role: 'udp-client', host: C, port: 9001 });
    expect(await old.roundTrip('hello-old')).toBe(true);

    await apply(REUSED); // x/old is gone, x/new holds its address and accepts nothing
    server.send('push-inherited');
    expect(await old.saw('push-inherited')).toBe(true); // a reply to conntrack: accepted before any policy

    const { entries } = await lab.conntrack.list();
    const now = engineOf(REUSED);
    expect(entriesToRevoke({ node: 'n1', engine: now, entries }).filter((r) => r.entry.protocol === 'UDP')).toEqual([]); // policy alone keeps it
    const revoked = entriesToRevoke({ node: 'n1', engine: now, previousOwners: addressOwners('n1', new ClusterState(B_CLOSED)), entries });
    expect(revoked.filter((r) => r.entry.protocol === 'UDP').map((r) => [r.cause, r.reason]))
      .toEqual([['address-owner-changed', 'address 10.244.1.12 was x/old and is x/new now']]);
    const request = deletionRequest(revoked, entries);
    expect(request.addresses).toEqual([OLD]);
    const deleted = await lab.conntrack.delete(request);
    expect(deleted.deleted).toBeGreaterThanOrEqual(1);

    server.send('push-after-flush');
    expect(await old.saw('push-after-flush')).toBe(false);
  }, 60_000);

  // What revocation alone could not do, and the rule of the base chains that
  // completes it (src/nft/render-chains.ts, docs/established-connections.md).
  // After the entry is gone, a packet of the connection is a new one to
  // conntrack, which picks a TCP connection up mid-stream by default
  // (nf_conntrack_tcp_loose=1): x/b's next segment would be judged
  // x/b:9000 -> x/a:<its port>, which x/a (not isolated for ingress) allows,
  // and the connection would live again, in reverse, as an allowed flow. The
  // base chains drop a local pod's TCP packet that is new but no SYN.
  it('a revoked TCP connection stays cut when the server sends first: a pod\'s new TCP without SYN is dropped', async () => {
    bServer.send('push-after-revoke');
    expect(await a4.saw('push-after-revoke')).toBe(false);
    const reversed = (await lab.conntrack.list()).entries.filter((e) => e.protocol === 'TCP' && e.original.src === B.v4 && e.reply.src === A.v4 && e.state === 'ESTABLISHED');
    expect(reversed).toEqual([]);
    const listed = await lab.world.inNode('n1', ['nft', 'list', 'chain', 'inet', 'nftpol', 'egress']);
    const dropped = /counter packets (\d+) bytes \d+ drop comment "egress tcp without syn"/.exec(listed.stdout);
    expect(Number(dropped?.[1] ?? 0)).toBeGreaterThan(0);
  }, 60_000);
});
