// Which conntrack entries an applied change revokes (src/agent/revoke-established.ts):
// flows the new state denies with a pod of this node at an end, and every
// entry of a local pod's address whose owner changed.
import { describe, expect, it, vi } from 'vitest';
import { addressesWithNewOwner, addressOwners, deletionRequest, entriesToRevoke, type Revocation } from '../../src/agent/revoke-established.ts';
import { parseConntrackLine, type ConntrackEntry } from '../../src/dataplane/conntrack-listing.ts';
import type { ClusterState } from '../../src/model/cluster-state.ts';
import type { NetworkPolicy, Pod } from '../../src/model/types.ts';
import { denyAll, node, pod, podPeer, policy, rule, sel, tcp, World } from '../generators/cluster-builders.ts';
import { cnp, deny, nodesPeer, nsSubject } from '../generators/cluster-policies.ts';

const NODES = [node('node-1', ['192.168.0.1'], ['10.244.1.0/24', 'fd00:1::/64']), node('node-2', ['192.168.0.2'], ['10.244.2.0/24'])];
const A = pod('x/a', { app: 'a' }, { node: 'node-1', ips: ['10.244.1.2', 'fd00:1::2'] });
const B = pod('x/b', { app: 'b' }, { node: 'node-1', ips: ['10.244.1.3', 'fd00:1::3'] });
const C = pod('x/c', { app: 'c' }, { node: 'node-2', ips: ['10.244.2.2'] });
const D = pod('y/d', { app: 'd' }, { node: 'node-2', ips: ['10.244.2.3'] });
/** x/b accepts only app=c on TCP 80; y is isolated both ways. */
const B_ONLY_FROM_C = policy('x/b-from-c', { podSelector: sel({ app: 'b' }), ingress: [rule([podPeer(sel({ app: 'c' }))], [tcp(80)])] });
const Y_DENY = denyAll('y/deny');

const world = (pods: readonly Pod[], policies: readonly NetworkPolicy[] = [B_ONLY_FROM_C, Y_DENY]): World => new World({ pods, policies, nodes: NODES });

/** An entry as `conntrack -L` prints it: TCP unless told, no NAT unless a backend is given. */
function tcpEntry(from: string, to: string, port: number, opts: { sport?: number; backend?: string; backendPort?: number } = {}): ConntrackEntry {
  const sport = opts.sport ?? 40000;
  const back = opts.backend ?? to;
  const bport = opts.backendPort ?? port;
  return parsed(`tcp 6 431999 ESTABLISHED src=${from} dst=${to} sport=${sport} dport=${port} src=${back} dst=${from} sport=${bport} dport=${sport} [ASSURED] mark=0 use=1`);
}
function parsed(text: string): ConntrackEntry {
  const e = parseConntrackLine(text);
  if (e === undefined) throw new Error(`bad test entry ${text}`);
  return e;
}
const revoke = (w: World, entries: readonly ConntrackEntry[], previous?: ClusterState, nodeName = 'node-1'): Revocation[] =>
  entriesToRevoke({ node: nodeName, engine: w.engine, entries, ...(previous !== undefined && { previousOwners: addressOwners(nodeName, previous) }) });

