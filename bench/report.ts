// policy-explain report on the engine bench's cluster (1,000 workloads in 20
// namespaces, 200 policies): one namespace's page, then a few namespaces',
// with the time to build it (connection sets, a traced verdict per pair,
// policies, lint) and the size of the page, which grows with the pairs.
// Not in bench/run.ts's list: `npx node bench/report.ts` runs it alone.
import { reportData } from '../src/cli/explain/report.ts';
import { renderReportHtml } from '../src/cli/format/report-html.ts';
import { matrixPods } from '../src/explain/matrix.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import { type Bench, count, millis, timed } from './bench.ts';
import { buildCluster } from './engine-verdicts.ts';

function run(report: (line: string) => void): void {
  const objects = buildCluster();
  const state = new ClusterState(objects);
  report(`cluster: ${count(state.pods.size)} workloads, ${count(objects.namespaces.length)} namespaces, ${count(objects.policies.length)} policies`);
  for (const ns of objects.namespaces.slice(0, 2).map((n) => n.name)) {
    const pods = matrixPods(state, ns).length;
    const data = timed(() => reportData(state, objects, ns));
    const html = timed(() => renderReportHtml(data.result));
    report(`namespace ${ns}: ${count(pods)} workloads, ${count(pods * pods)} pairs: data in ${millis(data.ms)}, page in ${millis(html.ms)}, ` +
      `${count(Math.round(html.result.length / 1024))} KiB`);
  }
}

export const reportBench: Bench = {
  name: 'report',
  description: 'policy-explain report: the page of one namespace of a 1,000-workload cluster',
  run,
};

if (import.meta.url === `file://${process.argv[1] ?? ''}`) run((line) => console.log(line));
