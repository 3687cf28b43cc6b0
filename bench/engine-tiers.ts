// The engine bench's cluster (1,000 pods, 20 namespaces, 200 NetworkPolicies)
// without and with 100 cluster-wide policies on top (Admin and Baseline
// tiers, ClusterNetworkPolicy and the v1alpha1 kinds, every action and peer
// kind), measured in one run: allows() over every ordered pod pair on TCP/80
// and evaluate() with its trace on a 10k sample, each pair of runs taking
// turns. Prints flows/s and how many verdicts the tiers changed.
//
// With `--baseline REV` it measures the tiered cluster on REV's engine
// (ClusterState and PolicyEngine exported by baseline.ts, fed this tree's
// objects) and on this tree's, taking turns, and checks they agree.
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterPolicy } from '../src/model/types.ts';
import { PolicyEngine, type Flow } from '../src/policy/engine.ts';
import { podEndpoint, type Endpoint } from '../src/policy/endpoint.ts';
import { ALL } from '../test/generators/cluster-builders.ts';
import { clusterPolicyMix } from './cluster-policy-mix.ts';
import { exportRevision } from './baseline.ts';
import { type Bench, type BenchOptions, count, median, prng, rate, timed } from './bench.ts';
import { buildCluster } from './engine-verdicts.ts';

const CLUSTER_POLICIES = 100;
const SAMPLE = 10_000;
const ROUNDS = 3;

const nsName = (n: number): string => `ns-${String(n).padStart(2, '0')}`;

/** 100 cluster-wide policies over the engine bench's namespaces (team t0..t4, env prod/staging/dev, tiers web/api/db/cache). */
export function buildClusterPolicies(count = CLUSTER_POLICIES, seed = 7): ClusterPolicy[] {
  return clusterPolicyMix({
    teams: 5, tiers: ['web', 'api', 'db', 'cache'], envs: ['prod', 'staging', 'dev'], namespace: nsName, namespaces: 20,
    podNetwork: '10.244.0.0/16', nodeSubnet: (i) => `10.244.${i}.0/24`, nodeSelector: ALL, portName: 'http',
  }, count, seed);
}

interface EngineCode {
  readonly ClusterState: typeof ClusterState;
  readonly PolicyEngine: typeof PolicyEngine;
}

function setUp(objects: ClusterObjects, code: EngineCode = { ClusterState, PolicyEngine }) {
  const engine = new code.PolicyEngine(new code.ClusterState(objects));
  const endpoints = objects.pods.map((p) => podEndpoint(p)).filter((e): e is Endpoint => e !== undefined);
  const random = prng(42);
  const ports = [80, 443, 8080, 5432, 9090, 53];
  const sample: Flow[] = Array.from({ length: SAMPLE }, () => ({
    from: endpoints[Math.floor(random() * endpoints.length)]!, to: endpoints[Math.floor(random() * endpoints.length)]!,
    protocol: 'TCP', port: ports[Math.floor(random() * ports.length)]!,
  }));
  const allPairs = (): number => {
    let allowed = 0;
    for (const from of endpoints) for (const to of endpoints) if (engine.allows({ from, to, protocol: 'TCP', port: 80 })) allowed++;
    return allowed;
  };
  const traced = (): number => sample.reduce((n, f) => n + (engine.evaluate(f).allowed ? 1 : 0), 0);
  return { engine, endpoints, sample, allPairs, traced };
}

