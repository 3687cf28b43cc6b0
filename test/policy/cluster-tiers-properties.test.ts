// Property tests of cluster-wide policy: random clusters with NetworkPolicies
// and cluster policies of every tier, kind, action and peer kind, held to the
// naive tiered reference (reference-tiers.ts). FC_SEED / FC_PATH replay a failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterChange } from '../../src/model/cluster-change.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterRule } from '../../src/model/types.ts';
import { clusterPolicyKey } from '../../src/model/types.ts';
import { PolicyEngine, type Flow } from '../../src/policy/engine.ts';
import type { DirectionVerdict } from '../../src/policy/trace.ts';
import { clusterArb, endpointsOf, flowsBetween, servicesArb } from '../generators/arbitraries.ts';
import { withClusterPolicies } from '../generators/cluster-policies.ts';
import { replay, replayingOnePath } from '../support/fc-replay.ts';
import { TieredReference } from './reference-tiers.ts';

const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
const params = { numRuns: NUM_RUNS, ...replay };

const tiered = clusterArb().chain((objects) => withClusterPolicies(objects, 5));

function describeFlow(f: Flow): string {
  return `${f.from.kind} ${f.from.ip} -> ${f.to.kind} ${f.to.ip} ${f.protocol}${f.port !== undefined ? `/${f.port}` : ''}`;
}

/** The trace's decision names a real rule of a real policy, with that rule's action, in the tier it says. */
function checkDecision(objects: ClusterObjects, d: DirectionVerdict): void {
  if (d.decision === undefined) return;
  const policy = (objects.clusterPolicies ?? []).find((p) => clusterPolicyKey(p) === d.decision?.policy);
  const rule = policy?.[d.direction][d.decision.rule] as ClusterRule | undefined;
  if (!policy || !rule) throw new Error(`${d.direction}: decision names ${d.decision.policy} rule ${d.decision.rule}, which does not exist`);
  if (rule.action !== d.decision.action || policy.tier !== d.tier) throw new Error(`${d.direction}: decision ${d.decision.action} in ${d.tier}, rule is ${rule.action} in ${policy.tier}`);
  if (d.allowed !== (rule.action === 'Accept')) throw new Error(`${d.direction}: allowed=${d.allowed} decided by a ${rule.action} rule`);
}

/** The objects after a cluster policy or node change (the only kinds the test makes). */
function applied(o: ClusterObjects, c: ClusterChange): ClusterObjects {
  if (c.kind === 'node') return { ...o, nodes: [...o.nodes.filter((n) => n.name !== c.name), ...(c.node ? [c.node] : [])] };
  if (c.kind !== 'clusterPolicy') throw new Error(`unexpected change ${c.kind}`);
  const rest = (o.clusterPolicies ?? []).filter((p) => clusterPolicyKey(p) !== c.key);
  return { ...o, clusterPolicies: c.clusterPolicy ? [...rest, c.clusterPolicy] : rest };
}

describe('cluster-wide policy tiers on random clusters', () => {
  it('allows() and evaluate() agree with a naive tiered reading of the API, and the trace names the deciding rule', () => {
    let decidedByCluster = 0;
    let passes = 0;
    fc.assert(fc.property(tiered, servicesArb, (objects, services) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      const ref = new TieredReference(objects);
      for (const flow of flowsBetween(endpointsOf(state, objects), services)) {
        const af = { from: flow.from.ip, to: flow.to.ip, protocol: flow.protocol, ...(flow.port !== undefined ? { port: flow.port } : {}) };
        const want = ref.allows(af);
        if (engine.allows(flow) !== want) throw new Error(`allows() says ${!want}, reference says ${want}: ${describeFlow(flow)}`);
        const v = engine.evaluate(flow);
        if (v.allowed !== want) throw new Error(`evaluate() says ${v.allowed}, reference says ${want}: ${describeFlow(flow)}`);
        if (v.decidedBy === 'policy' && v.allowed !== (v.egress.allowed && v.ingress.allowed)) throw new Error(`inconsistent directions: ${describeFlow(flow)}`);
        const src = ref.end(af.from);
        const dst = ref.end(af.to);
        for (const d of [v.egress, v.ingress]) {
          checkDecision(objects, d);
          if (d.tier === 'Admin' || d.tier === 'Baseline') decidedByCluster++;
          passes += d.passes?.length ?? 0;
          const [subject, other] = d.direction === 'egress' ? [src, dst] : [dst, src];
          const r = ref.tiered(subject, other, d.direction, af, dst);
          // NetworkPolicy's own-node rule: the direction NetworkPolicy would deny is allowed, and the flow says so.
          if (d.ownNode === true) {
            if (v.decidedBy !== 'node' || !d.allowed || r.tier !== 'NetworkPolicy' || r.allowed) throw new Error(`${d.direction}: own-node allow where the reference says ${r.tier}: ${describeFlow(flow)}`);
            continue;
          }
          if (d.allowed !== r.allowed || (d.tier ?? (d.isolated ? 'NetworkPolicy' : 'default')) !== r.tier) {
            throw new Error(`${d.direction}: ${String(d.allowed)} by ${d.tier ?? '(no tier)'}, reference ${String(r.allowed)} by ${r.tier}: ${describeFlow(flow)}`);
          }
        }
      }
    }), params);
    // The generator must reach the tiers, or the property says little (a replayed path is one case).
    if (replayingOnePath) return;
    expect(decidedByCluster).toBeGreaterThan(NUM_RUNS);
    expect(passes).toBeGreaterThan(0);
  });

  it('a cluster policy change seen through ClusterState.apply gives the verdicts of a fresh state (memos follow the change)', () => {
    fc.assert(fc.property(tiered, tiered, servicesArb, (a, b, services) => {
      const state = new ClusterState(a);
      const engine = new PolicyEngine(state);
      const flowsA = flowsBetween(endpointsOf(state, a), services);
      const changes: ClusterChange[] = [
        ...(a.clusterPolicies ?? []).map((p): ClusterChange => ({ kind: 'clusterPolicy', key: clusterPolicyKey(p) })),
        ...(b.clusterPolicies ?? []).map((p): ClusterChange => ({ kind: 'clusterPolicy', key: clusterPolicyKey(p), clusterPolicy: p })),
        ...b.nodes.map((n): ClusterChange => ({ kind: 'node', name: n.name, node: n })),
      ];
      // Ask after every change, so that a memo filled before a change is there
      // to be wrongly reused after it, and hold each answer to a fresh state's.
      for (const f of flowsA) engine.allows(f);
      let objects: ClusterObjects = a;
      for (const change of changes) {
        state.apply(change);
        objects = applied(objects, change);
        const fresh = new PolicyEngine(new ClusterState(objects));
        for (const f of flowsA) {
          if (engine.allows(f) !== fresh.allows(f)) throw new Error(`after ${change.kind} ${JSON.stringify(change).slice(0, 80)}: ${describeFlow(f)}`);
        }
      }
    }), { ...params, numRuns: Math.max(20, Math.floor(NUM_RUNS / 4)) });
  });
});
