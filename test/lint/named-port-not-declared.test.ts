import { describe, expect, it } from 'vitest';
import type { ContainerPort } from '../../src/model/types.ts';
import { findings, ipBlock, ns, pod, pods, policy, port, rule, sel } from './builders.ts';

const ID = 'named-port-not-declared';
const namespaces = [ns('shop'), ns('kube-system')];
const http: ContainerPort = { name: 'http', port: 8080, protocol: 'TCP' };
const metrics: ContainerPort = { name: 'metrics', port: 9090, protocol: 'TCP' };
const web = pod('shop/web', { app: 'web' }, { ports: [http, metrics] });
const db = pod('shop/db', { app: 'db' }, { ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }] });

describe('named-port-not-declared', () => {
  it('warns on an ingress name that no selected pod declares, listing the names they do declare', () => {
    const p = policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([], [port('http'), port('htpp')])] });
    const got = findings({ namespaces, pods: [web, db], policies: [p] }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'warning', field: 'spec.ingress[0].ports[1]' });
    expect(got[0]?.message).toBe(
      'no container of the pods this policy selects (shop/web) declares a TCP port named htpp, so this entry matches no traffic ' +
      "(a named port resolves on each destination pod's containers). They declare TCP ports http, metrics.",
    );
  });

  it('resolves egress names on the pods the rule reaches, not on the selected pods', () => {
    // web declares "http" itself; the destination (db) does not.
    const p = policy('shop/web-out', sel({ app: 'web' }), { egress: [rule([pods(sel({ app: 'db' }))], [port('http')])] });
    const got = findings({ namespaces, pods: [web, db], policies: [p] }, ID);
    expect(got.map((f) => [f.field, f.message.slice(0, 61)])).toEqual([
      ['spec.egress[0].ports[0]', 'no container of the pods this rule reaches (shop/db) declares'],
    ]);
    const ok = policy('shop/web-out', sel({ app: 'web' }), { egress: [rule([pods(sel({ app: 'db' }))], [port('postgres')])] });
    expect(findings({ namespaces, pods: [web, db], policies: [ok] }, ID)).toEqual([]);
  });

  it('is silent when one destination declares the name, or when no destination is in the input', () => {
    const some = policy('shop/in', sel(), { ingress: [rule([], [port('postgres')])] });
    expect(findings({ namespaces, pods: [web, db], policies: [some] }, ID)).toEqual([]);
    // The peers are in a namespace whose pods nftpol was not shown.
    const away = policy('shop/out', sel(), { egress: [rule([pods(sel({ app: 'x' }), sel({ team: 'far' }))], [port('grpc')])] });
    expect(findings({ namespaces, pods: [web], policies: [away] }, ID)).toEqual([]);
  });

  it('names the protocol when the name exists only for another one and the protocol was written out', () => {
    const dns = pod('kube-system/coredns', { app: 'dns' }, { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });
    const explicit = policy('kube-system/in', sel({ app: 'dns' }), { ingress: [rule([], [port('dns', 'SCTP')])] });
    const got = findings({ namespaces, pods: [dns], policies: [explicit] }, ID);
    expect(got.map((f) => f.message)).toEqual([
      'port dns is SCTP, but the pods this policy selects (kube-system/coredns) declare dns only for UDP, so this entry matches no traffic.',
    ]);
    // Left to default to TCP, it is named-port-protocol's finding, not this one's.
    const defaulted = policy('kube-system/in', sel({ app: 'dns' }), { ingress: [rule([], [port('dns')])] });
    expect(findings({ namespaces, pods: [dns], policies: [defaulted] }, ID)).toEqual([]);
    expect(findings({ namespaces, pods: [dns], policies: [defaulted] }, 'named-port-protocol')).toHaveLength(1);
  });

  it('leaves egress rules whose peers are all ipBlocks to named-port-ipblock-peers', () => {
    const p = policy('shop/out', sel(), { egress: [rule([ipBlock('203.0.113.0/24')], [port('https')])] });
    expect(findings({ namespaces, pods: [web], policies: [p] }, ID)).toEqual([]);
  });

  it('does not count an unnamed container port', () => {
    const bare = pod('shop/bare', { app: 'bare' }, { ports: [{ port: 8080, protocol: 'TCP' }] });
    const p = policy('shop/in', sel({ app: 'bare' }), { ingress: [rule([], [port('http')])] });
    expect(findings({ namespaces, pods: [bare], policies: [p] }, ID).map((f) => f.message)).toEqual([
      "no container of the pods this policy selects (shop/bare) declares a TCP port named http, so this entry matches no traffic (a named port resolves on each destination pod's containers).",
    ]);
  });
});