function run(report: (line: string) => void): void {
  const plain = buildCluster();
  const tiered: ClusterObjects = { ...plain, clusterPolicies: buildClusterPolicies() };
  const cps = tiered.clusterPolicies ?? [];
  report(`cluster: ${count(plain.pods.length)} pods, ${plain.policies.length} NetworkPolicies; with tiers: + ${cps.length} cluster-wide policies `
    + `(${cps.filter((p) => p.tier === 'Admin').length} Admin, ${cps.filter((p) => p.tier === 'Baseline').length} Baseline; `
    + `${cps.reduce((n, p) => n + p.ingress.length + p.egress.length, 0)} rules)`);
  const runs = [
    { label: 'NetworkPolicy only', s: setUp(plain) },
    { label: '+ 100 cluster-wide', s: setUp(tiered) },
  ];
  const n = runs[0]!.s.endpoints.length;
  for (const r of runs) r.s.allPairs(); // fill the memos, not timed
  const pairs = runs.map(() => [] as number[]);
  const trace = runs.map(() => [] as number[]);
  const allowed = runs.map(() => [0, 0]);
  for (let round = 0; round < ROUNDS; round++) {
    runs.forEach((r, i) => {
      const a = timed(r.s.allPairs);
      pairs[i]!.push(a.ms);
      const t = timed(r.s.traced);
      trace[i]!.push(t.ms);
      allowed[i] = [a.result, t.result];
    });
  }
  for (const [i, r] of runs.entries()) {
    report(`${r.label.padEnd(20)} allows(), all ${count(n * n)} pairs, TCP/80: ${rate(n * n, median(pairs[i]!), 'flows')}; `
      + `evaluate() with trace, ${count(SAMPLE)} sample: ${rate(SAMPLE, median(trace[i]!), 'flows')}`);
    report(`${''.padEnd(20)} allowed pairs: ${count(allowed[i]![0]!)}; sample allowed: ${count(allowed[i]![1]!)}`);
  }
  let changed = 0;
  const [a, b] = [runs[0]!.s, runs[1]!.s];
  a.sample.forEach((f, i) => { if (a.engine.allows(f) !== b.engine.allows(b.sample[i]!)) changed++; });
  report(`the tiers changed ${count(changed)} of the ${count(SAMPLE)} sampled verdicts (medians of ${ROUNDS} rounds, the two clusters taking turns)`);
}

async function runBaseline(report: (line: string) => void, rev: string): Promise<void> {
  const r = exportRevision(rev, ['src']);
  try {
    const [model, engine] = await Promise.all([r.load('src/model/cluster-state.ts'), r.load('src/policy/engine.ts')]) as
      [{ ClusterState: typeof ClusterState }, { PolicyEngine: typeof PolicyEngine }];
    const tiered: ClusterObjects = { ...buildCluster(), clusterPolicies: buildClusterPolicies() };
    const runs = [
      { label: r.label, s: setUp(tiered, { ClusterState: model.ClusterState, PolicyEngine: engine.PolicyEngine }) },
      { label: 'this tree', s: setUp(tiered) },
    ];
    const n = runs[1]!.s.endpoints.length;
    report(`the cluster with 100 cluster-wide policies, on ${r.label}'s engine and this tree's, taking turns (${ROUNDS} rounds, medians)`);
    for (const x of runs) x.s.allPairs(); // fill the memos, not timed
    const pairs = runs.map(() => [] as number[]);
    const trace = runs.map(() => [] as number[]);
    const allowed = runs.map(() => [0, 0]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, x] of (round % 2 === 0 ? runs : [...runs].reverse()).entries()) {
        const k = round % 2 === 0 ? i : runs.length - 1 - i;
        const a = timed(x.s.allPairs);
        pairs[k]!.push(a.ms);
        const t = timed(x.s.traced);
        trace[k]!.push(t.ms);
        allowed[k] = [a.result, t.result];
      }
    }
    for (const [i, x] of runs.entries()) {
      report(`${x.label.padEnd(10)} allows(), all ${count(n * n)} pairs: ${rate(n * n, median(pairs[i]!), 'flows')}; evaluate() with trace: ${rate(SAMPLE, median(trace[i]!), 'flows')}`);
    }
    const same = JSON.stringify(allowed[0]) === JSON.stringify(allowed[1]);
    report(`allowed pairs and sample: ${r.label} ${allowed[0]!.join(' / ')}, this tree ${allowed[1]!.join(' / ')}: ${same ? 'the same' : 'DIFFERENT'}`);
    if (!same) process.exitCode = 1;
  } finally {
    r.remove();
  }
}

export const engineTiers: Bench = {
  name: 'engine-tiers',
  description: 'policy engine verdicts on the engine bench\'s cluster without and with 100 cluster-wide policies (Admin, Baseline), side by side; --baseline REV: the tiered cluster on REV\'s engine and this tree\'s',
  baseline: true,
  run: (report: (line: string) => void, options: BenchOptions): Promise<void> | void =>
    options.baseline === undefined ? run(report) : runBaseline(report, options.baseline),
};
