import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINT_CHECK_IDS, lintCluster } from '../../src/lint/lint-cluster.ts';
import type { ClusterObjects, NetworkPolicy } from '../../src/model/types.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { accept, anp, banp, cnp, deny, domainNames, nsPeerOf, nsSubject, pass } from '../generators/cluster-policies.ts';
import { cluster, ipBlock, ns, pod, pods, policy, port, rule, sel } from './builders.ts';

/** For each check id, the smallest cluster that makes lint report it. */
const FIXTURES: Readonly<Record<string, Partial<ClusterObjects>>> = {
  'rules-without-policy-type': { policies: [policy('shop/p', sel(), { ingress: [rule()], policyTypes: ['Egress'] })] },
  'selects-nothing': { namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })], policies: [policy('shop/p', sel({ app: 'ghost' }), { ingress: [rule()] })] },
  'separate-namespace-and-pod-peers': {
    namespaces: [ns('data'), ns('analytics', { team: 'analytics' })],
    pods: [pod('data/db', { app: 'db' }), pod('data/reporter', { app: 'reporter' }), pod('analytics/nb', { app: 'nb' })],
    policies: [policy('data/db-in', sel({ app: 'db' }), { ingress: [rule([pods(null, sel({ team: 'analytics' })), pods(sel({ app: 'reporter' }))])] })],
  },
  'combined-namespace-and-pod-peer': {
    namespaces: [ns('data'), ns('analytics', { team: 'analytics' })],
    pods: [pod('data/db', { app: 'db' }), pod('data/reporter', { app: 'reporter' }), pod('analytics/nb', { app: 'nb' })],
    policies: [policy('data/db-in', sel({ app: 'db' }), { ingress: [rule([pods(sel({ app: 'reporter' }), sel({ team: 'analytics' }))])] })],
  },
  'named-port-protocol': {
    namespaces: [ns('kube-system')],
    pods: [pod('kube-system/coredns', { 'k8s-app': 'kube-dns' }, { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
    policies: [policy('kube-system/dns-in', sel({ 'k8s-app': 'kube-dns' }), { ingress: [rule([], [port('dns')])] })],
  },
  'named-port-not-declared': {
    namespaces: [ns('shop')],
    pods: [pod('shop/web', { app: 'web' }, { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] })],
    policies: [policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([], [port('htpp')])] })],
  },
  'named-port-ipblock-peers': {
    policies: [policy('shop/out', sel(), { egress: [rule([ipBlock('203.0.113.0/24')], [port('https')])] })],
  },
  'egress-without-dns': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })], policies: [policy('shop/deny-out', sel(), { policyTypes: ['Egress'] })],
  },
  'except-outside-cidr': { policies: [policy('shop/out', sel(), { egress: [rule([ipBlock('10.0.0.0/8', ['192.168.0.0/16'])])] })] },
  'ipblock-overlaps-pods': {
    namespaces: [ns('shop')],
    pods: [pod('shop/web', { app: 'web' }, { ips: ['10.244.1.5'] })],
    policies: [policy('shop/out', sel(), { egress: [rule([ipBlock('10.244.0.0/16')])] })],
  },
  'namespace-not-isolated': { namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })] },
  'redundant-rule': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    policies: [policy('shop/web-in', sel(), { ingress: [rule([], [port(80)]), rule([], [port(80)])] })],
  },
  'redundant-policy': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    policies: [
      policy('shop/in-80', sel(), { ingress: [rule([], [port(80)])] }), policy('shop/in-443', sel(), { ingress: [rule([], [port(443)])] }),
      policy('shop/in-web', sel(), { ingress: [rule([], [port(80), port(443)])] }),
    ],
  },
  'contained-policy': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    policies: [policy('shop/in-any', sel(), { ingress: [rule()] }), policy('shop/in-80', sel(), { ingress: [rule([], [port(80)])] })],
  },
  'networkpolicy-rule-overridden': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    policies: [policy('shop/in', sel(), { ingress: [rule([pods(sel())])] })],
    clusterPolicies: [cnp('guard', { subject: nsSubject(sel()), ingress: [deny([nsPeerOf(sel())])] })],
  },
  'equal-priority-overlap': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    clusterPolicies: [cnp('a', { subject: nsSubject(sel()), ingress: [accept([nsPeerOf(sel())])] }), anp('b', { subject: nsSubject(sel()), ingress: [accept([nsPeerOf(sel())])] })],
  },
  'cluster-rule-shadowed': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    clusterPolicies: [cnp('a', { subject: nsSubject(sel()), ingress: [deny([nsPeerOf(sel())]), accept([nsPeerOf(sel())])] })],
  },
  'pass-with-nothing-below': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    clusterPolicies: [banp({ subject: nsSubject(sel()), ingress: [pass([nsPeerOf(sel())])] })],
  },
  'baseline-rule-unreachable': {
    namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })],
    policies: [policy('shop/in', sel(), { ingress: [rule()] })],
    clusterPolicies: [banp({ subject: nsSubject(sel()), ingress: [deny([nsPeerOf(sel())])] })],
  },
  'domain-names-not-enforced': {
    clusterPolicies: [cnp('out', { subject: nsSubject(sel()), egress: [accept([domainNames('example.com')])] })],
  },
};

