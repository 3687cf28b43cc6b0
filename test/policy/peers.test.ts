// NetworkPolicyPeer semantics: empty from/to, podSelector (own namespace
// only), namespaceSelector alone, both in one peer (AND) vs two peers (OR),
// null vs {}, and ipBlock with except on IPv4 and IPv6, pod addresses included.
import { describe, expect, it } from 'vitest';
import type { Peer, PolicyRule } from '../../src/model/types.ts';
import {
  ALL, andPeer, ipBlock, node, ns, nsPeer, pod, podPeer, policy, rule, sel, world,
} from '../generators/cluster-builders.ts';

// api/api is the protected pod (ingress) and also the egress subject.
// Clients: same namespace, a namespace labelled team=a, one labelled team=b.
const namespaces = [ns('api', { team: 'core' }), ns('front', { team: 'a' }), ns('batch', { team: 'b' })];
const pods = [
  pod('api/api', { app: 'api' }, { ips: ['10.244.1.10', 'fd00::1:10'], node: 'n1' }),
  pod('api/peer', { app: 'peer' }, { ips: ['10.244.1.11', 'fd00::1:11'], node: 'n1' }),
  pod('api/web', { app: 'web' }, { ips: ['10.244.1.12'], node: 'n1' }),
  pod('front/web', { app: 'web' }, { ips: ['10.244.2.10', 'fd00::2:10'], node: 'n2' }),
  pod('front/other', { app: 'other' }, { ips: ['10.244.2.11'], node: 'n2' }),
  pod('batch/web', { app: 'web' }, { ips: ['10.244.3.10'], node: 'n2' }),
];
const nodes = [node('n1', ['192.168.0.1']), node('n2', ['192.168.0.2'])];

/** Protect api/api for ingress with one rule. */
function ingressWorld(r: PolicyRule) {
  return world({ namespaces, pods, nodes, policies: [policy('api/p', { podSelector: sel({ app: 'api' }), ingress: [r] })] });
}
/** Restrict api/api's egress with one rule. */
function egressWorld(r: PolicyRule) {
  return world({ namespaces, pods, nodes, policies: [policy('api/p', { podSelector: sel({ app: 'api' }), policyTypes: ['Egress'], egress: [r] })] });
}

interface Row {
  name: string;
  peers: Peer[];
  /** Endpoint on the other side: "ns/name", "ns/name@6", or an IP. */
  other: string;
  allowed: boolean;
}

