// Cluster-wide policy in the engine, case by case (docs/cluster-network-policy.md):
// the order of tiers, priorities and rules; Pass; NetworkPolicy isolation
// between the tiers; the pod-node rule below Admin; each peer and port kind;
// rules failing closed; and what the trace says.
import { describe, expect, it } from 'vitest';
import type { ClusterPolicy, NetworkPolicy } from '../../src/model/types.ts';
import { ALL, cport, denyAll, node, ns, nsPeer, pod, policy, rule, sel, world } from '../generators/cluster-builders.ts';
import {
  accept, anp, banp, cnp, deny, domainNames, namedPort, networks, nodesPeer, nsPeerOf, nsSubject, pass, podsPeerOf, podsSubject, portOf,
} from '../generators/cluster-policies.ts';

const nodes = [{ ...node('n1', ['192.168.0.1']), labels: { zone: 'a' } }, { ...node('n2', ['192.168.0.2']), labels: { zone: 'b' } }];
const pods = [
  pod('shop/web', { app: 'web' }, { ips: ['10.244.1.1'], node: 'n1', ports: [cport('http', 8080)] }),
  pod('shop/db', { app: 'db' }, { ips: ['10.244.2.1'], node: 'n2', ports: [cport('sql', 5432)] }),
  pod('mon/prom', { app: 'prom' }, { ips: ['10.244.1.2'], node: 'n1' }),
  pod('kube-system/agent-n1', { app: 'agent' }, { ips: ['192.168.0.1'], node: 'n1', hostNetwork: true }),
];
const namespaces = [ns('shop', { team: 'shop' }), ns('mon', { team: 'mon' }), ns('kube-system')];
const shop = sel({ team: 'shop' });
const mon = sel({ team: 'mon' });

interface Row {
  name: string;
  cluster: ClusterPolicy[];
  policies?: NetworkPolicy[];
  from: string;
  to: string;
  protocol?: string;
  port?: number;
  allowed: boolean;
  /** The tier that decided the direction whose end is `side` ('egress' of from, 'ingress' of to). */
  side?: 'egress' | 'ingress';
  tier?: string;
  by?: string;
}

const allowAllNp = policy('shop/allow-all', { ingress: [rule()] });

