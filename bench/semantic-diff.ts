// The semantic diff on the engine bench's cluster (1,000 workloads in 20
// namespaces, 200 policies): the old side is that cluster, the new side the
// same with every tenth policy removed and another cluster's (seed 2) first
// ten policies added, the size of a large pull request. Both sides' exact
// connection sets for every ordered pair (2 x 999,000), then the comparison.
import { computeConnectionMatrix, matrixPods } from '../src/explain/matrix.ts';
import { comparePairs, semanticDiff } from '../src/explain/semantic-diff.ts';
import { renderDiffText } from '../src/cli/format/diff-output.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import { type Bench, count, millis, rate, timed } from './bench.ts';
import { buildCluster } from './engine-verdicts.ts';

function run(report: (line: string) => void): void {
  const objects = buildCluster();
  const other = buildCluster(undefined, 2);
  const changed = { ...objects, policies: [...objects.policies.filter((_, i) => i % 10 !== 0), ...other.policies.slice(0, 10)] };
  const before = new ClusterState(objects);
  const after = new ClusterState(changed);
  const pairs = matrixPods(before, null).length * (matrixPods(before, null).length - 1);
  report(`cluster: ${count(matrixPods(before, null).length)} workloads, ${count(objects.policies.length)} policies before, ${count(changed.policies.length)} after; ${count(pairs)} ordered pairs a side`);

  const diff = timed(() => semanticDiff(before, after, { namespace: null }));
  const d = diff.result;
  report(`diff: ${rate(2 * pairs, diff.ms, 'pairs (both sides)')}`);
  report(`  ${count(d.changes.length)} pairs changed, ${count(d.changes.filter((c) => !c.added.isEmpty()).length)} with new allows, ${count(d.changes.filter((c) => !c.removed.isEmpty()).length)} with new denials`);

  // The comparison alone, on matrices already computed: what the sets cost is the matrices.
  const m = computeConnectionMatrix(after, null);
  const sets = new Map<string, NonNullable<NonNullable<typeof m.connections>[number][number]>>();
  m.connections?.forEach((row, i) => row.forEach((s, j) => {
    if (s !== null) sets.set(`${m.endpoints[i]?.id ?? ''}\u0000${m.endpoints[j]?.id ?? ''}`, s);
  }));
  const compare = timed(() => comparePairs(sets, sets));
  report(`  comparison alone (a side with itself): ${millis(compare.ms)}`);
  const text = timed(() => renderDiffText(d));
  report(`  text output: ${millis(text.ms)}, ${count(text.result.length)} characters`);
}

export const semanticDiffBench: Bench = {
  name: 'semantic-diff',
  description: 'policy-explain diff: 1,000 workloads, 200 policies, 20 removed and 10 added; both sides\' connection sets for all 1M ordered pairs, compared',
  run,
};
