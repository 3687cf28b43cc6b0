// policy-explain exposure on the engine bench's cluster (1,000 workloads in
// 20 namespaces, 200 policies with ipBlocks): the outside address classes,
// one namespace's report (its workloads against every workload and every
// class), and the whole cluster's, with the engine questions they took.
// Not in bench/run.ts's list yet: `node bench/exposure.ts` runs it alone.
import { computeExposure, exposurePairs } from '../src/explain/exposure.ts';
import { outsideClasses } from '../src/explain/outside-classes.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import { type Bench, count, millis, rate, timed } from './bench.ts';
import { countingQuestions } from './engine-questions.ts';
import { buildCluster } from './engine-verdicts.ts';

function run(report: (line: string) => void): void {
  const objects = buildCluster();
  const state = new ClusterState(objects);
  const classes = timed(() => outsideClasses(state));
  report(`cluster: ${count(state.pods.size)} workloads, ${count(objects.namespaces.length)} namespaces, ${count(objects.policies.length)} policies`);
  report(`outside classes: ${count(classes.result.length)} in ${millis(classes.ms)}`);

  const namespace = objects.namespaces[0]?.name ?? null;
  for (const ns of [namespace, null]) {
    const pairs = exposurePairs(state, ns);
    const { questions, result: r } = countingQuestions(() => timed(() => computeExposure(state, ns)));
    const levels = new Map<string, number>();
    for (const w of r.result.workloads) levels.set(w.level, (levels.get(w.level) ?? 0) + 1);
    report(`${ns === null ? 'whole cluster' : `namespace ${ns}`}: ${count(r.result.workloads.length)} workloads, ${rate(pairs, r.ms, 'connection sets')}; ` +
      `${count(questions)} engine questions; levels ${[...levels].map(([l, n]) => `${l} ${n}`).join(', ')}`);
  }
}

export const exposureBench: Bench = {
  name: 'exposure',
  description: 'policy-explain exposure: 1,000 workloads, 200 policies; one namespace, then the whole cluster',
  run,
};

if (import.meta.url === `file://${process.argv[1] ?? ''}`) run((line) => console.log(line));