const rows: Row[] = [
  // tiers in order
  { name: 'Admin Deny beats a NetworkPolicy that allows', cluster: [cnp('block-mon', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)])] })], policies: [allowAllNp], from: 'mon/prom', to: 'shop/web', allowed: false, side: 'ingress', tier: 'Admin', by: 'cnp/block-mon' },
  { name: 'Admin Accept beats a NetworkPolicy that denies', cluster: [cnp('let-mon', { subject: nsSubject(shop), ingress: [accept([nsPeerOf(mon)])] })], policies: [denyAll('shop/deny')], from: 'mon/prom', to: 'shop/web', allowed: true, side: 'ingress', tier: 'Admin', by: 'cnp/let-mon' },
  { name: 'Admin Pass hands the direction to NetworkPolicy', cluster: [cnp('delegate', { subject: nsSubject(shop), ingress: [pass([nsPeerOf(mon)]), deny([nsPeerOf(ALL)])] })], policies: [allowAllNp], from: 'mon/prom', to: 'shop/web', allowed: true, side: 'ingress', tier: 'NetworkPolicy' },
  { name: 'Admin Pass skips later Admin policies too', cluster: [cnp('a-pass', { priority: 1, subject: nsSubject(shop), ingress: [pass([nsPeerOf(mon)])] }), cnp('b-deny', { priority: 2, subject: nsSubject(shop), ingress: [deny([nsPeerOf(ALL)])] })], from: 'mon/prom', to: 'shop/web', allowed: true, side: 'ingress', tier: 'default' },
  { name: 'Baseline decides for a pod no NetworkPolicy isolates', cluster: [banp({ subject: nsSubject(ALL), ingress: [deny([nsPeerOf(ALL)])] })], from: 'mon/prom', to: 'shop/web', allowed: false, side: 'ingress', tier: 'Baseline', by: 'banp/default' },
  { name: 'Baseline does not apply to a pod NetworkPolicy isolates', cluster: [banp({ subject: nsSubject(ALL), ingress: [deny([nsPeerOf(ALL)])] })], policies: [allowAllNp], from: 'mon/prom', to: 'shop/web', allowed: true, side: 'ingress', tier: 'NetworkPolicy' },
  { name: 'Baseline still applies in the direction NetworkPolicy does not isolate', cluster: [banp({ subject: nsSubject(ALL), egress: [deny([nsPeerOf(mon)])] })], policies: [allowAllNp], from: 'shop/web', to: 'mon/prom', allowed: false, side: 'egress', tier: 'Baseline' },
  { name: 'Baseline Pass leaves the default: allow', cluster: [cnp('base', { tier: 'Baseline', subject: nsSubject(ALL), ingress: [pass([nsPeerOf(mon)]), deny([nsPeerOf(ALL)])] })], from: 'mon/prom', to: 'shop/web', allowed: true, side: 'ingress', tier: 'default' },
  // priorities and rule order
  { name: 'lower priority number first', cluster: [cnp('z-allow', { priority: 1, subject: nsSubject(shop), ingress: [accept([nsPeerOf(mon)])] }), cnp('a-deny', { priority: 2, subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)])] })], from: 'mon/prom', to: 'shop/web', allowed: true, side: 'ingress', by: 'cnp/z-allow' },
  { name: 'equal priorities: by name', cluster: [cnp('b-allow', { priority: 5, subject: nsSubject(shop), ingress: [accept([nsPeerOf(mon)])] }), cnp('a-deny', { priority: 5, subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)])] })], from: 'mon/prom', to: 'shop/web', allowed: false, side: 'ingress', by: 'cnp/a-deny' },
  { name: 'equal priority and name: ClusterNetworkPolicy before AdminNetworkPolicy', cluster: [anp('same', { priority: 5, subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)])] }), cnp('same', { priority: 5, subject: nsSubject(shop), ingress: [accept([nsPeerOf(mon)])] })], from: 'mon/prom', to: 'shop/web', allowed: true, side: 'ingress', by: 'cnp/same' },
  { name: 'first matching rule of a policy decides', cluster: [cnp('ordered', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)], [portOf('TCP', 80)]), accept([nsPeerOf(mon)])] })], from: 'mon/prom', to: 'shop/web', port: 80, allowed: false, side: 'ingress', by: 'cnp/ordered' },
  { name: 'a rule whose port does not match is skipped', cluster: [cnp('ordered', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)], [portOf('TCP', 80)]), accept([nsPeerOf(mon)])] })], policies: [denyAll('shop/deny')], from: 'mon/prom', to: 'shop/web', port: 81, allowed: true, side: 'ingress', by: 'cnp/ordered' },
  // subjects
  { name: 'a pods subject selects by namespace AND pod labels', cluster: [cnp('db-only', { subject: podsSubject(shop, sel({ app: 'db' })), ingress: [deny([nsPeerOf(ALL)])] })], from: 'mon/prom', to: 'shop/web', allowed: true },
  { name: 'a pods subject selects its pod', cluster: [cnp('db-only', { subject: podsSubject(shop, sel({ app: 'db' })), ingress: [deny([nsPeerOf(ALL)])] })], from: 'mon/prom', to: 'shop/db', allowed: false, side: 'ingress', tier: 'Admin' },
  { name: 'host-network pods are never subjects', cluster: [cnp('all', { subject: nsSubject(ALL), egress: [deny([networks('0.0.0.0/0')])] })], from: 'kube-system/agent-n1', to: 'shop/db', allowed: true },
  // peers
  { name: 'namespaces peers do not match host-network pods', cluster: [cnp('all', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(ALL)])] })], from: 'kube-system/agent-n1', to: 'shop/db', allowed: true },
  { name: 'pods peers match by both selectors', cluster: [cnp('x', { subject: nsSubject(shop), egress: [deny([podsPeerOf(mon, sel({ app: 'prom' }))])] })], from: 'shop/db', to: 'mon/prom', allowed: false, side: 'egress', tier: 'Admin' },
  { name: 'networks peers match pod addresses too', cluster: [cnp('x', { subject: nsSubject(shop), egress: [deny([networks('10.244.0.0/16')])] })], from: 'shop/db', to: 'mon/prom', allowed: false, side: 'egress', tier: 'Admin' },
  { name: 'nodes peers match a node address by node labels', cluster: [cnp('x', { subject: nsSubject(shop), egress: [deny([nodesPeer(sel({ zone: 'b' }))])] })], from: 'shop/web', to: '192.168.0.2', allowed: false, side: 'egress', tier: 'Admin' },
  { name: 'nodes peers match a host-network pod by its node', cluster: [cnp('x', { subject: nsSubject(shop), egress: [deny([nodesPeer(sel({ zone: 'a' }))])] })], from: 'shop/db', to: 'kube-system/agent-n1', allowed: false, side: 'egress', tier: 'Admin' },
  { name: 'nodes peers do not match a node whose labels differ', cluster: [cnp('x', { subject: nsSubject(shop), egress: [deny([nodesPeer(sel({ zone: 'b' }))])] })], from: 'shop/db', to: '192.168.0.1', allowed: true },
  { name: 'domainNames are not enforced: an Accept on them allows nothing', cluster: [cnp('x', { subject: nsSubject(shop), egress: [accept([domainNames('example.com')]), deny([networks('0.0.0.0/0')])] })], from: 'shop/db', to: '203.0.113.9', allowed: false, side: 'egress', by: 'cnp/x' },
  // ports
  { name: 'a range matches inside it', cluster: [cnp('x', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)], [portOf('TCP', 8000, 8100)])] })], from: 'mon/prom', to: 'shop/web', port: 8100, allowed: false },
  { name: 'a range does not match outside it', cluster: [cnp('x', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)], [portOf('TCP', 8000, 8100)])] })], from: 'mon/prom', to: 'shop/web', port: 8101, allowed: true },
  { name: 'a named port resolves on the destination pod', cluster: [cnp('x', { subject: nsSubject(mon), egress: [deny([nsPeerOf(shop)], [namedPort('http')])] })], from: 'mon/prom', to: 'shop/web', port: 8080, allowed: false },
  { name: 'a named port the destination does not declare matches nothing', cluster: [cnp('x', { subject: nsSubject(mon), egress: [deny([nsPeerOf(shop)], [namedPort('http')])] })], from: 'mon/prom', to: 'shop/db', port: 8080, allowed: true },
  { name: 'no ports: ICMP too', cluster: [cnp('x', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)])] })], from: 'mon/prom', to: 'shop/web', protocol: 'ICMP', allowed: false },
  { name: 'a TCP port rule does not match ICMP', cluster: [cnp('x', { subject: nsSubject(shop), ingress: [deny([nsPeerOf(mon)], [portOf('TCP', 80)])] })], from: 'mon/prom', to: 'shop/web', protocol: 'ICMP', allowed: true },
  // a pod and its own node
  { name: 'Admin Deny of networks cuts a pod off its own node', cluster: [cnp('x', { subject: nsSubject(shop), egress: [deny([networks('192.168.0.0/24')])] })], from: 'shop/web', to: 'kube-system/agent-n1', allowed: false, side: 'egress', tier: 'Admin' },
  { name: 'Baseline Deny of nodes cuts an unisolated pod off its own node', cluster: [banp({ subject: nsSubject(shop), egress: [deny([nodesPeer(ALL)])] })], from: 'shop/web', to: '192.168.0.1', allowed: false, side: 'egress', tier: 'Baseline' },
  { name: 'but NetworkPolicy keeps a pod and its own node talking, so Baseline does not apply', cluster: [banp({ subject: nsSubject(shop), egress: [deny([nodesPeer(ALL)])] })], policies: [denyAll('shop/deny')], from: 'shop/web', to: '192.168.0.1', allowed: true },
  { name: 'Admin Pass to a default-deny NetworkPolicy: the pod still reaches its node', cluster: [cnp('x', { subject: nsSubject(shop), egress: [pass([nodesPeer(ALL)])] })], policies: [denyAll('shop/deny')], from: 'shop/web', to: '192.168.0.1', allowed: true },
  // failing closed
  { name: 'a Deny rule with errors denies everything', cluster: [cnp('broken', { subject: nsSubject(shop), ingress: [{ action: 'Deny', peers: [networks('0.0.0.0/0', '::/0')], ports: [], failClosed: true }] })], from: 'mon/prom', to: 'shop/web', allowed: false, side: 'ingress', tier: 'Admin' },
  { name: 'an Accept rule with errors matches nothing', cluster: [cnp('broken', { subject: nsSubject(shop), ingress: [{ action: 'Accept', peers: [], ports: [], failClosed: true }] })], policies: [denyAll('shop/deny')], from: 'mon/prom', to: 'shop/web', allowed: false, side: 'ingress', tier: 'NetworkPolicy' },
];

