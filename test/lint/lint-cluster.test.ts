import { describe, expect, it } from 'vitest';
import { LINT_CHECK_IDS, lintCluster } from '../../src/lint/lint-cluster.ts';
import type { NetworkPolicy } from '../../src/model/types.ts';
import { cluster, ns, pod, pods, policy, port, rule, sel } from './builders.ts';

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
    expect(new Set(got.map((f) => f.id)).size).toBeLessThanOrEqual(LINT_CHECK_IDS.length);
    for (const f of got) expect(LINT_CHECK_IDS).toContain(f.id);
  });
});
