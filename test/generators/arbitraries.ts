// fast-check arbitraries for random clusters, policies and flows. Labels,
// names and ports come from small vocabularies so that selectors, named ports
// and ipBlocks actually hit things often, rather than almost never.
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import type { ClusterState } from '../../src/model/cluster-state.ts';
import type {
  ClusterObjects, ContainerPort, IPBlock, LabelSelector, Labels, Namespace, NetworkPolicy, Node, Peer, Pod, PodPhase,
  PolicyPort, PolicyRule, PolicyType, Protocol, SelectorRequirement,
} from '../../src/model/types.ts';
import type { Flow } from '../../src/policy/engine.ts';
import { addressEndpoint, type Endpoint } from '../../src/policy/endpoint.ts';
import { NAME_LABEL, defaultPolicyTypes } from './cluster-builders.ts';

// ---------------------------------------------------------------- vocabularies

export const NAMESPACE_NAMES = ['default', 'kube-system', 'shop', 'team-a', 'team-b'] as const;
export const NS_LABEL_KEYS = ['team', 'env'] as const;
export const POD_LABEL_KEYS = ['app', 'tier', 'role'] as const;
export const LABEL_VALUES = ['a', 'b', 'c'] as const;
export const PORT_NAMES = ['http', 'dns', 'metrics', 'grpc'] as const;
export const PORT_NUMBERS = [53, 80, 443, 8080, 9090] as const;
export const NODE_ADDRESSES = [['192.168.0.1', 'fd00:ffff::1'], ['192.168.0.2']] as const;
export const EXTERNAL_ADDRESSES = ['203.0.113.7', '8.8.8.8', '2001:db8::7'] as const;
/** Flow protocols: the three policy protocols plus one without ports. */
export const FLOW_PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'ICMP'] as const;
/** Flow ports: policy ports, named port numbers, range edges, and strangers. */
export const FLOW_PORTS = [53, 80, 443, 8080, 8081, 9090, 9000, 8000, 8100, 12345] as const;

const PROTOCOL: fc.Arbitrary<Protocol> = fc.constantFrom('TCP', 'UDP', 'SCTP');

function labelsOver(keys: readonly string[]): fc.Arbitrary<Labels> {
  return fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...LABEL_VALUES), { maxKeys: keys.length });
}

// ---------------------------------------------------------------- selectors

export function requirementArb(keys: readonly string[]): fc.Arbitrary<SelectorRequirement> {
  const values = fc.uniqueArray(fc.constantFrom(...LABEL_VALUES), { minLength: 1, maxLength: 2 });
  return fc.oneof(
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constant('In' as const), values }),
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constant('NotIn' as const), values }),
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constant('Exists' as const), values: fc.constant([]) }),
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constant('DoesNotExist' as const), values: fc.constant([]) }),
  );
}

/** A selector over the given label keys; {} about a quarter of the time. */
export function selectorArb(keys: readonly string[]): fc.Arbitrary<LabelSelector> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<LabelSelector>({ matchLabels: {}, matchExpressions: [] }) },
    {
      weight: 3,
      arbitrary: fc.record({
        matchLabels: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...LABEL_VALUES), { maxKeys: 2 }),
        matchExpressions: fc.array(requirementArb(keys), { maxLength: 2 }),
      }),
    },
  );
}

export const podSelectorArb = selectorArb(POD_LABEL_KEYS);
export const namespaceSelectorArb = selectorArb([...NS_LABEL_KEYS, NAME_LABEL]);

// ---------------------------------------------------------------- addresses

