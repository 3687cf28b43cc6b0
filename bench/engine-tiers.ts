// The engine bench's cluster (1,000 pods, 20 namespaces, 200 NetworkPolicies)
// without and with 100 cluster-wide policies on top (Admin and Baseline
// tiers, ClusterNetworkPolicy and the v1alpha1 kinds, every action and peer
// kind), measured in one run: allows() over every ordered pod pair on TCP/80
// (once on a new engine, then on one whose memos are full), evaluate() with
// its trace on a 10k sample, and the matrix of exact connection sets of the
// first 200 workloads (policy-explain report's size; a new engine each time),
// the two sides taking turns. Prints flows/s and how many verdicts the tiers
// changed.
//
// With `--baseline REV` the two sides are the tiered cluster on REV's engine
// (ClusterState, PolicyEngine and computeConnectionMatrix exported by
// baseline.ts, fed this tree's objects) and on this tree's, measured by the
// same loop, and it checks they agree (allowed pairs, sample, matrix).
import { createHash } from 'node:crypto';
import { computeConnectionMatrix } from '../src/explain/matrix.ts';
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
/** The matrix's namespaces: 4 of 50 workloads, 200 workloads in all. */
const MATRIX_NAMESPACES = 4;

const nsName = (n: number): string => `ns-${String(n).padStart(2, '0')}`;

/** 100 cluster-wide policies over the engine bench's namespaces (team t0..t4, env prod/staging/dev, tiers web/api/db/cache). */
export function buildClusterPolicies(count = CLUSTER_POLICIES, seed = 7): ClusterPolicy[] {
  return clusterPolicyMix({
    teams: 5, tiers: ['web', 'api', 'db', 'cache'], envs: ['prod', 'staging', 'dev'], namespace: nsName, namespaces: 20,
    podNetwork: '10.244.0.0/16', nodeSubnet: (i) => `10.244.${i}.0/24`, nodeSelector: ALL, portName: 'http',
  }, count, seed);
}

/** The engine's code: this tree's, or a revision's exported by baseline.ts. */
interface EngineCode {
  readonly ClusterState: typeof ClusterState;
  readonly PolicyEngine: typeof PolicyEngine;
  readonly computeConnectionMatrix: typeof computeConnectionMatrix;
}

const THIS_TREE: EngineCode = { ClusterState, PolicyEngine, computeConnectionMatrix };

/** The first 4 namespaces (200 workloads) of the cluster, for the matrix of connection sets: policy-explain report's size. */
function matrixCluster(all: ClusterObjects): ClusterObjects {
  const keep = new Set(all.namespaces.slice(0, MATRIX_NAMESPACES).map((x) => x.name));
  return { ...all, namespaces: all.namespaces.filter((x) => keep.has(x.name)), pods: all.pods.filter((p) => keep.has(p.namespace)), policies: all.policies.filter((p) => keep.has(p.namespace)) };
}

/** One side of the comparison: a cluster on an engine's code, with the questions each timing asks. */
function setUp(label: string, objects: ClusterObjects, code: EngineCode = THIS_TREE) {
  const engine = new code.PolicyEngine(new code.ClusterState(objects));
  const endpoints = objects.pods.map((p) => podEndpoint(p)).filter((e): e is Endpoint => e !== undefined);
  const random = prng(42);
  const ports = [80, 443, 8080, 5432, 9090, 53];
  const sample: Flow[] = Array.from({ length: SAMPLE }, () => ({
    from: endpoints[Math.floor(random() * endpoints.length)]!, to: endpoints[Math.floor(random() * endpoints.length)]!,
    protocol: 'TCP', port: ports[Math.floor(random() * ports.length)]!,
  }));
  const allPairs = (on = engine): number => {
    let allowed = 0;
    for (const from of endpoints) for (const to of endpoints) if (on.allows({ from, to, protocol: 'TCP', port: 80 })) allowed++;
    return allowed;
  };
  const traced = (): number => sample.reduce((n, f) => n + (engine.evaluate(f).allowed ? 1 : 0), 0);
  const matrixState = new code.ClusterState(matrixCluster(objects));
  // Each matrix is a new engine (as each policy-explain command is): nothing remembered from the round before.
  const matrix = (): string => {
    const m = code.computeConnectionMatrix(matrixState, null);
    return createHash('sha256').update(JSON.stringify(m.connections?.map((row) => row.map((c) => c?.format() ?? null)))).digest('hex').slice(0, 12);
  };
  return { label, engine, endpoints, sample, matrixPods: matrixState.pods.size, allPairs, traced, matrix, cold: () => allPairs(new code.PolicyEngine(engine.state)) };
}

type Side = ReturnType<typeof setUp>;

interface Figures {
  /** allows() on every pair, a fresh engine (its memos empty): ms and allowed pairs. */
  readonly cold: { ms: number; allowed: number };
  readonly pairs: number[];
  readonly trace: number[];
  readonly matrix: number[];
  allowed: [number, number];
  matrixDigest: string;
}

