// tableObjects reads the table piece by piece and keeps what it read of each
// IR object; whatever it kept from earlier IRs, its answer equals reading the
// whole table text at once (parseTableBody of renderTableBody). The IRs are
// those of the incremental compiler along random walks, where unchanged sets
// and chains are the same objects from one IR to the next.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { NodeCompiler } from '../../src/compile/node-compiler.ts';
import { changesBetween } from '../../src/model/cluster-change.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import { diffIR, type TableDelta, type TableElement, type TableObjects } from '../../src/compile/diff-ir.ts';
import { parseTableBody, tableObjects } from '../../src/nft/render-delta.ts';
import { renderTableBody } from '../../src/nft/render-table.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterA, mutated } from '../generators/cluster-mutations.ts';
import { clusterWithPoliciesA, mutatedWithClusterPolicies } from '../generators/cluster-policies.ts';

const RUNS = Number(process.env.FC_RUNS ?? 60);
const SEED = Number(process.env.FC_SEED ?? 20261202);

// Half the walks with cluster-wide policies and their events (a cluster chain's object changes with its link to the next).
const walk = fc.boolean().chain((withCluster) => {
  const events = withCluster ? mutatedWithClusterPolicies : mutated;
  return (withCluster ? clusterWithPoliciesA : clusterA)
    .chain((a) => fc.tuple(fc.constant(a), events(a, 2)).chain(([a0, a1]) => fc.tuple(fc.constant(a0), fc.constant(a1), events(a1, 2))));
});

it('tableObjects, piece by piece and remembered, equals reading the whole text', () => {
  fc.assert(fc.property(walk, (states) => {
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(states[0])), 'node-0');
    // Elements in key order: a set patched from the one before keeps no order (nft and the diff need none).
    const byKey = (xs: readonly TableElement[]): TableElement[] => [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const sorted = (t: TableObjects): TableObjects => ({ ...t, sets: t.sets.map((s) => ({ ...s, elements: byKey(s.elements) })) });
    const sortedDelta = (d: TableDelta): TableDelta => ({
      ...d,
      elements: d.elements.map((e) => ({ ...e, add: byKey(e.add), delete: byKey(e.delete) })),
      create: { ...d.create, sets: d.create.sets.map((s) => ({ ...s, elements: byKey(s.elements) })) },
    });
    let before = tableObjects(compiler.ir());
    const check = (): void => {
      const ir = compiler.ir();
      const now = tableObjects(ir);
      expect(sorted(now)).toEqual(sorted(parseTableBody(renderTableBody(ir))));
      // And the delta between two tables read so is the delta between the whole texts.
      expect(sortedDelta(diffIR(before, now))).toEqual(sortedDelta(diffIR(sorted(before), sorted(now))));
      before = now;
    };
    check();
    for (let i = 1; i < states.length; i++) {
      for (const c of changesBetween(states[i - 1] as ClusterObjects, states[i] as ClusterObjects)) compiler.apply(c);
      check();
    }
  }), { numRuns: RUNS, seed: SEED });
});
