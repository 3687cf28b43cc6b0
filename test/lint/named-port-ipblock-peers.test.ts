import { describe, expect, it } from 'vitest';
import { findings, ipBlock, ns, pod, pods, policy, port, rule, sel } from './builders.ts';

const ID = 'named-port-ipblock-peers';
const namespaces = [ns('shop')];

describe('named-port-ipblock-peers', () => {
  it('warns on a named port in an egress rule whose peers are all ipBlocks', () => {
    const p = policy('shop/out', sel(), { egress: [rule([ipBlock('203.0.113.0/24'), ipBlock('198.51.100.0/24')], [port(443), port('https')])] });
    const got = findings({ namespaces, pods: [pod('shop/web', { app: 'web' })], policies: [p] }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'warning', field: 'spec.egress[0].ports[1]' });
    expect(got[0]?.message).toBe(
      "port https is a name, and a name resolves on the destination pod's containers; the peers of this rule are only ipBlocks, " +
      'and an address outside the cluster has no named ports, so this entry matches no traffic. Write the port number.',
    );
  });

  it('names the pods inside the blocks that the name does resolve on', () => {
    const api = pod('shop/api', { app: 'api' }, { ips: ['10.244.1.5'], ports: [{ name: 'https', port: 8443, protocol: 'TCP' }] });
    const p = policy('shop/out', sel(), { egress: [rule([ipBlock('10.244.0.0/16')], [port('https')])] });
    const got = findings({ namespaces, pods: [api], policies: [p] }, ID);
    expect(got[0]?.message).toContain('so this entry matches only the pods inside them that declare it (shop/api), by addresses that change');
  });

  it('is silent for numbers, for ingress (names resolve on the selected pod) and when a peer selects pods', () => {
    const numbers = policy('shop/out', sel(), { egress: [rule([ipBlock('203.0.113.0/24')], [port(443)])] });
    const ingress = policy('shop/in', sel(), { ingress: [rule([ipBlock('203.0.113.0/24')], [port('https')])] });
    const mixed = policy('shop/mixed', sel(), { egress: [rule([ipBlock('203.0.113.0/24'), pods(sel({ app: 'api' }))], [port('https')])] });
    expect(findings({ namespaces, policies: [numbers, ingress, mixed] }, ID)).toEqual([]);
  });
});
