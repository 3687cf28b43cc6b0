// Deterministic generated clusters for the compile/render benchmarks: N pods,
// 110 per node, 50 per namespace, 5 policies per namespace. Pods are spread
// round-robin over the nodes (as a scheduler spreads replicas), so every node
// hosts pods of ~110 namespaces and enforces their policies: the node tables
// are as big as a real cluster of that size makes them, not a best case.
//
// The policy mix, per namespace: one default deny (20% of all policies; a
// third of them also deny egress) and four of eight templates in rotation:
// in-namespace podSelector peers, namespaceSelector peers (matchLabels and
// expressions), namespace AND pod peers, ipBlocks with except, numeric,
// named and ranged ports, ingress and egress.
import type { ClusterObjects, ContainerPort, NetworkPolicy, Pod } from '../src/model/types.ts';
import {
  ALL, andPeer, cport, DoesNotExist, Exists, expr, In, ipBlock, node, NotIn, ns, nsPeer, podPeer, policy, rule, sel, tcp, udp,
} from '../test/generators/cluster-builders.ts';
import { prng } from './bench.ts';
import { clusterPolicyMix } from './cluster-policy-mix.ts';

export const PODS_PER_NODE = 110;
const PODS_PER_NAMESPACE = 50;
const TIERS = ['web', 'api', 'db', 'cache', 'worker'] as const;
const ENVS = ['prod', 'staging', 'dev'] as const;
const TEAMS = 10;

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const nsName = (n: number): string => `ns-${pad(n, 4)}`;
export const nodeName = (k: number): string => `node-${pad(k, 3)}`;
/** Node k's pod CIDRs: 10.128.0.0/9 in /24s, and fd00:10:k::/64. */
const nodeV4 = (k: number): string => `10.${128 + (k >> 8)}.${k & 255}`;

function portsFor(tier: string): ContainerPort[] {
  const ports = [cport('metrics', 9090)];
  if (tier === 'web') ports.push(cport('http', 8080), cport('https', 443));
  if (tier === 'api') ports.push(cport('http', 8080), cport('grpc', 9000));
  if (tier === 'db') ports.push(cport('pg', 5432));
  if (tier === 'cache') ports.push(cport('redis', 6379));
  return ports;
}