const rows: Row[] = [
  // empty from/to
  { name: 'empty peers: pod of the same namespace', peers: [], other: 'api/peer', allowed: true },
  { name: 'empty peers: pod of another namespace', peers: [], other: 'batch/web', allowed: true },
  { name: 'empty peers: outside address', peers: [], other: '203.0.113.7', allowed: true },
  { name: 'empty peers: another node', peers: [], other: '192.168.0.2', allowed: true },
  { name: 'empty peers: IPv6 outside address', peers: [], other: '2001:db8::7', allowed: true },
  // podSelector alone: the policy's namespace only
  { name: 'podSelector: matching pod in the policy namespace', peers: [podPeer(sel({ app: 'web' }))], other: 'api/web', allowed: true },
  { name: 'podSelector: matching labels in another namespace do not count', peers: [podPeer(sel({ app: 'web' }))], other: 'front/web', allowed: false },
  { name: 'podSelector: non-matching pod in the policy namespace', peers: [podPeer(sel({ app: 'web' }))], other: 'api/peer', allowed: false },
  { name: 'podSelector {}: every pod of the policy namespace', peers: [podPeer(ALL)], other: 'api/peer', allowed: true },
  { name: 'podSelector {}: not pods of other namespaces', peers: [podPeer(ALL)], other: 'front/other', allowed: false },
  { name: 'podSelector {}: not outside addresses', peers: [podPeer(ALL)], other: '203.0.113.7', allowed: false },
  { name: 'podSelector {}: not nodes', peers: [podPeer(ALL)], other: '192.168.0.2', allowed: false },
  // namespaceSelector alone
  { name: 'namespaceSelector alone: any pod of a matching namespace', peers: [nsPeer(sel({ team: 'a' }))], other: 'front/other', allowed: true },
  { name: 'namespaceSelector alone: pods of a non-matching namespace', peers: [nsPeer(sel({ team: 'a' }))], other: 'batch/web', allowed: false },
  { name: 'namespaceSelector alone: the policy namespace only if it matches', peers: [nsPeer(sel({ team: 'a' }))], other: 'api/peer', allowed: false },
  { name: 'namespaceSelector {}: every namespace', peers: [nsPeer(ALL)], other: 'batch/web', allowed: true },
  { name: 'namespaceSelector {}: the policy namespace too', peers: [nsPeer(ALL)], other: 'api/peer', allowed: true },
  { name: 'namespaceSelector {}: not outside addresses', peers: [nsPeer(ALL)], other: '203.0.113.7', allowed: false },
  { name: 'namespaceSelector {}: not nodes', peers: [nsPeer(ALL)], other: '192.168.0.2', allowed: false },
  { name: 'namespaceSelector by kubernetes.io/metadata.name', peers: [nsPeer(sel({ 'kubernetes.io/metadata.name': 'batch' }))], other: 'batch/web', allowed: true },
  // null vs {} in a peer with both fields
  { name: 'namespaceSelector {} + podSelector: matching pod in any namespace', peers: [andPeer(ALL, sel({ app: 'web' }))], other: 'batch/web', allowed: true },
  { name: 'namespaceSelector {} + podSelector: non-matching pod', peers: [andPeer(ALL, sel({ app: 'web' }))], other: 'front/other', allowed: false },
  { name: 'namespaceSelector + podSelector {}: all pods of the matching namespaces', peers: [andPeer(sel({ team: 'b' }), ALL)], other: 'batch/web', allowed: true },
  { name: 'namespaceSelector + podSelector {}: not other namespaces', peers: [andPeer(sel({ team: 'b' }), ALL)], other: 'front/web', allowed: false },
  // AND peer vs two OR peers
  { name: 'AND peer: pod matches, namespace matches', peers: [andPeer(sel({ team: 'a' }), sel({ app: 'web' }))], other: 'front/web', allowed: true },
  { name: 'AND peer: namespace matches, pod does not', peers: [andPeer(sel({ team: 'a' }), sel({ app: 'web' }))], other: 'front/other', allowed: false },
  { name: 'AND peer: pod matches, namespace does not', peers: [andPeer(sel({ team: 'a' }), sel({ app: 'web' }))], other: 'batch/web', allowed: false },
  { name: 'AND peer: pod matches in the policy namespace, which does not match', peers: [andPeer(sel({ team: 'a' }), sel({ app: 'web' }))], other: 'api/web', allowed: false },
  { name: 'OR peers: namespace matches, pod does not', peers: [nsPeer(sel({ team: 'a' })), podPeer(sel({ app: 'web' }))], other: 'front/other', allowed: true },
  { name: 'OR peers: pod label matches in the policy namespace', peers: [nsPeer(sel({ team: 'a' })), podPeer(sel({ app: 'web' }))], other: 'api/web', allowed: true },
  { name: 'OR peers: pod label matches in a third namespace (podSelector is own-namespace)', peers: [nsPeer(sel({ team: 'a' })), podPeer(sel({ app: 'web' }))], other: 'batch/web', allowed: false },
  // ipBlock, IPv4
  { name: 'ipBlock: outside address inside cidr', peers: [ipBlock('203.0.113.0/24')], other: '203.0.113.7', allowed: true },
  { name: 'ipBlock: outside address outside cidr', peers: [ipBlock('203.0.113.0/24')], other: '198.51.100.7', allowed: false },
  { name: 'ipBlock: first address of the cidr', peers: [ipBlock('203.0.113.0/24')], other: '203.0.113.0', allowed: true },
  { name: 'ipBlock: last address of the cidr', peers: [ipBlock('203.0.113.0/24')], other: '203.0.113.255', allowed: true },
  { name: 'ipBlock: just past the cidr', peers: [ipBlock('203.0.113.0/24')], other: '203.0.114.0', allowed: false },
  { name: 'ipBlock: /32', peers: [ipBlock('203.0.113.7/32')], other: '203.0.113.7', allowed: true },
  { name: 'ipBlock: 0.0.0.0/0 matches everything IPv4', peers: [ipBlock('0.0.0.0/0')], other: '8.8.8.8', allowed: true },
  { name: 'ipBlock except: address in the except', peers: [ipBlock('203.0.113.0/24', '203.0.113.0/28')], other: '203.0.113.7', allowed: false },
  { name: 'ipBlock except: address outside the except', peers: [ipBlock('203.0.113.0/24', '203.0.113.0/28')], other: '203.0.113.16', allowed: true },
  { name: 'ipBlock except: second except entry', peers: [ipBlock('203.0.113.0/24', '203.0.113.0/28', '203.0.113.128/25')], other: '203.0.113.200', allowed: false },
  { name: 'ipBlock except /32', peers: [ipBlock('0.0.0.0/0', '169.254.169.254/32')], other: '169.254.169.254', allowed: false },
  { name: 'ipBlock except /32: neighbour allowed', peers: [ipBlock('0.0.0.0/0', '169.254.169.254/32')], other: '169.254.169.253', allowed: true },
  // ipBlock, IPv6
  { name: 'ipBlock IPv6: address inside', peers: [ipBlock('2001:db8::/32')], other: '2001:db8:1::7', allowed: true },
  { name: 'ipBlock IPv6: address outside', peers: [ipBlock('2001:db8::/32')], other: '2001:db9::7', allowed: false },
  { name: 'ipBlock IPv6: except', peers: [ipBlock('2001:db8::/32', '2001:db8:1::/48')], other: '2001:db8:1::7', allowed: false },
  { name: 'ipBlock IPv6: outside the except', peers: [ipBlock('2001:db8::/32', '2001:db8:1::/48')], other: '2001:db8:2::7', allowed: true },
  { name: 'ipBlock ::/0 does not match IPv4', peers: [ipBlock('::/0')], other: '8.8.8.8', allowed: false },
  { name: 'ipBlock 0.0.0.0/0 does not match IPv6', peers: [ipBlock('0.0.0.0/0')], other: '2001:db8::7', allowed: false },
  // ipBlock and pods
  { name: 'ipBlock matches a pod address', peers: [ipBlock('10.244.2.0/24')], other: 'front/other', allowed: true },
  { name: 'ipBlock except excludes a pod address', peers: [ipBlock('10.244.0.0/16', '10.244.2.0/24')], other: 'front/other', allowed: false },
  { name: 'ipBlock IPv6 matches a dual-stack pod by its IPv6 address', peers: [ipBlock('fd00::/64')], other: 'front/web@6', allowed: true },
  { name: 'ipBlock IPv4 does not match the same pod by its IPv6 address', peers: [ipBlock('10.244.0.0/16')], other: 'front/web@6', allowed: false },
  { name: 'ipBlock IPv6 does not match the pod by its IPv4 address', peers: [ipBlock('fd00::/64')], other: 'front/web@4', allowed: false },
  { name: 'ipBlock matches a node address', peers: [ipBlock('192.168.0.0/24')], other: '192.168.0.2', allowed: true },
  // selector peers for dual-stack pods: both families
  { name: 'podSelector matches a pod by its IPv6 address', peers: [podPeer(sel({ app: 'peer' }))], other: 'api/peer@6', allowed: true },
  { name: 'namespaceSelector matches a pod by its IPv6 address', peers: [nsPeer(sel({ team: 'a' }))], other: 'front/web@6', allowed: true },
];