/** Canonical network address of ip/prefix. */
function network(ip: string, prefix: number): string {
  const a = ipaddr.parse(ip);
  const net = a.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${ip}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${ip}/${prefix}`);
  return `${net.toString()}/${prefix}`;
}

/** IPv4 pod address i (1-based) in 10.244.0.0/16; its IPv6 twin in fd00::/64. */
export const podIPv4 = (i: number): string => `10.244.${Math.floor(i / 4)}.${(i % 4) * 8 + 1}`;
export const podIPv6 = (i: number): string => `fd00::${(i + 1).toString(16)}`;

/** Addresses ipBlocks are built around: pod addresses, node addresses, outside addresses. */
const ANCHORS_V4 = [...Array.from({ length: 12 }, (_, i) => podIPv4(i)), '192.168.0.1', '192.168.0.2', '203.0.113.7', '8.8.8.8'];
const ANCHORS_V6 = [...Array.from({ length: 12 }, (_, i) => podIPv6(i)), 'fd00:ffff::1', '2001:db8::7'];

/** An ipBlock whose except entries lie strictly inside its cidr, as validation guarantees. */
export const ipBlockArb: fc.Arbitrary<IPBlock> = fc.oneof(
  fc.record({ anchor: fc.constantFrom(...ANCHORS_V4), prefix: fc.constantFrom(0, 8, 16, 24, 28), v6: fc.constant(false) }),
  fc.record({ anchor: fc.constantFrom(...ANCHORS_V6), prefix: fc.constantFrom(0, 16, 64, 120), v6: fc.constant(true) }),
).chain(({ anchor, prefix, v6 }) => {
  const cidr = network(anchor, prefix);
  const max = v6 ? 128 : 32;
  const inside = (v6 ? ANCHORS_V6 : ANCHORS_V4).filter((a) => ipaddr.parse(a).match(ipaddr.parseCIDR(cidr)));
  const exceptArb = fc.record({
    at: fc.constantFrom(...inside),
    extra: fc.integer({ min: 1, max: max - prefix }),
  }).map(({ at, extra }) => network(at, prefix + extra));
  return fc.uniqueArray(exceptArb, { maxLength: 2 }).map((except) => ({ cidr, except }));
});

// ---------------------------------------------------------------- peers, ports, rules

export const peerArb: fc.Arbitrary<Peer> = fc.oneof(
  // podSelector only, namespaceSelector only, both (AND); {} vs selectors come from selectorArb.
  fc.record({ kind: fc.constant('pods' as const), podSelector: podSelectorArb, namespaceSelector: fc.constant(null) }),
  fc.record({ kind: fc.constant('pods' as const), podSelector: fc.constant(null), namespaceSelector: namespaceSelectorArb }),
  fc.record({ kind: fc.constant('pods' as const), podSelector: podSelectorArb, namespaceSelector: namespaceSelectorArb }),
  fc.record({ kind: fc.constant('ipBlock' as const), ipBlock: ipBlockArb }),
);

/** A drawn protocol (undefined = defaulted to TCP) and port (number, name, [port, endPort] or none) as a PolicyPort. */
export function toPolicyPort({ protocol, port }: { protocol: Protocol | undefined; port: number | string | readonly [number, number] | undefined }): PolicyPort {
  const base = { protocol: protocol ?? 'TCP', protocolDefaulted: protocol === undefined };
  if (port === undefined) return base;
  if (Array.isArray(port)) return { ...base, port: port[0], endPort: port[1] };
  return { ...base, port: port as number | string };
}

export const policyPortArb: fc.Arbitrary<PolicyPort> = fc.record({
  protocol: fc.option(PROTOCOL, { nil: undefined }),
  port: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(...PORT_NUMBERS),
    fc.constantFrom(...PORT_NAMES),
    fc.constantFrom<[number, number]>([8000, 8100], [80, 443], [9000, 9090], [53, 53]),
  ),
}).map(toPolicyPort);

export const ruleArb: fc.Arbitrary<PolicyRule> = fc.record({
  peers: fc.array(peerArb, { maxLength: 3 }),
  ports: fc.array(policyPortArb, { maxLength: 3 }),
});

const POLICY_TYPES: readonly (readonly PolicyType[])[] = [['Ingress'], ['Egress'], ['Ingress', 'Egress'], ['Egress', 'Ingress']];

export function policyArb(namespaces: readonly string[], name: fc.Arbitrary<string> = fc.constantFrom('p0', 'p1', 'p2', 'p3')): fc.Arbitrary<NetworkPolicy> {
  return fc.record({
    namespace: fc.constantFrom(...namespaces),
    name,
    podSelector: podSelectorArb,
    ingress: fc.array(ruleArb, { maxLength: 3 }),
    egress: fc.array(ruleArb, { maxLength: 3 }),
    explicitTypes: fc.option(fc.constantFrom(...POLICY_TYPES), { nil: undefined, freq: 2 }),
    withSource: fc.boolean(),
  }).map(({ namespace, name: n, podSelector, ingress, egress, explicitTypes, withSource }): NetworkPolicy => ({
    namespace,
    name: n,
    podSelector,
    policyTypes: explicitTypes ?? defaultPolicyTypes(egress),
    policyTypesDefaulted: explicitTypes === undefined,
    ingress,
    egress,
    ...(withSource ? { source: { file: `policies/${namespace}-${n}.yaml`, document: 0 } } : {}),
  }));
}

// ---------------------------------------------------------------- clusters

const PHASE: fc.Arbitrary<PodPhase> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<PodPhase>('Running') },
  { weight: 1, arbitrary: fc.constantFrom<PodPhase>('Pending', 'Succeeded', 'Failed', 'Unknown') },
);

/** Container ports: names from the vocabulary, unique within the pod, on TCP or UDP. */
const containerPortsArb: fc.Arbitrary<ContainerPort[]> = fc.uniqueArray(
  fc.record({
    name: fc.option(fc.constantFrom(...PORT_NAMES), { nil: undefined, freq: 5 }),
    port: fc.constantFrom(53, 80, 8080, 8081, 9000, 9090),
    protocol: fc.constantFrom<Protocol>('TCP', 'UDP'),
  }).map((p): ContainerPort => (p.name === undefined ? { port: p.port, protocol: p.protocol } : p)),
  { maxLength: 3, selector: (p) => p.name ?? `#${p.port}/${p.protocol}` },
);

interface PodDraft {
  namespace: string;
  labels: Labels;
  phase: PodPhase;
  ports: ContainerPort[];
  node: number | undefined;
  addressing: 'v4' | 'dual' | 'v6' | 'none' | 'host';
}

