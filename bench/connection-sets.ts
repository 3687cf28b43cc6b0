// The matrix with exact connection sets on the engine bench's cluster (1,000
// workloads in 20 namespaces, 200 policies): every ordered pair's set (1M
// cells), beside the one-port matrix on the same pods for scale, and the
// engine questions the sets took (one per port class, never per port).
import { computeConnectionMatrix, computeMatrix, matrixPods } from '../src/explain/matrix.ts';
import { renderMatrixText } from '../src/cli/format/matrix-output.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import { type Bench, count, millis, rate, timed } from './bench.ts';
import { countingQuestions } from './engine-questions.ts';
import { buildCluster } from './engine-verdicts.ts';

function run(report: (line: string) => void): void {
  const objects = buildCluster();
  const state = new ClusterState(objects);
  const pods = matrixPods(state, null);
  const cells = pods.length * (pods.length - 1);
  report(`cluster: ${count(pods.length)} workloads, ${count(objects.namespaces.length)} namespaces, ${count(objects.policies.length)} policies; ${count(cells)} ordered pairs`);

  // Count the engine's questions without changing it: every ClusterState's engine is a PolicyEngine.
  const sets = timed(() => countingQuestions(() => computeConnectionMatrix(state, null, pods)));
  const questions = sets.result.questions;
  report(`connection sets: ${rate(cells, sets.ms, 'pairs')}`);
  report(`  engine questions: ${count(questions)} (${(questions / cells).toFixed(1)} a pair: one per port class of TCP, UDP, SCTP, plus one for the other protocols)`);

  const kinds = { all: 0, partial: 0, none: 0 };
  const distinct = new Set<string>();
  for (const row of sets.result.result.connections ?? []) {
    for (const s of row) {
      if (s === null) continue;
      distinct.add(s.format());
      if (s.isAll()) kinds.all++;
      else if (s.isEmpty()) kinds.none++;
      else kinds.partial++;
    }
  }
  report(`  ${count(kinds.all)} all, ${count(kinds.partial)} partial, ${count(kinds.none)} none; ${count(distinct.size)} distinct sets`);

  const text = timed(() => renderMatrixText(sets.result.result));
  report(`  text output: ${millis(text.ms)}, ${count(text.result.length)} characters`);

  const onePort = timed(() => computeMatrix(state, { protocol: 'TCP', port: 80, name: null }, null, pods));
  report(`one port (TCP 80), for scale: ${rate(cells, onePort.ms, 'pairs')}`);
}

export const connectionSets: Bench = {
  name: 'connection-sets',
  description: 'matrix with exact connection sets: 1,000 workloads, 200 policies, all 1M ordered pairs, beside the one-port matrix',
  run,
};