describe('entriesToRevoke: flows the new state denies', () => {
  const w = world([A, B, C, D]);

  it('revokes a local pod\'s ingress the policy now denies, and says which side denies it', () => {
    const got = revoke(w, [tcpEntry('10.244.1.2', '10.244.1.3', 80)]);
    expect(got).toHaveLength(1);
    expect(got[0]?.cause).toBe('denied');
    expect(got[0]?.reason).toBe('x/a (10.244.1.2) -> x/b (10.244.1.3) 80/TCP now denied by the ingress of x/b');
  });

  it('keeps allowed flows: the allowed peer, the node\'s own traffic to its pod, a pod\'s unisolated egress', () => {
    const kept = [
      tcpEntry('10.244.2.2', '10.244.1.3', 80), // x/c -> x/b:80, allowed
      tcpEntry('192.168.0.1', '10.244.1.3', 8080), // the node to its pod (kubelet probes)
      tcpEntry('10.244.1.3', '203.0.113.9', 443), // x/b's egress is not isolated
    ];
    expect(revoke(w, kept)).toEqual([]);
  });

  it('the node\'s connections to its pod from cni0\'s gateway (in the pod CIDR, no pod\'s): kept when the node names it as its own address, as the kernel keeps them', () => {
    const fromGateway = [tcpEntry('10.244.1.1', '10.244.1.3', 8080), tcpEntry('fd00:1::1', 'fd00:1::2', 9000)];
    const asked = (nodeAddresses?: readonly string[]): string[] => entriesToRevoke({ node: 'node-1', engine: w.engine, entries: fromGateway, ...(nodeAddresses && { nodeAddresses }) }).map((r) => r.reason);
    // Without the node's addresses the gateway reads as an unknown pod, and every such connection went at each change.
    expect(asked()).toEqual([
      '10.244.1.1 -> x/b (10.244.1.3) 8080/TCP now denied: an address in a pod CIDR that no known pod holds',
      'fd00:1::1 -> x/a (fd00:1::2) 9000/TCP now denied: an address in a pod CIDR that no known pod holds',
    ]);
    expect(asked(['127.0.0.1', '192.168.0.1', '10.244.1.1', 'fd00:1::1'])).toEqual([]);
    // An Admin Deny of nodes matches the addresses Node objects list, as the kernel's nodes sets
    // hold them: the pod's connection to the gateway is kept, the one to the InternalIP goes.
    const denyNodes = cnp('deny-nodes', { priority: 1, subject: nsSubject(sel()), egress: [deny([nodesPeer(sel())])] });
    const admin = new World({ pods: [A, B, C, D], policies: [], nodes: NODES, clusterPolicies: [denyNodes] });
    const toNode = [tcpEntry('10.244.1.2', '10.244.1.1', 9100), tcpEntry('10.244.1.2', '192.168.0.1', 9100)];
    expect(entriesToRevoke({ node: 'node-1', engine: admin.engine, entries: toNode, nodeAddresses: ['192.168.0.1', '10.244.1.1'] }).map((r) => r.entry.original.dst))
      .toEqual(['192.168.0.1']);
    // An address of the pod CIDR the node does not hold is still an unknown pod: failing closed.
    expect(entriesToRevoke({ node: 'node-1', engine: w.engine, entries: [tcpEntry('10.244.1.9', '10.244.1.2', 80)], nodeAddresses: ['10.244.1.1'] })).toHaveLength(1);
  });

  it('revokes the egress side too: a local pod leaving for an isolated remote pod', () => {
    // y/d is on node-2; x/a (local) reaching it is denied by y/d's ingress.
    const got = revoke(w, [tcpEntry('10.244.1.2', '10.244.2.3', 80)]);
    expect(got.map((r) => r.reason)).toEqual(['x/a (10.244.1.2) -> y/d (10.244.2.3) 80/TCP now denied by the ingress of y/d']);
  });

  it('never touches entries without a pod of this node, however denied', () => {
    expect(revoke(w, [tcpEntry('10.244.2.2', '10.244.2.3', 80), tcpEntry('203.0.113.9', '10.244.2.3', 80)])).toEqual([]);
    // The same entries on node-2's sweep are its business.
    expect(revoke(w, [tcpEntry('10.244.2.2', '10.244.2.3', 80)], undefined, 'node-2')).toHaveLength(1);
  });

  it('judges a DNAT\'d connection by its backend: a Service address to x/b is x/b', () => {
    const viaService = tcpEntry('10.244.1.2', '10.96.0.10', 80, { backend: '10.244.1.3', backendPort: 80 });
    expect(revoke(w, [viaService]).map((r) => r.cause)).toEqual(['denied']);
    const toAllowed = tcpEntry('10.244.2.2', '10.96.0.10', 8443, { backend: '10.244.1.3', backendPort: 80 });
    expect(revoke(w, [toAllowed])).toEqual([]);
  });

  it('judges portless protocols and IPv6: ICMP to x/b is outside its TCP-only rule', () => {
    const ping = parsed('icmp 1 29 src=10.244.2.2 dst=10.244.1.3 type=8 code=0 id=7 src=10.244.1.3 dst=10.244.2.2 type=0 code=0 id=7 mark=0 use=1');
    const v6 = tcpEntry('fd00:1::2', 'fd00:1::3', 80);
    expect(revoke(w, [ping, v6]).map((r) => r.reason)).toEqual([
      'x/c (10.244.2.2) -> x/b (10.244.1.3) ICMP now denied by the ingress of x/b',
      'x/a (fd00:1::2) -> x/b (fd00:1::3) 80/TCP now denied by the ingress of x/b',
    ]);
  });

  it('revokes an address in a pod CIDR that no pod holds (a pod the agent does not know is fail-closed)', () => {
    expect(revoke(w, [tcpEntry('10.244.1.99', '10.244.1.2', 80)]).map((r) => r.reason))
      .toEqual(['10.244.1.99 -> x/a (10.244.1.2) 80/TCP now denied: an address in a pod CIDR that no known pod holds']);
  });

  it('asks the engine once per flow, however many connections it has', () => {
    const entries = Array.from({ length: 50 }, (_, i) => tcpEntry('10.244.1.2', '10.244.1.3', 80, { sport: 30000 + i }));
    const allows = vi.spyOn(w.engine, 'allows');
    const evaluate = vi.spyOn(w.engine, 'evaluate');
    expect(revoke(w, entries)).toHaveLength(50);
    expect([allows.mock.calls.length, evaluate.mock.calls.length]).toEqual([1, 1]);
    allows.mockRestore();
    evaluate.mockRestore();
  });
});

