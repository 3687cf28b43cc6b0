// The engine bench's cluster (1,000 pods, 20 namespaces, 200 NetworkPolicies)
// without and with 100 cluster-wide policies on top (Admin and Baseline
// tiers, ClusterNetworkPolicy and the v1alpha1 kinds, every action and peer
// kind), measured in one run: allows() over every ordered pod pair on TCP/80
// and evaluate() with its trace on a 10k sample, each pair of runs taking
// turns. Prints flows/s and how many verdicts the tiers changed.
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterPolicy } from '../src/model/types.ts';
import { PolicyEngine, type Flow } from '../src/policy/engine.ts';
import { podEndpoint, type Endpoint } from '../src/policy/endpoint.ts';
import { ALL } from '../test/generators/cluster-builders.ts';
import { clusterPolicyMix } from './cluster-policy-mix.ts';
import { type Bench, count, median, prng, rate, timed } from './bench.ts';
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

function setUp(objects: ClusterObjects) {
  const engine = new PolicyEngine(new ClusterState(objects));
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

export const engineTiers: Bench = {
  name: 'engine-tiers',
  description: 'policy engine verdicts on the engine bench\'s cluster without and with 100 cluster-wide policies (Admin, Baseline), side by side',
  run,
};
