import { describe, expect, it } from 'vitest';
import type { ContainerPort } from '../../src/model/types.ts';
import { findings, ns, pod, pods, policy, rule, sel } from './builders.ts';

const ID = 'named-port-protocol';
const namespaces = [ns('kube-system'), ns('shop')];
const dnsUdp: ContainerPort = { name: 'dns', port: 53, protocol: 'UDP' };
const dnsServer = (ports: ContainerPort[]) => pod('kube-system/coredns', { 'k8s-app': 'kube-dns' }, { ports });

describe('named-port-protocol', () => {
  it('warns on an ingress named port without protocol that the selected pods name only for UDP', () => {
    const p = policy('kube-system/dns-in', sel({ 'k8s-app': 'kube-dns' }), { ingress: [rule([], [{ protocol: 'TCP', protocolDefaulted: true, port: 'dns' }])] });
    const got = findings({ namespaces, pods: [dnsServer([dnsUdp])], policies: [p] }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'warning', field: 'spec.ingress[0].ports[0]' });
    expect(got[0]?.message).toContain('protocol: UDP');
  });

  it('is silent when the protocol is written out, even as TCP (a choice, not the default surprising)', () => {
    const p = policy('kube-system/dns-in', sel({ 'k8s-app': 'kube-dns' }), { ingress: [rule([], [{ protocol: 'TCP', protocolDefaulted: false, port: 'dns' }])] });
    expect(findings({ namespaces, pods: [dnsServer([dnsUdp])], policies: [p] }, ID)).toEqual([]);
  });

  it('is silent when the destination also names the port for TCP', () => {
    const p = policy('kube-system/dns-in', sel({ 'k8s-app': 'kube-dns' }), { ingress: [rule([], [{ protocol: 'TCP', protocolDefaulted: true, port: 'dns' }])] });
    const both = dnsServer([dnsUdp, { name: 'dns', port: 53, protocol: 'TCP' }]);
    expect(findings({ namespaces, pods: [both], policies: [p] }, ID)).toEqual([]);
  });

  it('resolves egress named ports on the pods the rule reaches, not on the selected pods', () => {
    const toDns = rule([pods(sel({ 'k8s-app': 'kube-dns' }), sel({ 'kubernetes.io/metadata.name': 'kube-system' }))],
      [{ protocol: 'TCP', protocolDefaulted: true, port: 'dns' }]);
    // The selected pod names "dns" for TCP; that must not hide the destination's UDP-only name.
    const web = pod('shop/web', { app: 'web' }, { ports: [{ name: 'dns', port: 53, protocol: 'TCP' }] });
    const got = findings({ namespaces, pods: [web, dnsServer([dnsUdp])], policies: [policy('shop/web-out', sel({ app: 'web' }), { egress: [toDns] })] }, ID);
    expect(got.map((f) => f.field)).toEqual(['spec.egress[0].ports[0]']);
  });
});