describe('entriesToRevoke: addresses whose owner changed', () => {
  const before = world([A, B, C, D], []);
  // x/a is gone; x/z (other labels, another workload) got its addresses.
  const Z = pod('x/z', { app: 'z' }, { node: 'node-1', ips: A.ips });
  const open = (pods: readonly Pod[]): World => world(pods, []);
  const fromA = [tcpEntry('10.244.1.2', '10.244.1.3', 80), tcpEntry('10.244.2.2', '10.244.1.2', 5432), tcpEntry('fd00:1::2', 'fd00:1::3', 80)];

  it('revokes every entry of a local address now held by another pod, allowed or not', () => {
    const got = revoke(open([Z, B, C, D]), fromA, before.state);
    expect(got.map((r) => [r.cause, r.reason])).toEqual([
      ['address-owner-changed', 'address 10.244.1.2 was x/a and is x/z now'],
      ['address-owner-changed', 'address 10.244.1.2 was x/a and is x/z now'],
      ['address-owner-changed', 'address fd00:1::2 was x/a and is x/z now'],
    ]);
    // Deleted address-wide; the denied flow by the widest line the listing allows.
    const denied = tcpEntry('10.244.1.3', '10.244.2.3', 80);
    const allowed = tcpEntry('10.244.2.2', '10.244.2.3', 80, { sport: 40001 }); // y/d keeps an entry: not its address whole
    const request = deletionRequest([...got, ...revoke(world([Z, B, C, D]), [denied], before.state)], [...fromA, denied, allowed]);
    expect(request).toEqual({ addresses: ['10.244.1.2', 'fd00:1::2'], destinations: [], sources: ['10.244.1.3'], pairs: [], flows: [] });
  });

  it('revokes the entries of an address no pod holds any more, and of one a pod holds that none did', () => {
    expect(revoke(open([B, C, D]), fromA.slice(0, 1), before.state).map((r) => r.reason)).toEqual(['address 10.244.1.2 was x/a and is no pod\'s now']);
    expect(revoke(open([A, B, C, D]), fromA.slice(0, 1), open([B, C, D]).state).map((r) => r.reason)).toEqual(['address 10.244.1.2 was held by no pod of node-1 and is x/a now']);
  });

  it('keeps entries whose addresses kept their owners (a relabelled pod is judged by policy, not flushed)', () => {
    const relabelled = pod('x/a', { app: 'a', tier: 'new' }, { node: 'node-1', ips: A.ips });
    expect(revoke(open([relabelled, B, C, D]), fromA, before.state)).toEqual([]);
  });

  it('leaves a remote pod\'s reused address to its own node, judging the local end by policy only', () => {
    const C2 = pod('x/c2', { app: 'c' }, { node: 'node-2', ips: C.ips });
    const entry = tcpEntry('10.244.1.3', '10.244.2.2', 80);
    expect(revoke(open([A, B, C2, D]), [entry], before.state)).toEqual([]);
  });

  it('with keepEstablished, still flushes reused addresses but leaves denied flows', () => {
    const denied = tcpEntry('10.244.1.3', '10.244.2.3', 80); // x/b -> y/d, denied by y/deny
    const w = world([Z, B, C, D]);
    expect(revoke(w, [denied, ...fromA], before.state).map((r) => r.cause)).toEqual(['denied', ...fromA.map(() => 'address-owner-changed')]);
    const kept = entriesToRevoke({ node: 'node-1', engine: w.engine, previousOwners: addressOwners('node-1', before.state), entries: [denied, ...fromA], keepEstablished: true });
    expect(kept.map((r) => r.cause)).toEqual(fromA.map(() => 'address-owner-changed'));
  });

  it('says cheaply which local addresses changed owner, so a sweep can be skipped when none did and the table did not change', () => {
    const owners = addressOwners('node-1', before.state);
    expect([...owners]).toEqual([['10.244.1.2', 'x/a'], ['fd00:1::2', 'x/a'], ['10.244.1.3', 'x/b'], ['fd00:1::3', 'x/b']]);
    expect(addressesWithNewOwner('node-1', owners, open([Z, B, C, D]).state)).toEqual(['10.244.1.2', 'fd00:1::2']);
    expect(addressesWithNewOwner('node-1', owners, open([B, C, D]).state)).toEqual(['10.244.1.2', 'fd00:1::2']);
    const relabelled = pod('x/a', { app: 'a', tier: 'new' }, { node: 'node-1', ips: A.ips });
    expect(addressesWithNewOwner('node-1', owners, open([relabelled, B, C, D]).state)).toEqual([]);
    // A remote pod's address is its node's business.
    expect(addressesWithNewOwner('node-1', owners, open([A, B, pod('x/c2', {}, { node: 'node-2', ips: C.ips }), D]).state)).toEqual([]);
    // A new local pod on a fresh address: no entry can be another pod's, but it is reported (a sweep finds nothing).
    expect(addressesWithNewOwner('node-1', owners, open([A, B, C, D, pod('x/e', {}, { node: 'node-1', ips: ['10.244.1.9'] })]).state)).toEqual(['10.244.1.9']);
  });

  it('compares no owners without the previous state (the first sync)', () => {
    expect(revoke(open([Z, B, C, D]), fromA)).toEqual([]);
  });
});