/** The eight non-default-deny templates; `n` is the namespace index, `at` names the policy. */
function template(t: number, n: number, at: string, namespaces: number, random: () => number): NetworkPolicy {
  const team = `t${(n + 1 + Math.floor(random() * (TEAMS - 1))) % TEAMS}`;
  const env = ENVS[Math.floor(random() * ENVS.length)] as string;
  switch (t) {
    case 0: // in-namespace pod peer, numeric + named port
      return policy(at, { podSelector: sel({ tier: 'db' }), ingress: [rule([podPeer(sel({ tier: 'api' }))], [tcp(5432), tcp('pg')])] });
    case 1: // namespaceSelector peer
      return policy(at, { podSelector: sel({ tier: 'web' }), ingress: [rule([nsPeer(sel({ env }))], [tcp(80), tcp(443), tcp('http')])] });
    case 2: // namespace AND pod peer, plus an in-namespace peer; named ports
      return policy(at, {
        podSelector: expr(In('app', 'app-1', 'app-2', `app-${3 + (n % 7)}`)),
        ingress: [rule([andPeer(sel({ team }), sel({ tier: 'api' })), podPeer(sel({ tier: 'web' }))], [tcp('http'), tcp('grpc')])],
      });
    case 3: // egress: pods, DNS in the infra namespace, another team's namespaces
      return policy(at, {
        podSelector: sel({ tier: 'web' }),
        egress: [
          rule([podPeer(sel({ tier: 'api' }))], [tcp(8080), tcp('http')]),
          rule([andPeer(sel({ role: 'infra' }), sel({ app: 'app-0' }))], [udp(53), tcp(53)]),
          rule([nsPeer(sel({ team }))], [tcp(80)]),
        ],
      });
    case 4: // egress ipBlocks with except, a port range
      return policy(at, {
        podSelector: sel({ tier: 'api' }),
        policyTypes: ['Egress'],
        egress: [
          rule([ipBlock('10.128.0.0/9', `${nodeV4(n % 256)}.0/24`, `${nodeV4((n + 7) % 256)}.0/25`)], [tcp(8000, 9000), tcp(80)]),
          rule([podPeer(ALL)]),
          rule([ipBlock('0.0.0.0/0', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')], [tcp(443)]),
        ],
      });
    case 5: // ipBlock + AND peer, named and numeric metrics port
      return policy(at, {
        podSelector: expr(Exists('app')),
        ingress: [rule(
          [ipBlock('10.128.0.0/9', `${nodeV4((n + 3) % 256)}.0/24`), andPeer(sel({ role: 'infra' }), sel({ tier: 'worker' }))],
          [tcp('metrics'), tcp(9090)],
        )],
      });
    case 6: // namespaceSelector with expressions, all ports
      return policy(at, {
        podSelector: expr(NotIn('tier', 'db')),
        ingress: [rule([nsPeer(expr(In('team', 't1', 't2'), NotIn('env', 'dev'))), podPeer(sel({ tier: 'worker' }))])],
      });
    default: // every pod of the namespace on 80, one named namespace on a range, UDP
      return policy(at, {
        podSelector: expr(DoesNotExist('canary')),
        ingress: [
          rule([podPeer(ALL)], [tcp(80)]),
          rule([nsPeer(sel({ 'kubernetes.io/metadata.name': nsName((n + 5) % namespaces) }))], [tcp(80, 90), udp(5000, 5100)]),
        ],
      });
  }
}

export function generateCluster(podCount: number, policyCount: number, seed = 7): ClusterObjects {
  const random = prng(seed);
  const nodeCount = Math.max(1, Math.round(podCount / PODS_PER_NODE));
  const namespaceCount = Math.ceil(podCount / PODS_PER_NAMESPACE);
  const nodes = Array.from({ length: nodeCount }, (_, k) =>
    node(nodeName(k), [`172.20.${k >> 8}.${k & 255}`], [`${nodeV4(k)}.0/24`, `fd00:10:${k.toString(16)}::/64`]));
  const namespaces = Array.from({ length: namespaceCount }, (_, n) =>
    ns(nsName(n), { team: `t${n % TEAMS}`, env: ENVS[n % 3] as string, ...(n === 0 ? { role: 'infra' } : {}) }));

  const pods: Pod[] = [];
  for (let i = 0; i < podCount; i++) {
    const k = i % nodeCount;
    const local = Math.floor(i / nodeCount) + 2;
    const p = i % PODS_PER_NAMESPACE;
    const tier = TIERS[p % TIERS.length] as string;
    const ips = [`${nodeV4(k)}.${local}`, ...(random() < 0.1 ? [`fd00:10:${k.toString(16)}::${local.toString(16)}`] : [])];
    pods.push({
      namespace: nsName(Math.floor(i / PODS_PER_NAMESPACE)),
      name: `${tier}-${p}`,
      kind: 'Pod',
      labels: { app: `app-${p % 10}`, tier, version: random() < 0.5 ? 'v1' : 'v2', ...(random() < 0.1 ? { canary: 'true' } : {}) },
      ips,
      nodeName: nodeName(k),
      hostNetwork: false,
      phase: 'Running',
      ports: portsFor(tier),
    });
  }

  // Policies go to namespaces round-robin; each namespace's first is its default deny.
  const policies: NetworkPolicy[] = [];
  const perNs = new Array<number>(namespaceCount).fill(0);
  for (let j = 0; j < policyCount; j++) {
    const n = j % namespaceCount;
    const k = perNs[n]!++;
    const at = `${nsName(n)}/p${k}`;
    if (k % 5 === 0) {
      policies.push(policy(at, { podSelector: ALL, policyTypes: n % 3 === 0 ? ['Ingress', 'Egress'] : ['Ingress'] }));
    } else {
      policies.push(template((4 * n + k) % 8, n, at, namespaceCount, random));
    }
  }
  return { namespaces, pods, policies, nodes };
}

/** The zone label of node k (a, b, c in turn), which cluster policies' `nodes` peers select on. */
const zoneOf = (k: number): string => ['a', 'b', 'c'][k % 3] as string;

/**
 * The cluster with `count` cluster-wide policies on top (cluster-policy-mix.ts
 * over this cluster's labels: teams, tiers, envs, its namespaces, the pod
 * network 10.128.0.0/9 and the nodes' pod /24s, named port http), its nodes
 * labelled with a zone for the policies' `nodes` peers (zone=a). 0: the
 * cluster as it is.
 */
export function withClusterPolicies(objects: ClusterObjects, count: number, seed = 7): ClusterObjects {
  if (count === 0) return objects;
  return {
    ...objects,
    nodes: objects.nodes.map((n, k) => ({ ...n, labels: { ...n.labels, zone: zoneOf(k) } })),
    clusterPolicies: clusterPolicyMix({
      teams: TEAMS, tiers: TIERS, envs: ENVS, namespace: nsName, namespaces: objects.namespaces.length,
      podNetwork: '10.128.0.0/9', nodeSubnet: (i) => `${nodeV4(i % objects.nodes.length)}.0/24`, nodeSelector: sel({ zone: 'a' }), portName: 'http',
    }, count, seed),
  };
}
