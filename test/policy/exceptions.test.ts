// Flows that policy does not decide, and ends that take no part in policy:
// a pod reaching itself; a pod and its own node (but not another node);
// host-network pods (node addresses: never isolated, matched only by
// ipBlock); pods without an address or finished; ICMP.
import { describe, expect, it } from 'vitest';
import type { NetworkPolicy } from '../../src/model/types.ts';
import type { Decider } from '../../src/policy/trace.ts';
import { podEndpoint } from '../../src/policy/endpoint.ts';
import {
  ALL, denyAll, ipBlock, node, ns, nsPeer, pod, podPeer, policy, rule, tcp, world,
} from '../generators/cluster-builders.ts';

const nodes = [node('n1', ['192.168.0.1', 'fd00:ffff::1']), node('n2', ['192.168.0.2'])];
const pods = [
  pod('shop/a', { app: 'a' }, { ips: ['10.244.1.1', 'fd00::1:1'], node: 'n1' }),
  pod('shop/b', { app: 'b' }, { ips: ['10.244.2.1'], node: 'n2' }),
  pod('shop/nowhere', { app: 'c' }, { ips: ['10.244.3.1'] }),
  pod('shop/on-n3', { app: 'c' }, { ips: ['10.244.3.2'], node: 'n3' }),
  pod('open/o', { app: 'o' }, { ips: ['10.244.1.9'], node: 'n1' }),
  pod('kube-system/agent-n1', { app: 'agent' }, { ips: ['192.168.0.1'], node: 'n1', hostNetwork: true }),
  pod('kube-system/agent-n2', { app: 'agent' }, { ips: ['192.168.0.2'], node: 'n2', hostNetwork: true }),
  pod('kube-system/agent-n3', { app: 'agent' }, { ips: ['192.168.0.3'], node: 'n3', hostNetwork: true }),
  pod('shop/done', { app: 'a' }, { ips: ['10.244.9.1'], node: 'n1', phase: 'Succeeded' }),
  pod('shop/failed', { app: 'a' }, { ips: ['10.244.9.2'], node: 'n1', phase: 'Failed' }),
  pod('shop/pending', { app: 'a' }, { ips: ['10.244.9.3'], node: 'n2', phase: 'Pending' }),
  pod('shop/unscheduled', { app: 'a' }, { ips: [], phase: 'Pending' }),
];
const namespaces = [ns('shop'), ns('open'), ns('kube-system')];
const denyShop = denyAll('shop/deny-all');
const denySystem = denyAll('kube-system/deny-all');

interface Row {
  name: string;
  policies: NetworkPolicy[];
  from: string;
  to: string;
  protocol?: string;
  port?: number;
  allowed: boolean;
  decidedBy?: Decider;
}