/** Times every side ROUNDS times, the sides taking turns (in reverse order every other round), after one untimed pass that fills the memos. */
function measure(sides: readonly Side[]): Figures[] {
  const figures = sides.map((side): Figures => {
    const cold = timed(() => side.cold());
    return { cold: { ms: cold.ms, allowed: cold.result }, pairs: [], trace: [], matrix: [], allowed: [0, 0], matrixDigest: '' };
  });
  for (const side of sides) side.allPairs(); // fill the memos, not timed
  for (let round = 0; round < ROUNDS; round++) {
    const order = sides.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const side = sides[i]!;
      const f = figures[i]!;
      const a = timed(() => side.allPairs());
      const t = timed(side.traced);
      const m = timed(side.matrix);
      f.pairs.push(a.ms);
      f.trace.push(t.ms);
      f.matrix.push(m.ms);
      f.allowed = [a.result, t.result];
      f.matrixDigest = m.result;
    }
  }
  return figures;
}

function reportFigures(report: (line: string) => void, sides: readonly Side[], figures: readonly Figures[]): void {
  const n = sides[0]!.endpoints.length;
  const width = Math.max(...sides.map((s) => s.label.length));
  for (const [i, side] of sides.entries()) {
    const f = figures[i]!;
    report(`${side.label.padEnd(width)} allows(), all ${count(n * n)} pairs, TCP/80: ${rate(n * n, median(f.pairs), 'flows')}; `
      + `the first pass, on a new engine: ${rate(n * n, f.cold.ms, 'flows')}`);
    report(`${''.padEnd(width)} evaluate() with trace, ${count(SAMPLE)} sample: ${rate(SAMPLE, median(f.trace), 'flows')}`);
    report(`${''.padEnd(width)} connection-set matrix of ${count(side.matrixPods)} workloads (${MATRIX_NAMESPACES} namespaces), a new engine each: `
      + `${rate(side.matrixPods * (side.matrixPods - 1), median(f.matrix), 'pairs')}`);
    report(`${''.padEnd(width)} allowed pairs: ${count(f.allowed[0])}; sample allowed: ${count(f.allowed[1])}; matrix digest ${f.matrixDigest}`);
  }
}

function run(report: (line: string) => void): void {
  const plain = buildCluster();
  const tiered: ClusterObjects = { ...plain, clusterPolicies: buildClusterPolicies() };
  const cps = tiered.clusterPolicies ?? [];
  report(`cluster: ${count(plain.pods.length)} pods, ${plain.policies.length} NetworkPolicies; with tiers: + ${cps.length} cluster-wide policies `
    + `(${cps.filter((p) => p.tier === 'Admin').length} Admin, ${cps.filter((p) => p.tier === 'Baseline').length} Baseline; `
    + `${cps.reduce((n, p) => n + p.ingress.length + p.egress.length, 0)} rules)`);
  const sides = [setUp('NetworkPolicy only', plain), setUp(`+ ${cps.length} cluster-wide`, tiered)];
  reportFigures(report, sides, measure(sides));
  let changed = 0;
  const [a, b] = sides as [Side, Side];
  a.sample.forEach((f, i) => { if (a.engine.allows(f) !== b.engine.allows(b.sample[i]!)) changed++; });
  report(`the tiers changed ${count(changed)} of the ${count(SAMPLE)} sampled verdicts (medians of ${ROUNDS} rounds, the two clusters taking turns)`);
}

async function runBaseline(report: (line: string) => void, rev: string): Promise<void> {
  const r = exportRevision(rev, ['src']);
  try {
    const [model, engine, matrix] = await Promise.all([r.load('src/model/cluster-state.ts'), r.load('src/policy/engine.ts'), r.load('src/explain/matrix.ts')]) as
      [{ ClusterState: typeof ClusterState }, { PolicyEngine: typeof PolicyEngine }, { computeConnectionMatrix: typeof computeConnectionMatrix }];
    const tiered: ClusterObjects = { ...buildCluster(), clusterPolicies: buildClusterPolicies() };
    const old: EngineCode = { ClusterState: model.ClusterState, PolicyEngine: engine.PolicyEngine, computeConnectionMatrix: matrix.computeConnectionMatrix };
    const sides = [setUp(r.label, tiered, old), setUp('this tree', tiered)];
    report(`the cluster with ${CLUSTER_POLICIES} cluster-wide policies, on ${r.label}'s engine and this tree's, taking turns (${ROUNDS} rounds, medians)`);
    const figures = measure(sides);
    reportFigures(report, sides, figures);
    const [before, after] = figures as [Figures, Figures];
    const same = JSON.stringify([before.allowed, before.cold.allowed, before.matrixDigest]) === JSON.stringify([after.allowed, after.cold.allowed, after.matrixDigest]);
    report(`allowed pairs, sample and matrix: ${same ? 'the same' : 'DIFFERENT'} on both`);
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
