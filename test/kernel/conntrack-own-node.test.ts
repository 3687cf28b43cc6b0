// Revoking established connections between a pod and its own node, on the
// real kernel. Those packets take the input hook (pod to node) and the output
// hook (node to pod), never forward; NetworkPolicy never cuts them, but an
// Admin Deny of `nodes` does (docs/cluster-network-policy.md: the Admin tier
// decides before NetworkPolicy, and its rule that a pod may always reach its
// node). A lab node n1 (InternalIP 192.0.2.1 on its lo) serves TCP from its
// own network namespace, as a host-network pod does; x/a and x/b run on it.
//
//  1. x/a -> n1:9100 and x/b -> n1:9100 are established, and n1 -> x/a:9000
//     (the node as client: kubelet's probes, a host-network agent).
//  2. An Admin ClusterNetworkPolicy denies x/a egress to every node. A new
//     connection of x/a to its node is refused at once; the established one
//     still flows until the sweep (entriesToRevoke + delete on n1's table)
//     cuts it. x/b (not a subject) carries on. n1 -> x/a carries on too:
//     it is x/a's ingress from the node, which no Admin rule here denies
//     (ingress peers are pods and namespaces; x/a's egress rules do not
//     apply to the replies of a connection the node opened).
//  3. The revoked connection stays cut when the node (the server side)
//     sends first (conntrack would pick TCP up mid-stream, the other way
//     round, as an allowed node -> pod flow; see
//     docs/established-connections.md).
//  4. The other way: an Admin ingress rule of x/b failing closed (it denies
//     every address, the node's among them) cuts n1 -> x/b, judged as from
//     the node's cni0 address, and it stays cut when x/b sends first.
// Root only; CI must run it.
import { expect, it } from 'vitest';
import { addressOwners, deletionRequest, entriesToRevoke } from '../../src/agent/revoke-established.ts';
import type { WorldSpec } from '../../src/lab/index.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterPolicy } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { node, objects, pod, sel } from '../generators/cluster-builders.ts';
import { cnp, deny, networks, nodesPeer, podsSubject } from '../generators/cluster-policies.ts';
import { describeKernel } from '../support/describe-requiring.ts';
import { conntrackLab } from './conntrack-lab.ts';

const NODE_IP = '192.0.2.1';
const A = '10.244.1.10';
const B = '10.244.1.11';

const spec: WorldSpec = {
  nodes: [{ name: 'n1', podCIDR: '10.244.1.0/24', addresses: [NODE_IP] }],
  pods: [
    { id: 'x/a', node: 'n1', ips: [A], tcpPorts: [80], udpPorts: [] },
    { id: 'x/b', node: 'n1', ips: [B], tcpPorts: [80], udpPorts: [] },
  ],
};

const NODES = [node('n1', [NODE_IP], ['10.244.1.0/24'])];
const PODS = [pod('x/a', { app: 'a' }, { node: 'n1', ips: [A] }), pod('x/b', { app: 'b' }, { node: 'n1', ips: [B] })];
const NO_NODES: ClusterPolicy = cnp('a-no-nodes', { priority: 10, subject: podsSubject(sel(), sel({ app: 'a' })), egress: [deny([nodesPeer(sel())], [], 'no-nodes')] });
const OPEN: ClusterObjects = objects({ pods: PODS, nodes: NODES });
const DENIED: ClusterObjects = { ...OPEN, clusterPolicies: [NO_NODES] };
/** An Admin ingress rule of x/b with errors: failing closed, it denies every peer, the node's own addresses included. */
const B_BROKEN: ClusterPolicy = cnp('b-broken', { priority: 20, subject: podsSubject(sel(), sel({ app: 'b' })), ingress: [{ action: 'Deny', peers: [networks('0.0.0.0/0')], ports: [], failClosed: true }] });
const B_CLOSED: ClusterObjects = { ...OPEN, clusterPolicies: [NO_NODES, B_BROKEN] };