const rows: Row[] = [
  // self
  { name: 'a pod reaches itself under deny-all', policies: [denyShop], from: 'shop/a', to: 'shop/a', allowed: true, decidedBy: 'self' },
  { name: 'a pod reaches itself on UDP under deny-all', policies: [denyShop], from: 'shop/a', to: 'shop/a', protocol: 'UDP', port: 53, allowed: true, decidedBy: 'self' },
  { name: 'a pod reaches itself over IPv6 under deny-all', policies: [denyShop], from: 'shop/a@6', to: 'shop/a@6', allowed: true, decidedBy: 'self' },
  { name: 'a pod reaches itself by address', policies: [denyShop], from: '10.244.1.1', to: '10.244.1.1', allowed: true, decidedBy: 'self' },
  { name: 'another pod of the same namespace is denied', policies: [denyShop], from: 'shop/a', to: 'shop/b', allowed: false, decidedBy: 'policy' },
  // own node vs other node
  { name: 'pod -> its own node under deny-all', policies: [denyShop], from: 'shop/a', to: '192.168.0.1', allowed: true, decidedBy: 'node' },
  { name: 'own node -> pod under deny-all', policies: [denyShop], from: '192.168.0.1', to: 'shop/a', allowed: true, decidedBy: 'node' },
  { name: 'pod -> its own node by the node\'s IPv6 address', policies: [denyShop], from: 'shop/a@6', to: 'fd00:ffff::1', allowed: true, decidedBy: 'node' },
  { name: 'own node -> pod on UDP', policies: [denyShop], from: '192.168.0.1', to: 'shop/a', protocol: 'UDP', port: 53, allowed: true, decidedBy: 'node' },
  { name: 'pod -> another node under deny-all', policies: [denyShop], from: 'shop/a', to: '192.168.0.2', allowed: false, decidedBy: 'policy' },
  { name: 'another node -> pod under deny-all', policies: [denyShop], from: '192.168.0.2', to: 'shop/a', allowed: false, decidedBy: 'policy' },
  { name: 'pod -> host-network pod on its node', policies: [denyShop], from: 'shop/a', to: 'kube-system/agent-n1', allowed: true, decidedBy: 'node' },
  { name: 'host-network pod on its node -> pod', policies: [denyShop], from: 'kube-system/agent-n1', to: 'shop/a', allowed: true, decidedBy: 'node' },
  { name: 'host-network pod on another node -> pod', policies: [denyShop], from: 'kube-system/agent-n2', to: 'shop/a', allowed: false, decidedBy: 'policy' },
  { name: 'host-network pod on a node without Node object -> pod on the same node name', policies: [denyShop], from: 'kube-system/agent-n3', to: 'shop/on-n3', allowed: true, decidedBy: 'node' },
  { name: 'host-network pod on a node without Node object -> pod on another node', policies: [denyShop], from: 'kube-system/agent-n3', to: 'shop/a', allowed: false, decidedBy: 'policy' },
  { name: 'pod with no nodeName -> a node: subject to policy', policies: [denyShop], from: 'shop/nowhere', to: '192.168.0.1', allowed: false, decidedBy: 'policy' },
  { name: 'another node -> pod, allowed by an ipBlock', policies: [denyShop, policy('shop/nodes', { ingress: [rule([ipBlock('192.168.0.0/24')])] })], from: '192.168.0.2', to: 'shop/a', allowed: true, decidedBy: 'policy' },
  // host-network pods are never isolated
  { name: 'host-network pod egress: deny-all in its namespace does not isolate it', policies: [denySystem], from: 'kube-system/agent-n2', to: 'open/o', allowed: true },
  { name: 'host-network pod ingress: deny-all in its namespace does not isolate it', policies: [denySystem], from: 'open/o', to: 'kube-system/agent-n2', allowed: true },
  { name: 'host-network pod ingress from outside', policies: [denySystem], from: '203.0.113.1', to: 'kube-system/agent-n2', allowed: true },
  // host-network pods are matched as node addresses
  { name: 'podSelector {} does not match a host-network pod of the policy namespace', policies: [policy('kube-system/p', { podSelector: ALL, ingress: [] }), policy('shop/in', { ingress: [rule([nsPeer(ALL)])] })], from: 'kube-system/agent-n2', to: 'shop/a', allowed: false },
  { name: 'podSelector does not match a host-network pod (same namespace)', policies: [denySystem, policy('kube-system/nothing', { ingress: [] })], from: 'kube-system/agent-n2', to: 'open/o', allowed: true },
  { name: 'peer podSelector does not match a host-network pod', policies: [policy('kube-system/in', { podSelector: ALL, policyTypes: ['Egress'], egress: [rule([podPeer(ALL)])] }), policy('open/in', { ingress: [rule([nsPeer(ALL)])] })], from: 'kube-system/agent-n2', to: 'open/o', allowed: false },
  { name: 'ipBlock matches a host-network pod', policies: [policy('open/in', { ingress: [rule([ipBlock('192.168.0.2/32')])] })], from: 'kube-system/agent-n2', to: 'open/o', allowed: true },
  // finished pods and pods without address
  { name: 'finished pod\'s old address is not matched by a podSelector', policies: [policy('shop/in', { podSelector: { matchLabels: { app: 'b' }, matchExpressions: [] }, ingress: [rule([podPeer(ALL)])] })], from: '10.244.9.1', to: 'shop/b', allowed: false },
  { name: 'failed pod\'s old address is not matched by a namespaceSelector', policies: [policy('shop/in', { podSelector: { matchLabels: { app: 'b' }, matchExpressions: [] }, ingress: [rule([nsPeer(ALL)])] })], from: '10.244.9.2', to: 'shop/b', allowed: false },
  { name: 'finished pod\'s old address is matched by an ipBlock like any address', policies: [policy('shop/in', { podSelector: { matchLabels: { app: 'b' }, matchExpressions: [] }, ingress: [rule([ipBlock('10.244.9.0/24')])] })], from: '10.244.9.1', to: 'shop/b', allowed: true },
  { name: 'a Pending pod with an address does take part', policies: [policy('shop/in', { podSelector: { matchLabels: { app: 'b' }, matchExpressions: [] }, ingress: [rule([podPeer(ALL)])] })], from: 'shop/pending', to: 'shop/b', allowed: true },
  { name: 'traffic to a finished pod\'s old address is not isolated by the finished pod\'s policies', policies: [denyShop], from: 'open/o', to: '10.244.9.1', allowed: true },
  // ICMP for an isolated pod
  { name: 'ICMP to an isolated pod: rule without ports allows', policies: [policy('shop/in', { ingress: [rule([nsPeer(ALL)])] })], from: 'open/o', to: 'shop/b', protocol: 'ICMP', allowed: true },
  { name: 'ICMP to an isolated pod: rule with a TCP port does not', policies: [policy('shop/in', { ingress: [rule([nsPeer(ALL)], [tcp(80)])] })], from: 'open/o', to: 'shop/b', protocol: 'ICMP', allowed: false },
  { name: 'ICMP to an isolated pod: rule with a portless TCP entry does not', policies: [policy('shop/in', { ingress: [rule([nsPeer(ALL)], [tcp()])] })], from: 'open/o', to: 'shop/b', protocol: 'ICMP', allowed: false },
  { name: 'ICMP from an egress-isolated pod: rule without ports allows', policies: [policy('shop/out', { policyTypes: ['Egress'], egress: [rule([ipBlock('0.0.0.0/0')])] })], from: 'shop/b', to: '8.8.8.8', protocol: 'ICMP', allowed: true },
  { name: 'ICMP to a pod nobody isolates', policies: [denyShop], from: 'open/o', to: 'kube-system/agent-n2', protocol: 'ICMP', allowed: true },
];

