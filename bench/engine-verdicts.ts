// The policy engine's verdicts on a cluster of 1,000 pods in 20 namespaces
// under 200 policies: allows() for every ordered pair of pods (1M flows) on
// TCP/80, and evaluate() with its full trace for a 10k-pair sample.
//
// With `--baseline REV` the same workloads run, in the same process, on git
// revision REV's code (its own cluster builders, ClusterState and engine,
// exported by baseline.ts) and on this tree's, the two taking turns slice by
// slice, and a before/after table of flows/s is printed. The two must agree
// on every verdict count and on the JSON of every traced verdict of the
// sample (the exit code says when they do not).
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects, ContainerPort, NetworkPolicy, Pod } from '../src/model/types.ts';
import { PolicyEngine, type Flow } from '../src/policy/engine.ts';
import { podEndpoint, type Endpoint } from '../src/policy/endpoint.ts';
import * as builders from '../test/generators/cluster-builders.ts';
import { exportRevision } from './baseline.ts';
import { type Bench, type BenchOptions, count, median, millis, prng, rate, timed } from './bench.ts';

type Builders = typeof builders;

const NAMESPACES = 20;
const PODS_PER_NAMESPACE = 50;
const POLICIES_PER_NAMESPACE = 10;
const NODES = 10;
const SAMPLE = 10_000;
const TIERS = ['web', 'api', 'db', 'cache'] as const;
const ENVS = ['prod', 'staging', 'dev'] as const;

const nsName = (n: number): string => `ns-${String(n).padStart(2, '0')}`;

function portsFor(cport: Builders['cport'], tier: string, random: () => number): ContainerPort[] {
  const ports = [cport('metrics', 9090)];
  if (tier === 'web') ports.push(cport('http', random() < 0.5 ? 80 : 8080), cport('https', 443));
  if (tier === 'api') ports.push(cport('http', 8080), cport('grpc', 9000));
  if (tier === 'db') ports.push(cport('pg', 5432));
  if (tier === 'cache') ports.push(cport('redis', 6379), cport('http', 80, 'UDP'));
  return ports;
}

/**
 * The same cluster on every run: a seeded PRNG picks labels, ports and
 * variants. `b` is the builders module of the revision being measured, so a
 * baseline builds its cluster with its own code.
 */