describe('lintCluster', () => {
  it('reports nothing for a sound cluster', () => {
    const objects = cluster({
      namespaces: [ns('shop'), ns('kube-system')],
      pods: [pod('shop/web', { app: 'web' }), pod('shop/db', { app: 'db' }), pod('kube-system/coredns', { 'k8s-app': 'kube-dns' })],
      policies: [
        policy('shop/default', sel(), { policyTypes: ['Ingress', 'Egress'] }),
        policy('shop/dns', sel(), { egress: [rule([pods(sel({ 'k8s-app': 'kube-dns' }), sel({ 'kubernetes.io/metadata.name': 'kube-system' }))], [port(53, 'UDP')])] }),
        policy('shop/db-in', sel({ app: 'db' }), { ingress: [rule([pods(sel({ app: 'web' }))], [port(5432)])] }),
        policy('kube-system/default', sel(), { ingress: [rule()], egress: [rule()] }),
      ],
    });
    expect(lintCluster(objects)).toEqual([]);
  });

  it('groups findings by object, sorted, in check order, and carries the source', () => {
    const src = { file: 'b.yaml', document: 2 };
    const b: NetworkPolicy = { ...policy('shop/b', sel({ app: 'ghost' }), { egress: [rule([], [port(5432)])] }), source: src };
    const a = policy('shop/a', sel({ app: 'ghost' }), { ingress: [rule()] });
    const got = lintCluster(cluster({ namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })], policies: [b, a] }));
    expect(got.map((f) => `${f.object.kind} ${f.object.name} ${f.id}`)).toEqual([
      'Namespace shop namespace-not-isolated',
      'NetworkPolicy a selects-nothing',
      'NetworkPolicy b selects-nothing',
    ]);
    expect(got[2]?.source).toEqual(src);
  });
});

describe('LINT_CHECK_IDS', () => {
  it('lists each id once', () => {
    expect(new Set(LINT_CHECK_IDS).size).toBe(LINT_CHECK_IDS.length);
  });

  it('lists exactly the ids the fixtures make lint report: one fixture an id, each reporting its id', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual([...LINT_CHECK_IDS].sort());
    const emitted = new Set<string>();
    for (const [id, objects] of Object.entries(FIXTURES)) {
      const ids = lintCluster(cluster(objects)).map((f) => f.id);
      expect(ids, `fixture ${id}`).toContain(id);
      for (const other of ids) emitted.add(other);
    }
    expect([...emitted].sort()).toEqual([...LINT_CHECK_IDS].sort());
  });

  it('is the table of check ids in docs/output-schema.md', () => {
    const doc = readFileSync(new URL('../../docs/output-schema.md', import.meta.url), 'utf8');
    const start = doc.indexOf('| id | finding |');
    const table = doc.slice(start, doc.indexOf('\n\n', start));
    const documented = [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...LINT_CHECK_IDS].sort());
  });

  it('holds every id lint reports on random clusters (a check whose id is not listed fails here)', () => {
    fc.assert(fc.property(clusterArb(), (objects) => {
      for (const f of lintCluster(objects)) expect(LINT_CHECK_IDS).toContain(f.id);
    }), { numRuns: 200 });
  });
});