describe('exceptions and non-participants', () => {
  it.each(rows)('$name', (row) => {
    const w = world({ namespaces, nodes, pods, policies: row.policies });
    const protocol = row.protocol ?? 'TCP';
    const port = row.protocol === 'ICMP' ? undefined : (row.port ?? 80);
    expect(w.allows(row.from, row.to, protocol, port)).toBe(row.allowed);
    const v = w.evaluate(row.from, row.to, protocol, port);
    expect(v.allowed).toBe(row.allowed);
    if (row.decidedBy) expect(v.decidedBy).toBe(row.decidedBy);
  });
});

describe('what each address is', () => {
  const w = world({ namespaces, nodes, pods });
  it.each([
    { ip: '10.244.1.1', kind: 'pod', pod: 'shop/a' },
    { ip: 'fd00::1:1', kind: 'pod', pod: 'shop/a' },
    { ip: '10.244.9.3', kind: 'pod', pod: 'shop/pending' },
    { ip: '10.244.9.1', kind: 'external', pod: undefined },
    { ip: '10.244.9.2', kind: 'external', pod: undefined },
    { ip: '192.168.0.1', kind: 'node', pod: 'kube-system/agent-n1' },
    { ip: '192.168.0.3', kind: 'node', pod: 'kube-system/agent-n3' },
    { ip: 'fd00:ffff::1', kind: 'node', pod: undefined },
    { ip: '203.0.113.1', kind: 'external', pod: undefined },
  ])('$ip is $kind', ({ ip, kind, pod: p }) => {
    const e = w.endpoint(ip);
    expect(e.kind).toBe(kind);
    const found = e.kind === 'pod' ? e.pod : e.kind === 'node' ? e.hostPod : undefined;
    expect(found ? `${found.namespace}/${found.name}` : undefined).toBe(p);
  });

  it.each([
    { ref: 'shop/done', ip: '10.244.9.1' },
    { ref: 'shop/failed', ip: '10.244.9.2' },
    { ref: 'kube-system/agent-n1', ip: '192.168.0.1' },
  ])('podAt($ip) is undefined for $ref', ({ ip }) => {
    expect(w.state.podAt(ip)).toBeUndefined();
  });

  it.each([
    { ref: 'shop/done', endpoint: undefined },
    { ref: 'shop/failed', endpoint: undefined },
    { ref: 'shop/unscheduled', endpoint: undefined },
    { ref: 'shop/pending', endpoint: 'pod' },
    { ref: 'kube-system/agent-n1', endpoint: 'node' },
  ])('podEndpoint($ref) is $endpoint', ({ ref, endpoint }) => {
    expect(podEndpoint(w.pod(ref))?.kind).toBe(endpoint);
  });

  it('finished and address-less pods are not listed as participating', () => {
    const names = [...w.state.participatingPods()].map((p) => `${p.namespace}/${p.name}`).sort();
    expect(names).toEqual(['open/o', 'shop/a', 'shop/b', 'shop/nowhere', 'shop/on-n3', 'shop/pending']);
  });

  it('a host-network pod is never isolated', () => {
    const ww = world({ namespaces, nodes, pods, policies: [denySystem] });
    expect(ww.engine.isIsolated(ww.pod('kube-system/agent-n1'), 'ingress')).toBe(false);
    expect(ww.engine.isIsolated(ww.pod('kube-system/agent-n1'), 'egress')).toBe(false);
  });
});