await describeKernel('revoking established connections between a pod and its own node (Admin Deny of nodes) on the real kernel', () => {
  const lab = conntrackLab(spec, OPEN);
  const { start, apply } = lab;

  /** The node's own addresses, as the agent reads them in the node's network namespace (its InternalIP, cni0's gateway 10.244.1.1). */
  const nodeAddresses = async (): Promise<string[]> => {
    const links = JSON.parse((await lab.world.inNode('n1', ['ip', '-j', 'address', 'show'])).stdout) as { addr_info: { local: string }[] }[];
    const addresses = links.flatMap((link) => link.addr_info.map((a) => a.local));
    expect(addresses).toContain('10.244.1.1');
    return addresses;
  };

  it('an Admin Deny of nodes cuts x/a\'s established connection to its node; x/b\'s, and the node\'s to x/a, carry on; it stays cut', async () => {
    const nodeServer = await start('n1', { role: 'tcp-server', host: '::', port: 9100 });
    await start('x/a', { role: 'tcp-server', host: '::', port: 9000 });
    const a = await start('x/a', { role: 'tcp-client', host: NODE_IP, port: 9100 });
    const b = await start('x/b', { role: 'tcp-client', host: NODE_IP, port: 9100 });
    const fromNode = await start('n1', { role: 'tcp-client', host: A, port: 9000 });
    expect([await a.roundTrip('open-a'), await b.roundTrip('open-b'), await fromNode.roundTrip('open-node')]).toEqual([true, true, true]);

    await apply(DENIED);
    const fresh = await start('x/a', { role: 'tcp-client', host: NODE_IP, port: 9100 });
    expect(await fresh.saw('<connected>')).toBe(false); // denied at once on the input hook
    // Until the sweep (what --keep-established keeps): the established ones still flow.
    expect([await a.roundTrip('kept-a'), await b.roundTrip('kept-b'), await fromNode.roundTrip('kept-node')]).toEqual([true, true, true]);

    const listing = await lab.conntrack.list();
    expect(listing.skipped).toBe(0);
    const engine = new PolicyEngine(new ClusterState(DENIED));
    const revoked = entriesToRevoke({ node: 'n1', engine, previousOwners: addressOwners('n1', new ClusterState(OPEN)), entries: listing.entries, nodeAddresses: await nodeAddresses() });
    expect([...new Set(revoked.map((r) => r.reason))]).toEqual([`x/a (${A}) -> ${NODE_IP} 9100/TCP now denied by the egress of x/a`]);
    const deleted = await lab.conntrack.delete(deletionRequest(revoked, listing.entries));
    expect(deleted.deleted).toBeGreaterThanOrEqual(1);

    expect(await a.roundTrip('cut-a')).toBe(false);
    expect([await b.roundTrip('still-b'), await fromNode.roundTrip('still-node')]).toEqual([true, true]);
    // The node sends first on the cut connection: conntrack must not take it up the other way round.
    nodeServer.send('push-after-revoke');
    expect(await a.saw('push-after-revoke')).toBe(false);
    const revived = (await lab.conntrack.list()).entries.filter((e) => e.protocol === 'TCP' && e.state === 'ESTABLISHED'
      && [e.original.src, e.reply.src].includes(A) && [e.original.src, e.reply.src].includes(NODE_IP) && (e.original.sport === 9100 || e.reply.sport === 9100));
    expect(revived).toEqual([]);
    const listed = await lab.world.inNode('n1', ['nft', 'list', 'chain', 'inet', 'nftpol', 'ingress-from-node']);
    const dropped = /counter packets (\d+) bytes \d+ drop comment "ingress tcp without syn"/.exec(listed.stdout);
    expect(Number(dropped?.[1] ?? 0)).toBeGreaterThan(0); // the node's segment, dropped on the output hook
  }, 60_000);

  // The other way: a cluster ingress rule that names the node's addresses (a
  // rule failing closed denies every address) revokes the node's connection
  // to the pod, which stays cut when the pod sends first (input hook).
  it('an Admin ingress Deny that covers the node cuts the node\'s established connection to x/b; it stays cut when x/b sends first', async () => {
    const bServer = await start('x/b', { role: 'tcp-server', host: '::', port: 9000 });
    const toB = await start('n1', { role: 'tcp-client', host: B, port: 9000 });
    expect(await toB.roundTrip('open-node-b')).toBe(true);
    await apply(B_CLOSED);
    const listing = await lab.conntrack.list();
    const revoked = entriesToRevoke({ node: 'n1', engine: new PolicyEngine(new ClusterState(B_CLOSED)), previousOwners: addressOwners('n1', new ClusterState(DENIED)), entries: listing.entries, nodeAddresses: await nodeAddresses() });
    expect([...new Set(revoked.map((r) => r.reason))]).toEqual([`10.244.1.1 -> x/b (${B}) 9000/TCP now denied by the ingress of x/b`]);
    await lab.conntrack.delete(deletionRequest(revoked, listing.entries));
    expect(await toB.roundTrip('cut-node-b')).toBe(false);
    bServer.send('push-from-b');
    expect(await toB.saw('push-from-b')).toBe(false);
    const listed = await lab.world.inNode('n1', ['nft', 'list', 'chain', 'inet', 'nftpol', 'egress-to-node']);
    const dropped = /counter packets (\d+) bytes \d+ drop comment "egress tcp without syn"/.exec(listed.stdout);
    expect(Number(dropped?.[1] ?? 0)).toBeGreaterThan(0); // x/b's segment, dropped on the input hook
  }, 60_000);
});