export function buildCluster(b: Builders = builders, seed = 1): ClusterObjects {
  const { ALL, andPeer, cport, DoesNotExist, Exists, expr, In, ipBlock, node, NotIn, ns, nsPeer, podPeer, policy, pport, rule, sel, tcp, udp } = b;
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

  const namespaces = Array.from({ length: NAMESPACES }, (_, n) =>
    ns(nsName(n), { team: `t${n % 5}`, env: ENVS[n % 3] as string, ...(n === 0 ? { role: 'infra' } : {}) }));
  const nodes = Array.from({ length: NODES }, (_, i) => node(`node-${i}`, [`192.168.0.${i + 1}`]));

  const pods: Pod[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    for (let p = 0; p < PODS_PER_NAMESPACE; p++) {
      const tier = TIERS[p % TIERS.length] as string;
      const i = n * PODS_PER_NAMESPACE + p;
      pods.push({
        namespace: nsName(n),
        name: `${tier}-${p}`,
        kind: 'Pod',
        labels: {
          app: `app-${p % 10}`,
          tier,
          version: pick(['v1', 'v2']),
          ...(random() < 0.1 ? { canary: 'true' } : {}),
        },
        ips: [`10.244.${n}.${p + 1}`, ...(random() < 0.2 ? [`fd00::${n.toString(16)}:${(p + 1).toString(16)}`] : [])],
        nodeName: `node-${i % NODES}`,
        hostNetwork: false,
        phase: 'Running',
        ports: portsFor(cport, tier, random),
      });
    }
  }

  const policies: NetworkPolicy[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    const at = (k: number): string => `${nsName(n)}/p${k}`;
    const otherTeam = `t${(n + 1 + Math.floor(random() * 4)) % 5}`;
    const variants: NetworkPolicy[] = [
      // Default deny ingress in most namespaces; a few stay open except where selected.
      n % 4 === 3
        ? policy(at(0), { podSelector: sel({ tier: 'db' }), ingress: [] })
        : policy(at(0), { podSelector: ALL, ingress: [] }),
      policy(at(1), {
        podSelector: sel({ tier: 'db' }),
        ingress: [rule([podPeer(sel({ tier: 'api' }))], [tcp(5432), tcp('pg')])],
      }),
      policy(at(2), {
        podSelector: sel({ tier: 'web' }),
        ingress: [rule([nsPeer(sel({ env: pick(ENVS) as string }))], [tcp(80), tcp(443), tcp('http')])],
      }),
      policy(at(3), {
        podSelector: expr(In('app', 'app-1', 'app-2', `app-${3 + (n % 7)}`)),
        ingress: [rule([andPeer(sel({ team: otherTeam }), sel({ tier: 'api' })), podPeer(sel({ tier: 'web' }))], [tcp('http'), tcp('grpc')])],
      }),
      policy(at(4), {
        podSelector: sel({ tier: 'web' }),
        egress: [
          rule([podPeer(sel({ tier: 'api' }))], [tcp(8080), tcp('http')]),
          rule([andPeer(sel({ role: 'infra' }), ALL)], [udp(53), tcp(53)]),
          rule([nsPeer(sel({ team: otherTeam }))], [tcp(80)]),
        ],
      }),
      policy(at(5), {
        podSelector: sel({ tier: 'api' }),
        policyTypes: ['Egress'],
        egress: [
          rule([ipBlock('10.244.0.0/16', `10.244.${n}.0/24`, `10.244.${(n + 7) % NAMESPACES}.0/25`)], [tcp(8000, 9000), tcp(80)]),
          rule([podPeer(ALL)]),
          rule([ipBlock('0.0.0.0/0', '10.0.0.0/8', '192.168.0.0/16')], [tcp(443)]),
        ],
      }),
      policy(at(6), {
        podSelector: expr(Exists('app')),
        ingress: [rule([ipBlock('10.244.0.0/16', `10.244.${(n + 3) % NAMESPACES}.0/24`)], [tcp('metrics'), pport({ port: 9090 })])],
      }),
      policy(at(7), {
        podSelector: expr(NotIn('tier', 'db')),
        ingress: [rule([nsPeer(expr(In('team', 't1', 't2'), NotIn('env', 'dev')))])],
      }),
      policy(at(8), {
        podSelector: expr(DoesNotExist('canary')),
        ingress: [rule([podPeer(ALL)], [tcp(80)]), rule([nsPeer(sel({ 'kubernetes.io/metadata.name': nsName((n + 5) % NAMESPACES) }))], [tcp(80, 90)])],
      }),
      policy(at(9), { podSelector: sel({ tier: 'cache', version: 'v2' }), policyTypes: ['Egress'], egress: [] }),
    ];
    policies.push(...variants.slice(0, POLICIES_PER_NAMESPACE));
  }
  return { namespaces, pods, policies, nodes };
}

/** What the benchmark needs of one revision of the code. */
interface EngineCode {
  readonly label: string;
  readonly builders: Builders;
  readonly ClusterState: typeof ClusterState;
  readonly PolicyEngine: typeof PolicyEngine;
  readonly podEndpoint: typeof podEndpoint;
}

const THIS_TREE: EngineCode = { label: 'this tree', builders, ClusterState, PolicyEngine, podEndpoint };

/** The engine code of a git revision (the paths must be the same there as here). */
async function revisionCode(rev: string): Promise<{ code: EngineCode; remove: () => void }> {
  const r = exportRevision(rev, ['src', 'test/generators']);
  try {
    const [b, model, engine, endpoint] = await Promise.all([
      r.load('test/generators/cluster-builders.ts'), r.load('src/model/cluster-state.ts'),
      r.load('src/policy/engine.ts'), r.load('src/policy/endpoint.ts'),
    ]) as [Builders, { ClusterState: typeof ClusterState }, { PolicyEngine: typeof PolicyEngine }, { podEndpoint: typeof podEndpoint }];
    const code = { label: r.label, builders: b, ClusterState: model.ClusterState, PolicyEngine: engine.PolicyEngine, podEndpoint: endpoint.podEndpoint };
    return { code, remove: r.remove };
  } catch (e) {
    r.remove();
    throw e;
  }
}

/** Counts a workload returns; a sliced run adds them up. */
type Counts = readonly number[];

