// Properties of lint on random clusters with cluster-wide policies
// (test/generators/cluster-policies.ts): every id it reports is listed, and
// what the exact checks say is true: removing a rule reported as
// cluster-rule-shadowed, networkpolicy-rule-overridden or
// baseline-rule-unreachable changes no pair's connection set (the semantic
// diff of the two states is empty).
// FC_SEED=<seed> (plus FC_PATH=<path>) replays a failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasAnyChange, semanticDiff } from '../../src/explain/semantic-diff.ts';
import { LINT_CHECK_IDS, lintCluster, type LintFinding } from '../../src/lint/lint-cluster.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterPolicy, Direction, NetworkPolicy } from '../../src/model/types.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { withClusterPolicies } from '../generators/cluster-policies.ts';
import { replay, replayingOnePath } from '../support/fc-replay.ts';


const objectsArb = clusterArb({ maxPods: 6, maxPolicies: 4 }).chain((o) => withClusterPolicies(o, 4));

/** "spec.ingress[2]" to ['ingress', 2]. */
function ruleAt(field: string): [Direction, number] {
  const m = /^spec\.(ingress|egress)\[(\d+)\]$/.exec(field);
  if (m === null) throw new Error(`not a rule field: ${field}`);
  return [m[1] as Direction, Number(m[2])];
}

function without<T extends ClusterPolicy | NetworkPolicy>(p: T, direction: Direction, index: number): T {
  return { ...p, [direction]: p[direction].filter((_, i) => i !== index) };
}

/** The objects without the rule a finding names. */
function withoutRule(objects: ClusterObjects, f: LintFinding): ClusterObjects {
  const [direction, index] = ruleAt(f.field);
  if (f.object.kind === 'NetworkPolicy') {
    return { ...objects, policies: objects.policies.map((p) => (p.namespace === f.object.namespace && p.name === f.object.name ? without(p, direction, index) : p)) };
  }
  return {
    ...objects,
    clusterPolicies: (objects.clusterPolicies ?? []).map((p) => (p.kind === f.object.kind && p.name === f.object.name ? without(p, direction, index) : p)),
  };
}

const EXACT = ['cluster-rule-shadowed', 'networkpolicy-rule-overridden', 'baseline-rule-unreachable'];

describe('lint with cluster-wide policies', () => {
  it('reports only listed ids, and removing a rule an exact check reports changes no connection set', () => {
    let checked = 0;
    fc.assert(fc.property(objectsArb, (objects) => {
      const found = lintCluster(objects);
      for (const f of found) expect(LINT_CHECK_IDS).toContain(f.id);
      const before = new ClusterState(objects);
      for (const id of EXACT) {
        const f = found.find((x) => x.id === id);
        if (f === undefined) continue;
        checked++;
        const diff = semanticDiff(before, new ClusterState(withoutRule(objects, f)), { namespace: null });
        expect(hasAnyChange(diff), `${id}: ${f.object.kind} ${f.object.name} ${f.field}: ${f.message}\n${JSON.stringify(diff.changes.slice(0, 2))}`).toBe(false);
      }
    }), { numRuns: 300, ...replay });
    // The property is not vacuous: the generator makes such rules (a replay of one path runs once).
    if (!replayingOnePath) expect(checked).toBeGreaterThan(10);
  }, 120_000);
});
