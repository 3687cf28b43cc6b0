// Exposure on small clusters: who may reach each workload (workloads,
// namespaces, outside addresses through ipBlocks) and what it may reach
// outside, and the report's order, widest first.
import { describe, expect, it } from 'vitest';
import { computeExposure, EXPOSURE_LEVELS } from '../../src/explain/exposure.ts';
import { outsideClasses, rangeCidrs } from '../../src/explain/outside-classes.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { denyAll, ipBlock, node, nsPeer, objects, pod, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';

const NODES = [node('n1', ['192.168.0.1'], ['10.244.0.0/24'])];

function report(spec: Parameters<typeof objects>[0], namespace: string | null = null) {
  const state = new ClusterState(objects({ nodes: NODES, ...spec }));
  return computeExposure(state, namespace);
}

const api = pod('shop/api', { app: 'api' }, { ips: ['10.244.0.2'] });
const db = pod('shop/db', { app: 'db' }, { ips: ['10.244.0.3'] });
const job = pod('ops/job', { app: 'job' }, { ips: ['10.244.0.4'] });

describe('computeExposure', () => {
  it('an open pod: reachable from every workload and from outside on everything', () => {
    const r = report({ pods: [api, job] });
    const e = r.workloads.find((w) => w.workload === 'shop/api');
    expect(e?.level).toBe('outside-all');
    expect(e?.ingress.allWorkloads).toBe(true);
    expect(e?.ingress.namespaces).toEqual(['ops']);
    expect(e?.ingress.outside.isolated).toBe(false);
    expect(e?.ingress.outside.connections.format()).toBe('all');
    expect(e?.ingress.outside.groups[0]?.ipBlocks).toEqual([]);
    // Outside = everything but the pod CIDR and the node's address.
    expect(e?.ingress.outside.groups[0]?.addresses).not.toContain('10.244.0.0/24');
    expect(e?.egress.outside.connections.format()).toBe('all');
  });

  it('default deny: reachable by nothing, reaches nothing outside', () => {
    const r = report({ pods: [api, job], policies: [denyAll('shop/deny')] });
    const e = r.workloads.find((w) => w.workload === 'shop/api');
    expect(e?.level).toBe('none');
    expect(e?.ingress.workloads).toEqual([]);
    expect(e?.ingress.outside).toMatchObject({ isolated: true, groups: [] });
    expect(e?.egress.outside.groups).toEqual([]);
    // The report lists the open workload first.
    expect(r.workloads.map((w) => w.workload)).toEqual(['ops/job', 'shop/api']);
  });

  it('allow from a namespace: those workloads only, on the rule\'s ports', () => {
    const r = report({
      pods: [api, db, job],
      policies: [policy('shop/db-from-ops', { podSelector: sel({ app: 'db' }), ingress: [rule([nsPeer(sel({ 'kubernetes.io/metadata.name': 'ops' }))], [tcp(5432)])] })],
    });
    const e = r.workloads.find((w) => w.workload === 'shop/db');
    expect(e?.level).toBe('other-namespaces');
    expect(e?.ingress.namespaces).toEqual(['ops']);
    expect(e?.ingress.workloads.map((w) => [w.workload, w.connections.format()])).toEqual([['ops/job', 'TCP 5432']]);
    expect(e?.ingress.outside.groups).toEqual([]);
    expect(r.workloads.at(-1)?.workload).toBe('shop/db');
  });

  it('allow from an ipBlock with except: the block\'s addresses but the except, through that ipBlock, on its port', () => {
    const r = report({
      pods: [api],
      policies: [policy('shop/api-from-lb', { podSelector: sel({ app: 'api' }), ingress: [rule([ipBlock('203.0.113.0/24', '203.0.113.128/25')], [tcp(443)])] })],
    });
    const e = r.workloads[0];
    expect(e?.level).toBe('outside');
    expect(e?.ingress.outside.groups).toEqual([{
      connections: expect.objectContaining({}),
      addresses: ['203.0.113.0/25'],
      ipBlocks: [{ policy: 'shop/api-from-lb', cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] }],
    }]);
    expect(e?.ingress.outside.connections.format()).toBe('TCP 443');
  });

  it('egress to 0.0.0.0/0 except the cluster: every outside address, none of the cluster', () => {
    const r = report({
      pods: [api, db],
      policies: [policy('shop/api-out', { podSelector: sel({ app: 'api' }), policyTypes: ['Egress'], egress: [rule([ipBlock('0.0.0.0/0', '10.0.0.0/8')])] })],
    });
    const e = r.workloads.find((w) => w.workload === 'shop/api');
    expect(e?.egress.outside.isolated).toBe(true);
    expect(e?.egress.outside.connections.format()).toBe('all');
    const addresses = e?.egress.outside.groups.flatMap((g) => g.addresses) ?? [];
    expect(addresses).toContain('11.0.0.0/8');
    expect(addresses.some((a) => a.startsWith('10.'))).toBe(false);
    expect(e?.egress.outside.groups[0]?.ipBlocks).toEqual([{ policy: 'shop/api-out', cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }]);
    // db may not be reached from api any more; api still may be from db.
    expect(r.workloads.find((w) => w.workload === 'shop/db')?.ingress.workloads).toEqual([]);
  });

  it('keeps to one namespace\'s workloads but counts sources from every namespace', () => {
    const r = report({ pods: [api, job] }, 'shop');
    expect(r.workloads.map((w) => w.workload)).toEqual(['shop/api']);
    expect(r.workloads[0]?.ingress.namespaces).toEqual(['ops']);
  });

  it('orders levels widest first', () => {
    expect(EXPOSURE_LEVELS[0]).toBe('outside-all');
    expect(EXPOSURE_LEVELS.at(-1)).toBe('none');
  });

  it('within a level: more outside connections first, then more namespaces reaching it', () => {
    const other = pod('web/front', { app: 'front' }, { ips: ['10.244.0.5'] });
    const fromNs = (name: string) => nsPeer(sel({ 'kubernetes.io/metadata.name': name }));
    const r = report({
      pods: [api, db, job, other, pod('shop/a', { app: 'a' }, { ips: ['10.244.0.6'] }), pod('shop/b', { app: 'b' }, { ips: ['10.244.0.7'] })],
      policies: [
        // a and b: from outside, b on more ports. api: from two namespaces; db: from one.
        policy('shop/a', { podSelector: sel({ app: 'a' }), ingress: [rule([ipBlock('0.0.0.0/0')], [tcp(443)])] }),
        policy('shop/b', { podSelector: sel({ app: 'b' }), ingress: [rule([ipBlock('0.0.0.0/0')], [tcp(80, 81)])] }),
        policy('shop/api', { podSelector: sel({ app: 'api' }), ingress: [rule([fromNs('ops'), fromNs('web')])] }),
        policy('shop/db', { podSelector: sel({ app: 'db' }), ingress: [rule([fromNs('ops')])] }),
      ],
    });
    const order = r.workloads.map((w) => `${w.workload} ${w.level}`);
    expect(order.indexOf('shop/b outside')).toBe(order.indexOf('shop/a outside') - 1);
    expect(order.indexOf('shop/api other-namespaces')).toBe(order.indexOf('shop/db other-namespaces') - 1);
  });
});

