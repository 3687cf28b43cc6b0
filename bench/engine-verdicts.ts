// The policy engine's verdicts on a cluster of 1,000 pods in 20 namespaces
// under 200 policies: allows() for every ordered pair of pods (1M flows) on
// TCP/80, and evaluate() with its full trace for a 10k-pair sample.
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects, ContainerPort, NetworkPolicy, Pod } from '../src/model/types.ts';
import { PolicyEngine, type Flow } from '../src/policy/engine.ts';
import { podEndpoint, type Endpoint } from '../src/policy/endpoint.ts';
import {
  ALL, andPeer, cport, DoesNotExist, Exists, expr, In, ipBlock, node, NotIn, ns, nsPeer, podPeer, policy, pport, rule, sel, tcp, udp,
} from '../test/generators/cluster-builders.ts';
import { count, millis, prng, rate, timed, type Bench } from './bench.ts';

const NAMESPACES = 20;
const PODS_PER_NAMESPACE = 50;
const POLICIES_PER_NAMESPACE = 10;
const NODES = 10;
const SAMPLE = 10_000;
const TIERS = ['web', 'api', 'db', 'cache'] as const;
const ENVS = ['prod', 'staging', 'dev'] as const;

const nsName = (n: number): string => `ns-${String(n).padStart(2, '0')}`;

function portsFor(tier: string, random: () => number): ContainerPort[] {
  const ports = [cport('metrics', 9090)];
  if (tier === 'web') ports.push(cport('http', random() < 0.5 ? 80 : 8080), cport('https', 443));
  if (tier === 'api') ports.push(cport('http', 8080), cport('grpc', 9000));
  if (tier === 'db') ports.push(cport('pg', 5432));
  if (tier === 'cache') ports.push(cport('redis', 6379), cport('http', 80, 'UDP'));
  return ports;
}

/** The same cluster on every run: a seeded PRNG picks labels, ports and variants. */
export function buildCluster(seed = 1): ClusterObjects {
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
        ports: portsFor(tier, random),
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

function run(report: (line: string) => void): void {
  const built = timed(() => {
    const objects = buildCluster();
    const state = new ClusterState(objects);
    return { objects, state, engine: new PolicyEngine(state) };
  });
  const { objects, engine } = built.result;
  report(`cluster: ${count(objects.pods.length)} pods, ${objects.namespaces.length} namespaces, ${objects.policies.length} policies, ${objects.nodes.length} nodes (built in ${millis(built.ms)})`);

  const endpoints = objects.pods.map((p) => podEndpoint(p)).filter((e): e is Endpoint => e !== undefined);
  const n = endpoints.length;

  // Every ordered pair, TCP/80. The first pass also fills the engine's
  // isolation memo; the second shows the steady state.
  const pass = () => timed(() => {
    let allowed = 0;
    for (let i = 0; i < n; i++) {
      const from = endpoints[i]!;
      for (let j = 0; j < n; j++) {
        const flow: Flow = { from, to: endpoints[j]!, protocol: 'TCP', port: 80 };
        if (engine.allows(flow)) allowed++;
      }
    }
    return allowed;
  });
  const cold = pass();
  report(`allows(), all ordered pairs, TCP/80, first pass: ${rate(n * n, cold.ms, 'flows')}`);
  const warm = pass();
  report(`allows(), all ordered pairs, TCP/80, second pass: ${rate(n * n, warm.ms, 'flows')}`);
  report(`allowed: ${count(warm.result)} of ${count(n * n)} (${((100 * warm.result) / (n * n)).toFixed(1)}%)`);

  // evaluate() with trace on a fixed sample of pairs, on a mix of ports.
  const random = prng(42);
  const ports = [80, 443, 8080, 5432, 9090];
  const sample: Flow[] = Array.from({ length: SAMPLE }, () => ({
    from: endpoints[Math.floor(random() * n)]!,
    to: endpoints[Math.floor(random() * n)]!,
    protocol: 'TCP',
    port: ports[Math.floor(random() * ports.length)]!,
  }));
  const traced = timed(() => {
    let allowed = 0;
    let rules = 0;
    for (const flow of sample) {
      const v = engine.evaluate(flow);
      if (v.allowed) allowed++;
      rules += v.egress.allowedBy.length + v.ingress.allowedBy.length
        + v.egress.misses.reduce((s, m) => s + m.rules.length, 0) + v.ingress.misses.reduce((s, m) => s + m.rules.length, 0);
    }
    return { allowed, rules };
  });
  report(`evaluate() with trace, ${count(SAMPLE)} sampled pairs: ${rate(SAMPLE, traced.ms, 'flows')}`);
  report(`  of which allowed: ${count(traced.result.allowed)}; rules in traces: ${count(traced.result.rules)}`);
  const sampleAllows = timed(() => sample.reduce((k, f) => k + (engine.allows(f) ? 1 : 0), 0));
  report(`allows() on the same sample, for comparison: ${rate(SAMPLE, sampleAllows.ms, 'flows')}`);
}

export const engineVerdicts: Bench = {
  name: 'engine',
  description: 'policy engine verdicts: 1,000 pods, 20 namespaces, 200 policies; all 1M pod pairs and a 10k traced sample',
  run,
};