/** The subject end in the same family as the other end. */
function subjectFor(other: string): string {
  const v6 = other.endsWith('@6') || (!other.includes('/') && other.includes(':'));
  return v6 ? 'api/api@6' : 'api/api@4';
}

describe('ingress peers (from)', () => {
  it.each(rows)('$name', ({ peers, other, allowed }) => {
    const w = ingressWorld(rule(peers));
    expect(w.allows(other, subjectFor(other), 'TCP', 80)).toBe(allowed);
    expect(w.evaluate(other, subjectFor(other), 'TCP', 80).ingress.allowed).toBe(allowed);
  });
});

describe('egress peers (to)', () => {
  it.each(rows)('$name', ({ peers, other, allowed }) => {
    const w = egressWorld(rule(peers));
    expect(w.allows(subjectFor(other), other, 'TCP', 80)).toBe(allowed);
    expect(w.evaluate(subjectFor(other), other, 'TCP', 80).egress.allowed).toBe(allowed);
  });
});

describe('peers refer to namespaces by their labels at evaluation time', () => {
  it.each([
    { name: 'namespace object missing: only its name label exists', labelled: false, allowed: false },
    { name: 'namespace object present with the label', labelled: true, allowed: true },
  ])('$name', ({ labelled, allowed }) => {
    const w = world({
      namespaces: labelled ? [ns('ghost', { team: 'a' })] : [],
      pods: [pod('api/api', { app: 'api' }), pod('ghost/x', {})],
      policies: [policy('api/p', { ingress: [rule([nsPeer(sel({ team: 'a' }))])] })],
    });
    expect(w.allows('ghost/x', 'api/api', 'TCP', 80)).toBe(allowed);
  });

  it('a namespace without a Namespace object still has kubernetes.io/metadata.name', () => {
    const w = world({
      pods: [pod('api/api', { app: 'api' }), pod('ghost/x', {})],
      policies: [policy('api/p', { ingress: [rule([nsPeer(sel({ 'kubernetes.io/metadata.name': 'ghost' }))])] })],
    });
    // objects() adds Namespace objects for named namespaces; ask the state about one that has none.
    expect(w.state.namespaceLabels('nowhere')).toEqual({ 'kubernetes.io/metadata.name': 'nowhere' });
    expect(w.allows('ghost/x', 'api/api', 'TCP', 80)).toBe(true);
  });
});
