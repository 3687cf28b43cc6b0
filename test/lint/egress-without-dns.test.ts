import { describe, expect, it } from 'vitest';
import { findings, ns, pod, pods, policy, port, rule, sel } from './builders.ts';

const ID = 'egress-without-dns';
const namespaces = [ns('kube-system'), ns('shop')];
const kubeDns = pods(sel({ 'k8s-app': 'kube-dns' }), sel({ 'kubernetes.io/metadata.name': 'kube-system' }));
const coredns = (port53 = 53) => pod('kube-system/coredns', { 'k8s-app': 'kube-dns' }, { ports: [{ name: 'dns', port: port53, protocol: 'UDP' }] });
const shopPods = [pod('shop/web', { app: 'web' }), pod('shop/db', { app: 'db' })];
const webToDb = policy('shop/web-out', sel({ app: 'web' }), { egress: [rule([pods(sel({ app: 'db' }))], [port(5432)])] });

describe('egress-without-dns', () => {
  it('warns on an egress policy whose pods can reach no port 53', () => {
    const got = findings({ namespaces, pods: shopPods, policies: [webToDb] }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'warning', field: 'spec.egress', object: { name: 'web-out' } });
    expect(got[0]?.message).toContain('shop/web');
    expect(got[0]?.message).not.toContain('shop/db');
  });

  it('warns on a default-deny egress policy', () => {
    const deny = policy('shop/deny-out', sel(), { policyTypes: ['Egress'] });
    const got = findings({ namespaces, pods: shopPods, policies: [deny] }, ID);
    expect(got[0]?.message).toContain('2 pod(s)');
  });

  it('is silent when another policy selecting the pods allows UDP 53', () => {
    const dns = policy('shop/dns-out', sel(), { egress: [rule([kubeDns], [port(53, 'UDP')])] });
    expect(findings({ namespaces, pods: shopPods, policies: [webToDb, dns] }, ID)).toEqual([]);
  });

  it('is silent for an egress rule without ports (it allows 53 too)', () => {
    const any = policy('shop/web-out', sel({ app: 'web' }), { egress: [rule([kubeDns])] });
    expect(findings({ namespaces, pods: shopPods, policies: [any] }, ID)).toEqual([]);
  });

  it('resolves a named port on the pods the rule reaches', () => {
    const named = (n: number) => ({
      namespaces, pods: [...shopPods, coredns(n)],
      policies: [policy('shop/web-out', sel({ app: 'web' }), { egress: [rule([kubeDns], [port('dns', 'UDP')])] })],
    });
    expect(findings(named(53), ID)).toEqual([]);
    // The same name bound to 5353: no rule allows 53.
    expect(findings(named(5353), ID)).toHaveLength(1);
  });
});
