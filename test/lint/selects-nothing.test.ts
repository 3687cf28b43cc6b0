import { describe, expect, it } from 'vitest';
import { findings, ipBlock, ns, pod, pods, policy, rule, sel } from './builders.ts';

const ID = 'selects-nothing';
const namespaces = [ns('shop', { team: 'shop' }), ns('ops', { team: 'ops' })];

describe('selects-nothing', () => {
  it('reports a policy whose podSelector selects no pod of its namespace', () => {
    const got = findings({
      namespaces,
      // app=web exists, but in another namespace: the policy only selects its own.
      pods: [pod('shop/api', { app: 'api' }), pod('ops/web', { app: 'web' })],
      policies: [policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule()] })],
    }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      severity: 'warning', field: 'spec.podSelector', object: { kind: 'NetworkPolicy', namespace: 'shop', name: 'web-in' },
    });
    expect(got[0]?.message).toContain('app=web');
  });

  it('counts a workload (no address yet) as the pods it stands for', () => {
    const got = findings({
      namespaces,
      pods: [pod('shop/web', { app: 'web' }, { kind: 'Deployment' })],
      policies: [policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'web' }))])] })],
    }, ID);
    expect(got).toEqual([]);
  });

  it('does not count host-network pods: policies never isolate them', () => {
    const got = findings({
      namespaces,
      pods: [pod('shop/web', { app: 'web' }), pod('shop/agent', { app: 'agent' }, { hostNetwork: true, ips: ['192.0.2.10'] })],
      policies: [policy('shop/agent-in', sel({ app: 'agent' }), { ingress: [rule()] })],
    }, ID);
    expect(got.map((f) => f.field)).toEqual(['spec.podSelector']);
  });

  it('reports a peer that matches no pod anywhere, with the peer path', () => {
    const got = findings({
      namespaces,
      pods: [pod('shop/db', { app: 'db' }), pod('ops/api', { app: 'api' })],
      // podSelector-only peers mean the policy's namespace: ops/api does not count.
      policies: [policy('shop/db-in', sel({ app: 'db' }), { ingress: [rule([ipBlock('10.0.0.0/8'), pods(sel({ app: 'api' }))])] })],
    }, ID);
    expect(got.map((f) => f.field)).toEqual(['spec.ingress[0].from[1]']);
    expect(got[0]?.message).toContain('namespace shop');
  });

  it('accepts a peer that matches pods in another namespace through its namespaceSelector', () => {
    const got = findings({
      namespaces,
      pods: [pod('shop/db', { app: 'db' }), pod('ops/api', { app: 'api' })],
      policies: [policy('shop/db-in', sel({ app: 'db' }), { ingress: [rule([pods(sel({ app: 'api' }), sel({ team: 'ops' }))])] })],
    }, ID);
    expect(got).toEqual([]);
  });

  it('reports a namespaceSelector matching no namespace once, on the selector', () => {
    const got = findings({
      namespaces,
      pods: [pod('shop/db', { app: 'db' })],
      policies: [policy('shop/db-in', sel({ app: 'db' }), { egress: [rule([pods(null, sel({ team: 'nobody' }))])] })],
    }, ID);
    expect(got.map((f) => f.field)).toEqual(['spec.egress[0].to[0].namespaceSelector']);
  });

  it('does not judge peers or policies when the input has no pods at all', () => {
    const got = findings({
      namespaces,
      policies: [policy('shop/db-in', sel({ app: 'db' }), { ingress: [rule([pods(sel({ app: 'api' }))])] })],
    }, ID);
    expect(got).toEqual([]);
  });
});