describe('outside classes', () => {
  it('cuts at ipBlock edges, leaves out pod CIDRs, skips pod and node addresses for a representative', () => {
    const state = new ClusterState(objects({
      nodes: [node('n1', ['203.0.113.0'], ['10.244.0.0/24'])],
      pods: [api],
      policies: [policy('shop/p', { ingress: [rule([ipBlock('203.0.113.0/24', '203.0.113.128/25')])] })],
    }));
    const v4 = outsideClasses(state).filter((c) => c.family === 4);
    expect(v4.map((c) => [c.first, c.last, c.representative])).toEqual([
      ['0.0.0.0', '10.243.255.255', '0.0.0.0'],
      ['10.244.1.0', '203.0.112.255', '10.244.1.0'],
      ['203.0.113.0', '203.0.113.127', '203.0.113.1'],
      ['203.0.113.128', '203.0.113.255', '203.0.113.128'],
      ['203.0.114.0', '255.255.255.255', '203.0.114.0'],
    ]);
  });

  it('a finished pod\'s old address is outside (the engine sees an external end), so its own /32 class stands', () => {
    const done = pod('shop/old-job', {}, { ips: ['203.0.113.9'], phase: 'Failed' });
    const state = new ClusterState(objects({
      pods: [api, done],
      policies: [policy('shop/p', { ingress: [rule([ipBlock('203.0.113.0/24', '203.0.113.9/32')])] })],
    }));
    const v4 = outsideClasses(state).filter((c) => c.family === 4);
    expect(v4.find((c) => c.first === '203.0.113.9')).toEqual({ family: 4, first: '203.0.113.9', last: '203.0.113.9', representative: '203.0.113.9' });
  });

  it('writes a range as the fewest cidrs', () => {
    expect(rangeCidrs('10.245.0.0', '10.255.255.255')).toEqual(['10.245.0.0/16', '10.246.0.0/15', '10.248.0.0/13']);
    expect(rangeCidrs('0.0.0.0', '255.255.255.255')).toEqual(['0.0.0.0/0']);
    expect(rangeCidrs('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual(['::/0']);
  });
});