function podDraftArb(namespaces: readonly string[]): fc.Arbitrary<PodDraft> {
  return fc.record({
    namespace: fc.constantFrom(...namespaces),
    labels: labelsOver(POD_LABEL_KEYS),
    phase: PHASE,
    ports: containerPortsArb,
    node: fc.option(fc.integer({ min: 0, max: NODE_ADDRESSES.length - 1 }), { nil: undefined, freq: 6 }),
    addressing: fc.oneof(
      { weight: 6, arbitrary: fc.constant('v4' as const) },
      { weight: 3, arbitrary: fc.constant('dual' as const) },
      { weight: 1, arbitrary: fc.constantFrom('v6' as const, 'none' as const, 'host' as const) },
    ),
  });
}

function finishPod(d: PodDraft, i: number): Pod {
  const nodeName = d.node === undefined ? undefined : `node-${d.node}`;
  let ips: string[];
  switch (d.addressing) {
    case 'v4': ips = [podIPv4(i)]; break;
    case 'dual': ips = [podIPv4(i), podIPv6(i)]; break;
    case 'v6': ips = [podIPv6(i)]; break;
    case 'none': ips = []; break;
    case 'host': ips = [...NODE_ADDRESSES[d.node ?? 0]!]; break;
  }
  return {
    namespace: d.namespace,
    name: `pod-${i}`,
    kind: 'Pod',
    labels: d.labels,
    ips,
    ...(nodeName !== undefined ? { nodeName } : d.addressing === 'host' ? { nodeName: 'node-0' } : {}),
    hostNetwork: d.addressing === 'host',
    phase: d.phase,
    ports: d.ports,
  };
}

export const NODES: readonly Node[] = NODE_ADDRESSES.map((addresses, i) => ({ name: `node-${i}`, addresses, podCIDRs: [] }));

export interface ClusterOptions {
  maxPods?: number;
  maxPolicies?: number;
}

/** A random cluster: 1-4 namespaces with labels, up to 8 pods, up to 5 policies, two nodes. */
export function clusterArb(opts: ClusterOptions = {}): fc.Arbitrary<ClusterObjects> {
  return fc.uniqueArray(fc.constantFrom(...NAMESPACE_NAMES), { minLength: 1, maxLength: 4 }).chain((names) => {
    const namespaces: fc.Arbitrary<Namespace[]> = fc.tuple(...names.map((n) => labelsOver(NS_LABEL_KEYS).map(
      (labels): Namespace => ({ name: n, labels: { ...labels, [NAME_LABEL]: n } }),
    )));
    return fc.record({
      namespaces,
      pods: fc.array(podDraftArb(names), { minLength: 1, maxLength: opts.maxPods ?? 8 }).map((ds) => ds.map(finishPod)),
      policies: fc.uniqueArray(policyArb(names), { maxLength: opts.maxPolicies ?? 5, selector: (p) => `${p.namespace}/${p.name}` }),
      nodes: fc.constant([...NODES]),
    });
  });
}

// ---------------------------------------------------------------- flows

/** Every address a flow's end can have in this cluster: pod, node, and outside addresses. */
export function addressesOf(objects: ClusterObjects): string[] {
  const all = new Set<string>();
  for (const p of objects.pods) for (const ip of p.ips) all.add(ip);
  for (const n of objects.nodes) for (const ip of n.addresses) all.add(ip);
  for (const ip of EXTERNAL_ADDRESSES) all.add(ip);
  // The old address of a pod that no longer exists.
  all.add(podIPv4(99));
  return [...all];
}

/** The ends of flows worth asking about, as the engine sees each address. */
export function endpointsOf(state: ClusterState, objects: ClusterObjects): Endpoint[] {
  return addressesOf(objects).map((ip) => addressEndpoint(state, ip));
}

const isV6 = (ip: string): boolean => ip.includes(':');

/**
 * Flows between every same-family pair of the endpoints, on the given
 * protocol/port pairs and, towards a pod, on each of its container ports
 * (so that named ports resolve often).
 */
export function flowsBetween(endpoints: readonly Endpoint[], services: readonly (readonly [string, number | undefined])[]): Flow[] {
  const flows: Flow[] = [];
  for (const from of endpoints) {
    for (const to of endpoints) {
      if (isV6(from.ip) !== isV6(to.ip)) continue;
      const seen = new Set<string>();
      const own = to.kind === 'pod' ? to.pod.ports.map((c): readonly [string, number] => [c.protocol, c.port]) : [];
      for (const [protocol, port] of [...services, ...own]) {
        const key = `${protocol}/${port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        flows.push({ from, to, protocol, ...(port !== undefined ? { port } : {}) });
      }
    }
  }
  return flows;
}

/** A handful of protocol/port pairs for one run. */
export const servicesArb: fc.Arbitrary<[string, number | undefined][]> = fc.uniqueArray(
  fc.constantFrom(...FLOW_PROTOCOLS).chain((protocol) =>
    protocol === 'ICMP'
      ? fc.constant<[string, number | undefined]>([protocol, undefined])
      : fc.constantFrom(...FLOW_PORTS).map((port): [string, number | undefined] => [protocol, port])),
  { minLength: 1, maxLength: 4, selector: ([p, n]) => `${p}/${n}` },
);
