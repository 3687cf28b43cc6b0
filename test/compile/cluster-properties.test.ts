// Properties of the cluster-policy part of the IR for random clusters with
// cluster-wide policies (no kernel needed): every set a cluster chain names
// exists in its family; each tier is linked in evaluation order
// (compareClusterPolicies) through chains of its own tier and direction, and
// holds exactly the policies with rules in that direction selecting a local
// pod; subject sets hold exactly the node's pods the engine's subjectSelects
// picks; tier sets enter exactly the pods of the tiers (Baseline only for
// pods no NetworkPolicy isolates). FC_RUNS sets the number of runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import { nodeFamilies } from '../../src/compile/ir.ts';
import { familyOf } from '../../src/model/addresses.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterPolicy, Direction } from '../../src/model/types.ts';
import { clusterPolicyKey, compareClusterPolicies } from '../../src/model/types.ts';
import { subjectSelects } from '../../src/policy/cluster-match.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { placePods } from '../../src/sources/placement.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { withClusterPolicies } from '../generators/cluster-policies.ts';

const RUNS = Number(process.env.FC_RUNS ?? 150);
const arb = clusterArb({ maxPods: 8, maxPolicies: 3 }).chain((o) => withClusterPolicies(o, 4)).map((o) => placePods(o, o.nodes.map((n) => n.name)));
const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

describe('cluster-policy IR properties for random clusters', () => {
  it('sets exist in their family; tiers are linked in evaluation order; subject and tier sets hold what the engine selects', () => {
    let tiered = 0;
    fc.assert(fc.property(arb, (objects) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      for (const n of objects.nodes) {
        const ir = compileNode(engine, n.name);
        const sets = new Map(ir.sets.map((s) => [s.name, s]));
        const chains = new Map((ir.clusterChains ?? []).map((c) => [c.name, c]));
        const families = nodeFamilies(ir);
        const localPods = state.podsOn(n.name).filter((p) => ir.pods.some((lp) => lp.pod === `${p.namespace}/${p.name}`));
        for (const c of chains.values()) {
          expect(c.subjects.map((s) => s.family)).toEqual(families);
          for (const s of c.subjects) {
            const expected = localPods.filter((p) => subjectSelects(state, objects.clusterPolicies?.find((q) => clusterPolicyKey(q) === c.policy) as ClusterPolicy, p))
              .flatMap((p) => p.ips.filter((ip) => familyOf(ip) === s.family && state.podAt(ip) === p)).sort();
            expect(sets.get(s.set)?.elements, `${c.name} subject v${s.family}`).toEqual(expected);
          }
          for (const r of c.rules) {
            if (r.peer.kind === 'set') expect(sets.get(r.peer.set)?.family).toBe(r.peer.family);
            if (r.port.kind === 'named') expect(sets.get(r.port.set)).toMatchObject({ family: r.port.family, type: 'address-port' });
            expect(r.comment.startsWith(`${c.policy} spec.${c.direction}[`)).toBe(true);
          }
        }
        for (const d of DIRECTIONS) {
          for (const tier of ['Admin', 'Baseline'] as const) {
            const order = ir.tiers?.[d][tier === 'Admin' ? 'admin' : 'baseline'] ?? [];
            if (order.length > 0) tiered++;
            // The tier chain's order: every chain of this tier and direction, each once.
            expect(new Set(order).size).toBe(order.length);
            order.forEach((name) => {
              const c = chains.get(name);
              expect(c?.tier).toBe(tier);
              expect(c?.direction).toBe(d);
            });
            const policies = order.map((name) => objects.clusterPolicies?.find((q) => clusterPolicyKey(q) === chains.get(name)?.policy) as ClusterPolicy);
            expect([...policies].sort(compareClusterPolicies)).toEqual(policies);
            // Exactly the policies whose subject takes a local pod into the tier.
            const entering = localPods.filter((p) => tier === 'Admin' || !engine.isIsolated(p, d));
            const expected = state.clusterPoliciesIn(tier).filter((q) => q[d].length > 0 && entering.some((p) => subjectSelects(state, q, p)));
            expect(policies.map(clusterPolicyKey)).toEqual(expected.map(clusterPolicyKey));
            for (const lp of ir.pods) {
              const pod = state.pods.get(lp.pod);
              if (pod === undefined) continue;
              const enters = (tier === 'Admin' || !engine.isIsolated(pod, d)) && expected.some((q) => subjectSelects(state, q, pod));
              expect(lp.tiers?.[d][tier === 'Admin' ? 'admin' : 'baseline'] ?? false, `${lp.pod} ${d} ${tier}`).toBe(enters);
            }
          }
        }
      }
    }), { numRuns: RUNS });
    expect(tiered).toBeGreaterThan(RUNS / 4);
  });
});