/** One revision's cluster, engine, endpoints and traced sample, and the timed workloads on them. */
function setUp(code: EngineCode) {
  const built = timed(() => {
    const objects = buildCluster(code.builders);
    const engine = new code.PolicyEngine(new code.ClusterState(objects));
    return { objects, engine };
  });
  const { objects, engine } = built.result;
  const endpoints = objects.pods.map((p) => code.podEndpoint(p)).filter((e): e is Endpoint => e !== undefined);
  const n = endpoints.length;
  // evaluate() with trace on a fixed sample of pairs, on a mix of ports.
  const random = prng(42);
  const ports = [80, 443, 8080, 5432, 9090];
  const sample: Flow[] = Array.from({ length: SAMPLE }, () => ({
    from: endpoints[Math.floor(random() * n)]!,
    to: endpoints[Math.floor(random() * n)]!,
    protocol: 'TCP',
    port: ports[Math.floor(random() * ports.length)]!,
  }));
  // Each workload runs on a slice [from, to) of its list: the sources of the
  // pairs, or the sample; [allowed] or [allowed, rules in traces].
  return {
    code, objects, engine, n, sample, buildMs: built.ms,
    // Every ordered pair, TCP/80. The first pass also fills the engine's
    // isolation memo; later ones show the steady state.
    allPairs: (from = 0, to = n) => timed((): Counts => {
      let allowed = 0;
      for (let i = from; i < to; i++) {
        const src = endpoints[i]!;
        for (let j = 0; j < n; j++) {
          const flow: Flow = { from: src, to: endpoints[j]!, protocol: 'TCP', port: 80 };
          if (engine.allows(flow)) allowed++;
        }
      }
      return [allowed];
    }),
    traced: (from = 0, to = SAMPLE) => timed((): Counts => {
      let allowed = 0;
      let rules = 0;
      for (let i = from; i < to; i++) {
        const v = engine.evaluate(sample[i]!);
        if (v.allowed) allowed++;
        rules += v.egress.allowedBy.length + v.ingress.allowedBy.length
          + v.egress.misses.reduce((s, m) => s + m.rules.length, 0) + v.ingress.misses.reduce((s, m) => s + m.rules.length, 0);
      }
      return [allowed, rules];
    }),
    sampleAllows: (from = 0, to = SAMPLE) => timed((): Counts => {
      let allowed = 0;
      for (let i = from; i < to; i++) if (engine.allows(sample[i]!)) allowed++;
      return [allowed];
    }),
  };
}

type Setup = ReturnType<typeof setUp>;

function describeCluster(s: Setup): string {
  const { objects } = s;
  return `cluster: ${count(objects.pods.length)} pods, ${objects.namespaces.length} namespaces, ${objects.policies.length} policies, ${objects.nodes.length} nodes (built in ${millis(s.buildMs)})`;
}

function runOne(report: (line: string) => void): void {
  const s = setUp(THIS_TREE);
  const { n } = s;
  report(describeCluster(s));
  const cold = s.allPairs();
  report(`allows(), all ordered pairs, TCP/80, first pass: ${rate(n * n, cold.ms, 'flows')}`);
  const warm = s.allPairs();
  const [allowed = 0] = warm.result;
  report(`allows(), all ordered pairs, TCP/80, second pass: ${rate(n * n, warm.ms, 'flows')}`);
  report(`allowed: ${count(allowed)} of ${count(n * n)} (${((100 * allowed) / (n * n)).toFixed(1)}%)`);
  const traced = s.traced();
  report(`evaluate() with trace, ${count(SAMPLE)} sampled pairs: ${rate(SAMPLE, traced.ms, 'flows')}`);
  report(`  of which allowed: ${count(traced.result[0] ?? 0)}; rules in traces: ${count(traced.result[1] ?? 0)}`);
  const sampleAllows = s.sampleAllows();
  report(`allows() on the same sample, for comparison: ${rate(SAMPLE, sampleAllows.ms, 'flows')}`);
}

/** Rounds of each workload per revision in a side-by-side run. */
const ROUNDS = 7;

interface Measured {
  /** Sum over the slices of each one's fastest round, ms. */
  readonly best: number;
  /** Median of the round totals, ms. */
  readonly median: number;
  readonly counts: Counts;
}

/**
 * A workload on both revisions, ROUNDS times over `slices` slices of
 * [0, size), the two taking turns on each slice (who goes first alternates).
 * On a shared machine another process slows some slices of some rounds:
 * `best` counts each slice's fastest round only, `median` the typical round.
 */