describe('cluster-wide policy tiers', () => {
  it.each(rows)('$name', (row) => {
    const w = world({ namespaces, nodes, pods, policies: row.policies ?? [], clusterPolicies: row.cluster });
    const protocol = row.protocol ?? 'TCP';
    const port = protocol === 'ICMP' ? undefined : (row.port ?? 80);
    expect(w.allows(row.from, row.to, protocol, port)).toBe(row.allowed);
    const v = w.evaluate(row.from, row.to, protocol, port);
    expect(v.allowed).toBe(row.allowed);
    if (row.side !== undefined) {
      const d = v[row.side];
      if (row.tier !== undefined) expect(d.tier).toBe(row.tier);
      if (row.by !== undefined) expect(d.decision?.policy).toBe(row.by);
    }
  });
});

describe('the trace across tiers', () => {
  const cluster = [
    cnp('delegate', { priority: 1, subject: nsSubject(shop), ingress: [accept([nsPeerOf(shop)], [], 'same team'), pass([nsPeerOf(mon)], [], 'monitoring: up to the team')] }),
    cnp('floor', { tier: 'Baseline', priority: 3, subject: nsSubject(ALL), ingress: [deny([nsPeerOf(ALL)], [], 'default deny')] }),
  ];
  const w = world({ namespaces, nodes, pods, clusterPolicies: cluster, policies: [policy('shop/from-mon', { ingress: [rule([nsPeer(mon)], [])] })] });

  it('a Pass says where evaluation went next, and NetworkPolicy decides', () => {
    const d = w.evaluate('mon/prom', 'shop/web', 'TCP', 80).ingress;
    expect(d.tier).toBe('NetworkPolicy');
    expect(d.passes).toEqual([expect.objectContaining({ policy: 'cnp/delegate', rule: 1, name: 'monitoring: up to the team', action: 'Pass', next: 'NetworkPolicy' })]);
    expect(d.clusterPolicies).toEqual(['cnp/delegate', 'cnp/floor']);
    expect(d.summary).toContain('cnp/delegate spec.ingress[1] "monitoring: up to the team" (Pass, Admin tier, priority 1) passes to NetworkPolicy');
    expect(d.allowedBy.map((m) => m.policy)).toEqual(['shop/from-mon']);
  });

  it('an Accept is the decision and an allowing rule, with the rules that missed before it', () => {
    const d = w.evaluate('shop/db', 'shop/web', 'TCP', 80).ingress;
    expect(d.tier).toBe('Admin');
    expect(d.decision).toEqual(expect.objectContaining({ policy: 'cnp/delegate', rule: 0, action: 'Accept', field: 'spec.ingress[0]', priority: 1 }));
    expect(d.allowedBy).toEqual([expect.objectContaining({ policy: 'cnp/delegate', rule: 0, field: 'spec.ingress[0]' })]);
  });

  it('the rules of the deciding policy that missed before its match are in clusterMisses, with why', () => {
    const d = w.evaluate('mon/prom', 'shop/web', 'TCP', 80).ingress;
    expect(d.clusterMisses).toEqual([expect.objectContaining({ policy: 'cnp/delegate', rules: [expect.objectContaining({ rule: 0, peerMatched: false })] })]);
    expect(d.clusterMisses?.[0]?.rules[0]?.reason).toContain('namespace mon');
  });

  it('an Admin Pass for a pod no NetworkPolicy isolates goes on to NetworkPolicy, then Baseline, and says so', () => {
    const open = world({ namespaces, nodes, pods, clusterPolicies: [cnp('delegate', { subject: nsSubject(shop), ingress: [pass([nsPeerOf(mon)])] })] });
    const d = open.evaluate('mon/prom', 'shop/web', 'TCP', 80).ingress;
    expect(d.tier).toBe('default');
    expect(d.passes?.[0]?.next).toBe('NetworkPolicy');
    expect(d.summary).toBe('cnp/delegate spec.ingress[0] (Pass, Admin tier, priority 0) passes to NetworkPolicy; shop/web is not isolated for ingress by any NetworkPolicy; no Baseline rule matches: allowed by default');
  });

  it('a pod and its own node: the direction NetworkPolicy would deny is allowed by its own-node rule, and says so', () => {
    const iso = world({ namespaces, nodes, pods, policies: [denyAll('shop/deny')], clusterPolicies: [banp({ subject: nsSubject(shop), egress: [deny([nodesPeer(ALL)])] })] });
    const v = iso.evaluate('shop/web', '192.168.0.1', 'TCP', 10250);
    expect(v.decidedBy).toBe('node');
    expect(v.egress).toEqual(expect.objectContaining({ allowed: true, ownNode: true, tier: 'NetworkPolicy', misses: [] }));
    expect(v.egress.summary).toContain('NetworkPolicy never cuts a pod off the node it runs on');
  });

  it('a Baseline Deny names its rule, and why the Admin rules missed', () => {
    const d = w.evaluate('kube-system/agent-n1', 'mon/prom', 'TCP', 80).ingress;
    expect(d.allowed).toBe(true); // host-network source: no peer of namespaces kind matches it, and Baseline's deny is a namespaces peer
    const denied = world({ namespaces, nodes, pods, clusterPolicies: cluster }).evaluate('shop/db', 'mon/prom', 'TCP', 80).ingress;
    expect(denied.tier).toBe('Baseline');
    expect(denied.summary).toBe('mon/prom is not isolated for ingress by any NetworkPolicy; mon/prom ingress denied by cnp/floor spec.ingress[0] "default deny" (Deny, Baseline tier, priority 3)');
  });

  it('without cluster policies selecting the pod, the trace has no tier fields (NetworkPolicy-only output unchanged)', () => {
    const d = world({ namespaces, nodes, pods, clusterPolicies: cluster }).evaluate('shop/db', 'kube-system/agent-n1', 'TCP', 80).ingress;
    expect(d.tier).toBeUndefined();
    expect(Object.keys(d)).not.toContain('clusterPolicies');
  });
});