// An address inside a node's pod CIDR that no known pod holds is a pod
// nftpol has not seen yet: it fails closed on it (the ruleset drops it on that
// node), whatever the policies would say; the node itself still reaches it.
describe('unknown pods: addresses in a node\'s pod CIDR that no known pod holds', () => {
  const cidrNodes = [node('n1', ['192.168.0.1'], ['10.244.1.0/24']), node('n2', ['192.168.0.2'], ['10.244.2.0/24'])];
  const cidrPods = [
    pod('shop/a', { app: 'a' }, { ips: ['10.244.1.1'], node: 'n1' }),
    pod('open/o', { app: 'o' }, { ips: ['10.244.2.9'], node: 'n2' }),
    pod('shop/done', { app: 'a' }, { ips: ['10.244.1.50'], node: 'n1', phase: 'Succeeded' }),
  ];
  const allowAll = policy('shop/all', { ingress: [rule([ipBlock('0.0.0.0/0')])] });
  it.each([
    { name: 'from an unknown pod to an open pod', from: '10.244.1.99', to: 'open/o', allowed: false, decidedBy: 'unknown-pod' },
    { name: 'from a pod to an unknown pod of another node', from: 'shop/a', to: '10.244.2.99', allowed: false, decidedBy: 'unknown-pod' },
    { name: 'even when an ipBlock admits it', from: '10.244.1.99', to: 'shop/a', allowed: false, decidedBy: 'unknown-pod' },
    { name: 'a finished pod\'s old address counts as unknown', from: '10.244.1.50', to: 'open/o', allowed: false, decidedBy: 'unknown-pod' },
    { name: 'its own node reaches it', from: '192.168.0.1', to: '10.244.1.99', allowed: true, decidedBy: 'node' },
    { name: 'an address outside every pod CIDR is just outside', from: '10.244.3.1', to: 'shop/a', allowed: true, decidedBy: 'policy' },
  ] as const)('$name', ({ from, to, allowed, decidedBy }) => {
    const w = world({ namespaces, nodes: cidrNodes, pods: cidrPods, policies: [allowAll] });
    const v = w.evaluate(from, to, 'TCP', 80);
    expect(w.allows(from, to, 'TCP', 80)).toBe(allowed);
    expect(v.allowed).toBe(allowed);
    expect(v.decidedBy).toBe(decidedBy);
  });

  it('says which node\'s pod CIDR holds the address', () => {
    const w = world({ namespaces, nodes: cidrNodes, pods: cidrPods });
    const e = w.endpoint('10.244.2.99');
    expect(e).toMatchObject({ kind: 'external', unknownPodOn: 'n2' });
    expect(w.evaluate('shop/a', '10.244.2.99', 'TCP', 80).flow.to).toEqual({ kind: 'external', ip: '10.244.2.99', unknownPodOn: 'n2' });
  });
});
