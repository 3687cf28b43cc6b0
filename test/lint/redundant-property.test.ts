// The redundancy checks against an independent oracle: on generated
// clusters, removing every policy and rule they report (all together) leaves
// every pair's exact connection set (explain's connectionSet, asked of the
// engine, both directions, pods and outside addresses) as it was.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectionSet } from '../../src/explain/connection-set.ts';
import { lintCluster } from '../../src/lint/lint-cluster.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { cidrOf } from '../../src/model/addresses.ts';
import type { ClusterObjects, NetworkPolicy } from '../../src/model/types.ts';
import { policyKey } from '../../src/model/types.ts';
import { addressEndpoint, type Endpoint } from '../../src/policy/endpoint.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterArb } from '../generators/arbitraries.ts';

const IDS = new Set(['redundant-policy', 'contained-policy', 'redundant-rule']);

/** The objects without what the checks report. */
function withoutRedundant(objects: ClusterObjects): { objects: ClusterObjects; removed: number } {
  const found = lintCluster(objects).filter((f) => IDS.has(f.id));
  const gone = new Set(found.filter((f) => f.field === '').map((f) => `${f.object.namespace}/${f.object.name}`));
  const rules = new Set(found.filter((f) => f.field !== '').map((f) => `${f.object.namespace}/${f.object.name} ${f.field}`));
  const policies = objects.policies.filter((p) => !gone.has(policyKey(p))).map((p): NetworkPolicy => ({
    ...p,
    ingress: p.ingress.filter((_, i) => !rules.has(`${policyKey(p)} spec.ingress[${i}]`)),
    egress: p.egress.filter((_, i) => !rules.has(`${policyKey(p)} spec.egress[${i}]`)),
  }));
  return { objects: { ...objects, policies }, removed: found.length };
}

/** Every pod address, and the addresses the policies' ipBlocks start at, with a few others. */
function ends(objects: ClusterObjects, state: ClusterState): Endpoint[] {
  const ips = new Set<string>(['203.0.113.9', '2001:db8::9', '0.0.0.0', '192.168.0.1']);
  for (const p of objects.policies) {
    for (const rule of [...p.ingress, ...p.egress]) {
      for (const peer of rule.peers) if (peer.kind === 'ipBlock') for (const c of [peer.ipBlock.cidr, ...peer.ipBlock.except]) ips.add(cidrOf(c).network);
    }
  }
  for (const pod of objects.pods) for (const ip of pod.ips) ips.add(ip);
  return [...ips].map((ip) => addressEndpoint(state, ip));
}

function sets(objects: ClusterObjects, at: readonly Endpoint[]): string[] {
  const engine = new PolicyEngine(new ClusterState(objects));
  const out: string[] = [];
  for (const from of at) for (const to of at) if (from !== to) out.push(`${from.ip} -> ${to.ip}: ${connectionSet(engine, from, to).format()}`);
  return out;
}

/** Copies that cover each other: each policy's first rules again, and a copy of the first policy. */
function doubled(objects: ClusterObjects): ClusterObjects {
  const policies = objects.policies.map((p): NetworkPolicy => ({ ...p, ingress: [...p.ingress, ...p.ingress.slice(0, 1)], egress: [...p.egress, ...p.egress.slice(0, 1)] }));
  const first = objects.policies[0];
  return { ...objects, policies: first ? [...policies, { ...first, name: `${first.name}-copy` }] : policies };
}

describe('redundancy checks, exactly', () => {
  it('removing everything they report changes no connection set', () => {
    let removedSome = 0;
    fc.assert(fc.property(clusterArb({ maxPods: 6, maxPolicies: 5 }), fc.boolean(), (generated, copies) => {
      const objects = copies ? doubled(generated) : generated;
      const after = withoutRedundant(objects);
      if (after.removed > 0) removedSome++;
      const at = ends(objects, new ClusterState(objects));
      expect(sets(after.objects, at)).toEqual(sets(objects, at));
    }), { numRuns: 150 });
    // The property must have been put to the test, not passed by reporting nothing.
    expect(removedSome).toBeGreaterThan(10);
  });
});
