import { describe, expect, it } from 'vitest';
import { lintCluster } from '../../src/lint/lint-cluster.ts';
import { cluster, findings, ns, pod, pods, policy, rule, sel } from './builders.ts';

const ID = 'rules-without-policy-type';

describe('rules-without-policy-type', () => {
  it('warns on ingress rules when policyTypes lists only Egress', () => {
    const p = policy('shop/p', sel(), { ingress: [rule()], egress: [rule()], policyTypes: ['Egress'] });
    const got = findings({ policies: [p] }, ID);
    expect(got.map((f) => f.field)).toEqual(['spec.ingress']);
  });

  it('is silent when policyTypes cover the rules', () => {
    const p = policy('shop/p', sel(), { ingress: [rule()], egress: [rule()] });
    expect(findings({ policies: [p] }, ID)).toEqual([]);
  });

  it('gives ignored rules no other advice: they take no effect', () => {
    const p = policy('shop/p', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'ghost' }))])], policyTypes: ['Egress'] });
    const got = lintCluster(cluster({ namespaces: [ns('shop')], pods: [pod('shop/web', { app: 'web' })], policies: [p] }));
    expect(got.filter((f) => f.object.kind === 'NetworkPolicy').map((f) => f.id)).toEqual(['rules-without-policy-type', 'egress-without-dns']);
  });
});
