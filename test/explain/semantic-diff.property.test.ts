// Properties of the semantic diff on random clusters: a state compared with
// itself has no change; swapping the sides swaps added and removed (and
// before and after, appeared and disappeared), pair by pair; and each
// change's added and removed are exactly after minus before and before
// minus after. FC_SEED=<seed> (plus FC_PATH=<path>) replays a failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasAnyChange, semanticDiff, type PairChange } from '../../src/explain/semantic-diff.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { replay } from '../support/fc-replay.ts';


/**
 * Two states that share most pods: the second has the first's namespaces,
 * its pods but a few dropped, and another draw's policies (those in its
 * namespaces), so pairs change, and pods disappear and appear.
 */
const twoStatesArb = fc.tuple(clusterArb({ maxPods: 6, maxPolicies: 4 }), clusterArb({ maxPods: 6, maxPolicies: 4 }), fc.nat(3), fc.boolean())
  .map(([a, b, drop, swapPods]): [ClusterObjects, ClusterObjects] => {
    const names = new Set(a.namespaces.map((n) => n.name));
    const pods = swapPods ? a.pods.slice(drop) : a.pods;
    return [a, { ...a, pods, policies: b.policies.filter((p) => names.has(p.namespace)) }];
  });

const key = (c: PairChange): string => `${c.from} -> ${c.to}`;
const view = (c: PairChange): string[] => [key(c), c.before.format(), c.after.format(), c.added.format(), c.removed.format()];

describe('semanticDiff properties', () => {
  it('diff(A, A) is empty', () => {
    fc.assert(fc.property(clusterArb({ maxPods: 6, maxPolicies: 5 }), (objects) => {
      const state = new ClusterState(objects);
      expect(hasAnyChange(semanticDiff(state, state, { namespace: null }))).toBe(false);
      // Two states built from the same objects, too (nothing depends on object identity).
      expect(hasAnyChange(semanticDiff(state, new ClusterState(objects), { namespace: null }))).toBe(false);
    }), { numRuns: 60, ...replay });
  });

  it('diff(A, B) and diff(B, A) swap added and removed, pair by pair', () => {
    fc.assert(fc.property(twoStatesArb, ([a, b]) => {
      const sa = new ClusterState(a);
      const sb = new ClusterState(b);
      const ab = semanticDiff(sa, sb, { namespace: null });
      const ba = semanticDiff(sb, sa, { namespace: null });
      const swapped = ba.changes.map((c) => [key(c), c.after.format(), c.before.format(), c.removed.format(), c.added.format()]);
      const byKey = (x: string[], y: string[]): number => ((x[0] ?? '') < (y[0] ?? '') ? -1 : 1);
      expect(swapped.sort(byKey)).toEqual(ab.changes.map(view).sort(byKey));
      expect(ba.appeared).toEqual(ab.disappeared);
      expect(ba.disappeared).toEqual(ab.appeared);
      for (const c of ab.changes) {
        expect(c.before.equals(c.after)).toBe(false);
        expect(c.added.equals(c.after.difference(c.before))).toBe(true);
        expect(c.removed.equals(c.before.difference(c.after))).toBe(true);
        // before with the additions and without the removals is after.
        expect(c.before.union(c.added).difference(c.removed).equals(c.after)).toBe(true);
      }
    }), { numRuns: 60, ...replay });
  });
});
