// policy-explain lint on the engine bench's cluster (1,000 pods, 20
// namespaces, 200 NetworkPolicies), without and with engine-tiers' 100
// cluster-wide policies, taking turns: the whole lint, and the cluster
// checks' exact walk (cluster-flows.ts) alone. Prints the medians and the
// findings per check id.
import { lintCluster } from '../src/lint/lint-cluster.ts';
import { LintContext } from '../src/lint/lint-context.ts';
import { clusterFlowFates } from '../src/lint/checks/cluster-flows.ts';
import type { ClusterObjects } from '../src/model/types.ts';
import { type Bench, count, median, timed } from './bench.ts';
import { buildClusterPolicies } from './engine-tiers.ts';
import { buildCluster } from './engine-verdicts.ts';

const ROUNDS = 3;

function byId(objects: ClusterObjects): string {
  const ids = new Map<string, number>();
  for (const f of lintCluster(objects)) ids.set(f.id, (ids.get(f.id) ?? 0) + 1);
  return [...ids].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => `${id} ${count(n)}`).join(', ');
}

function run(report: (line: string) => void): void {
  const plain = buildCluster();
  const tiered: ClusterObjects = { ...plain, clusterPolicies: buildClusterPolicies() };
  report(`cluster: ${count(plain.pods.length)} pods, ${plain.policies.length} NetworkPolicies; with tiers: + ${(tiered.clusterPolicies ?? []).length} cluster-wide policies`);
  const runs = [{ label: 'NetworkPolicy only', objects: plain }, { label: '+ 100 cluster-wide', objects: tiered }];
  const whole = runs.map(() => [] as number[]);
  const walk = runs.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    runs.forEach((r, i) => {
      whole[i]!.push(timed(() => lintCluster(r.objects)).ms);
      walk[i]!.push(timed(() => clusterFlowFates(new LintContext(r.objects))).ms);
    });
  }
  for (const [i, r] of runs.entries()) {
    report(`${r.label.padEnd(20)} lint: ${median(whole[i]!).toFixed(0)} ms; of which the cluster checks' walk (with its context): ${median(walk[i]!).toFixed(0)} ms`);
    report(`${''.padEnd(20)} findings: ${byId(r.objects)}`);
  }
  report(`(medians of ${ROUNDS} rounds, the two clusters taking turns)`);
}

export const lintBench: Bench = {
  name: 'lint',
  description: 'policy-explain lint on the engine bench\'s cluster without and with 100 cluster-wide policies, side by side',
  run,
};