function interleave(
  setups: readonly [Setup, Setup], size: number, slices: number,
  work: (s: Setup, from: number, to: number) => { ms: number; result: Counts },
): [Measured, Measured] {
  const times = setups.map(() => Array.from({ length: slices }, () => [] as number[]));
  const totals = setups.map(() => new Array<number>(ROUNDS).fill(0));
  const counts = setups.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let c = 0; c < slices; c++) {
      const from = Math.floor((size * c) / slices);
      const to = Math.floor((size * (c + 1)) / slices);
      for (const i of (round + c) % 2 === 0 ? [0, 1] : [1, 0]) {
        const t = work(setups[i]!, from, to);
        times[i]![c]!.push(t.ms);
        totals[i]![round]! += t.ms;
        if (round === 0) t.result.forEach((x, k) => (counts[i]![k] = (counts[i]![k] ?? 0) + x));
      }
    }
  }
  const measured = (i: number): Measured => ({
    best: times[i]!.reduce((sum, xs) => sum + Math.min(...xs), 0),
    median: median(totals[i]!),
    counts: counts[i]!,
  });
  return [measured(0), measured(1)];
}

async function runSideBySide(report: (line: string) => void, rev: string): Promise<void> {
  const { code, remove } = await revisionCode(rev);
  try {
    const setups: [Setup, Setup] = [setUp(code), setUp(THIS_TREE)];
    const [before, after] = setups;
    report(`before: ${before.code.label}, after: ${after.code.label}; each workload ${ROUNDS} rounds in slices, the two taking turns on each slice,`);
    report('after one untimed pass each over all pairs that fills the isolation memo');
    report(`${before.code.label} ${describeCluster(before)}`);
    report(`${after.code.label} ${describeCluster(after)}`);
    const n = after.n;
    if (before.n !== n || before.objects.policies.length !== after.objects.policies.length) throw new Error('the two revisions built different clusters');

    // Not compared: the first to run also warms the packages both share.
    before.allPairs();
    after.allPairs();
    const pairs = interleave(setups, n, 40, (s, from, to) => s.allPairs(from, to));
    const traced = interleave(setups, SAMPLE, 10, (s, from, to) => s.traced(from, to));
    const sampled = interleave(setups, SAMPLE, 10, (s, from, to) => s.sampleAllows(from, to));

    const perS = (flows: number, ms: number): number => (flows * 1000) / ms;
    const rows: [string, number, number][] = [];
    const add = (m: [Measured, Measured], flows: number, label: string): void => {
      rows.push([`${label}, best`, perS(flows, m[0].best), perS(flows, m[1].best)]);
      rows.push([`${label}, median`, perS(flows, m[0].median), perS(flows, m[1].median)]);
    };
    add(pairs, n * n, 'allows(), all 1M pairs, TCP/80');
    add(traced, SAMPLE, `evaluate() with trace, ${count(SAMPLE)} sample`);
    add(sampled, SAMPLE, `allows(), the ${count(SAMPLE)} sample`);

    const w = Math.max(...rows.map((r) => r[0].length));
    const col = (x: string): string => x.padStart(12);
    report('');
    report(`${'flows/s'.padEnd(w)}  ${col(before.code.label)}  ${col(after.code.label)}  ${col('change')}`);
    for (const [label, b, a] of rows) {
      report(`${label.padEnd(w)}  ${col(count(b))}  ${col(count(a))}  ${col(`${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)}%`)}`);
    }
    report('');

    // Same verdicts: the counts, and the JSON of every traced verdict of the sample.
    const counts = (i: 0 | 1): string =>
      `allowed pairs ${count(pairs[i].counts[0] ?? 0)}, sample allowed ${count(traced[i].counts[0] ?? 0)}, rules in traces ${count(traced[i].counts[1] ?? 0)}`;
    report(`${before.code.label}: ${counts(0)}`);
    report(`${after.code.label}: ${counts(1)}`);
    let differ = 0;
    before.sample.forEach((f, i) => {
      if (JSON.stringify(before.engine.evaluate(f)) !== JSON.stringify(after.engine.evaluate(after.sample[i]!))) differ++;
    });
    report(`evaluate() JSON on the ${count(SAMPLE)} sample: ${differ === 0 ? 'identical' : `${count(differ)} verdicts differ`}`);
    if (counts(0) !== counts(1) || differ > 0) process.exitCode = 1;
  } finally {
    remove();
  }
}

function run(report: (line: string) => void, options: BenchOptions): Promise<void> | void {
  return options.baseline === undefined ? runOne(report) : runSideBySide(report, options.baseline);
}

export const engineVerdicts: Bench = {
  name: 'engine',
  description: 'policy engine verdicts: 1,000 pods, 20 namespaces, 200 policies; all 1M pod pairs and a 10k traced sample',
  baseline: true,
  run,
};
