// fast-check arbitraries for random clusters, policies and flows: one set for
// the engine and compiler properties and for the kernel differential test.
// Every arbitrary of a policy's parts is built for a world (ArbitraryWorld:
// its namespace names, the addresses ipBlocks are built around, the ports
// policies and pods name, a few limits), so that selectors, named ports,
// port ranges and ipBlocks hit that world's pods and hosts often rather than
// almost never. `ENGINE_WORLD` is the engine's world, and the plain exports
// (ipBlockArb, peerArb, policyArb, ...) are its arbitraries; the differential
// test calls arbitrariesFor() with its lab world (test/kernel/differential).
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

// ---------------------------------------------------------------- vocabularies shared by every world

export const NS_LABEL_KEYS = ['team', 'env'] as const;
export const POD_LABEL_KEYS = ['app', 'tier', 'role'] as const;
export const LABEL_VALUES = ['a', 'b', 'c'] as const;
export const PORT_NAMES = ['http', 'dns', 'metrics', 'grpc'] as const;
export const POLICY_NAMES = ['p0', 'p1', 'p2', 'p3'] as const;

// ---------------------------------------------------------------- worlds

/** What the generated objects are aimed at. */
export interface ArbitraryWorld {
  /** Namespace names: where policies live, and the values namespace selectors give kubernetes.io/metadata.name. */
  readonly namespaces: readonly string[];
  /** Addresses ipBlocks are built around (pods', nodes', outside hosts'), and the prefix lengths drawn, by family. */
  readonly anchors: { readonly v4: readonly string[]; readonly v6: readonly string[] };
  readonly prefixes: { readonly v4: readonly number[]; readonly v6: readonly number[] };
  /** Port numbers policy ports name, and [port, endPort] ranges (edges on the served ports, across them). */
  readonly policyPorts: readonly number[];
  readonly portRanges: readonly (readonly [number, number])[];
  /** Port numbers of pods' container ports. */
  readonly containerPorts: readonly number[];
  /** Rules per direction of a policy, at most. */
  readonly maxRules: number;
  /**
   * Objects exactly as the sources make them from YAML: policyTypes in the
   * normalizer's order and no source locations (for tests that write the
   * objects out and read them back). Otherwise policyTypes come in either
   * order and policies often carry a source.
   */
  readonly asLoaded: boolean;
}

/** IPv4 pod address i (1-based) in 10.244.0.0/16; its IPv6 twin in fd00::/64. */
export const podIPv4 = (i: number): string => `10.244.${Math.floor(i / 4)}.${(i % 4) * 8 + 1}`;
export const podIPv6 = (i: number): string => `fd00::${(i + 1).toString(16)}`;

export const NAMESPACE_NAMES = ['default', 'kube-system', 'shop', 'team-a', 'team-b'] as const;
export const NODE_ADDRESSES = [['192.168.0.1', 'fd00:ffff::1'], ['192.168.0.2']] as const;
export const EXTERNAL_ADDRESSES = ['203.0.113.7', '8.8.8.8', '2001:db8::7'] as const;

/** The engine's world: clusterArb's namespaces, pod addresses (podIPv4/podIPv6), node and outside addresses. */
export const ENGINE_WORLD: ArbitraryWorld = {
  namespaces: NAMESPACE_NAMES,
  anchors: {
    v4: [...Array.from({ length: 12 }, (_, i) => podIPv4(i)), '192.168.0.1', '192.168.0.2', '203.0.113.7', '8.8.8.8'],
    v6: [...Array.from({ length: 12 }, (_, i) => podIPv6(i)), 'fd00:ffff::1', '2001:db8::7'],
  },
  prefixes: { v4: [0, 8, 16, 24, 28], v6: [0, 16, 64, 120] },
  policyPorts: [53, 80, 443, 8080, 9090],
  portRanges: [[8000, 8100], [80, 443], [9000, 9090], [53, 53]],
  containerPorts: [53, 80, 8080, 8081, 9000, 9090],
  maxRules: 3,
  asLoaded: false,
};

// ---------------------------------------------------------------- the arbitraries of a world

export interface WorldArbitraries {
  readonly podSelector: fc.Arbitrary<LabelSelector>;
  readonly namespaceSelector: fc.Arbitrary<LabelSelector>;
  readonly ipBlock: fc.Arbitrary<IPBlock>;
  readonly peer: fc.Arbitrary<Peer>;
  readonly policyPort: fc.Arbitrary<PolicyPort>;
  readonly rule: fc.Arbitrary<PolicyRule>;
  /** A policy in one of `namespaces` (default: all of the world's), named by `name` (default: p0-p3). */
  policy(namespaces?: readonly string[], name?: fc.Arbitrary<string>): fc.Arbitrary<NetworkPolicy>;
  /** One Namespace for each name, with labels over NS_LABEL_KEYS and its name label. */
  namespaces(names: readonly string[]): fc.Arbitrary<Namespace[]>;
  readonly podLabels: fc.Arbitrary<Labels>;
  readonly containerPorts: fc.Arbitrary<ContainerPort[]>;
}

const EMPTY_SELECTOR: LabelSelector = { matchLabels: {}, matchExpressions: [] };

type Vocabulary = Readonly<Record<string, readonly string[]>>;

function requirementArb(vocab: Vocabulary): fc.Arbitrary<SelectorRequirement> {
  return fc.constantFrom(...Object.keys(vocab)).chain((key) => {
    const values = fc.uniqueArray(fc.constantFrom(...(vocab[key] as readonly string[])), { minLength: 1, maxLength: 2 });
    return fc.oneof(
      fc.record({ key: fc.constant(key), operator: fc.constantFrom('In' as const, 'NotIn' as const), values }),
      fc.record({ key: fc.constant(key), operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const), values: fc.constant([]) }),
    );
  });
}

/** Up to `max` labels, each key with one of its own values. */
function labelsOver(vocab: Vocabulary, max: number): fc.Arbitrary<Labels> {
  const entry = fc.constantFrom(...Object.keys(vocab)).chain((key) =>
    fc.constantFrom(...(vocab[key] as readonly string[])).map((value): [string, string] => [key, value]));
  return fc.uniqueArray(entry, { maxLength: max, selector: ([key]) => key }).map((entries) => Object.fromEntries(entries));
}

/** A selector over the vocabulary's keys and values: {} about a quarter of the time, else matchLabels and/or expressions. */
function selectorArb(vocab: Vocabulary, maxLabels: number): fc.Arbitrary<LabelSelector> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(EMPTY_SELECTOR) },
    {
      weight: 3,
      arbitrary: fc.record({
        matchLabels: labelsOver(vocab, maxLabels),
        matchExpressions: fc.array(requirementArb(vocab), { maxLength: 2 }),
      }),
    },
  );
}

/** Canonical network address of ip/prefix (RFC 5952 for IPv6, as the sources write it). */
function network(ip: string, prefix: number): string {
  const net = ipaddr.parse(ip).kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${ip}/${prefix}`).toString()
    : ipaddr.IPv6.networkAddressFromCIDR(`${ip}/${prefix}`).toRFC5952String();
  return `${net}/${prefix}`;
}

/** A drawn protocol (undefined = defaulted to TCP) and port (number, name, [port, endPort] or none) as a PolicyPort. */
export function toPolicyPort({ protocol, port }: { protocol: Protocol | undefined; port: number | string | readonly [number, number] | undefined }): PolicyPort {
  const base = { protocol: protocol ?? 'TCP', protocolDefaulted: protocol === undefined };
  if (port === undefined) return base;
  if (Array.isArray(port)) return { ...base, port: port[0], endPort: port[1] };
  return { ...base, port: port as number | string };
}

const POLICY_TYPES: readonly (readonly PolicyType[])[] = [['Ingress'], ['Egress'], ['Ingress', 'Egress']];

export function arbitrariesFor(world: ArbitraryWorld): WorldArbitraries {
  const podSelector = selectorArb(Object.fromEntries(POD_LABEL_KEYS.map((k) => [k, LABEL_VALUES])), 2);
  // The name label takes namespace names, so that a selector on it selects namespaces.
  const namespaceSelector = selectorArb({ ...Object.fromEntries(NS_LABEL_KEYS.map((k) => [k, LABEL_VALUES])), [NAME_LABEL]: world.namespaces }, 1);

  /**
   * An ipBlock around an address of the world, from the drawn prefix length up
   * to a single address; except entries are built around the anchors inside
   * it, strictly inside its cidr (as validation guarantees), so they often cut
   * pod addresses out.
   */
  const ipBlock: fc.Arbitrary<IPBlock> = fc.oneof(
    fc.record({ anchor: fc.constantFrom(...world.anchors.v4), prefix: fc.constantFrom(...world.prefixes.v4), family: fc.constant('v4' as const) }),
    fc.record({ anchor: fc.constantFrom(...world.anchors.v6), prefix: fc.constantFrom(...world.prefixes.v6), family: fc.constant('v6' as const) }),
  ).chain(({ anchor, prefix, family }): fc.Arbitrary<IPBlock> => {
    const cidr = network(anchor, prefix);
    const max = family === 'v4' ? 32 : 128;
    if (prefix === max) return fc.constant<IPBlock>({ cidr, except: [] });
    const range = ipaddr.parseCIDR(cidr);
    const inside = world.anchors[family].filter((a) => ipaddr.parse(a).match(range));
    const exceptArb = fc.record({ at: fc.constantFrom(...inside), bits: fc.integer({ min: prefix + 1, max }) })
      .map(({ at, bits }) => network(at, bits));
    return fc.uniqueArray(exceptArb, { maxLength: 2 }).map((except): IPBlock => ({ cidr, except }));
  });

  // podSelector only, namespaceSelector only, both (AND); {} vs selectors come from selectorArb.
  const peer: fc.Arbitrary<Peer> = fc.oneof(
    fc.record({ kind: fc.constant('pods' as const), podSelector, namespaceSelector: fc.constant(null) }),
    fc.record({ kind: fc.constant('pods' as const), podSelector: fc.constant(null), namespaceSelector }),
    fc.record({ kind: fc.constant('pods' as const), podSelector, namespaceSelector }),
    fc.record({ kind: fc.constant('ipBlock' as const), ipBlock }),
  );

  /**
   * A NetworkPolicyPort: numbers among the world's ports, names that container
   * ports use (most often, so that named ports decide flows), ranges; protocol
   * TCP, UDP, left out (TCP by default) or, less often, SCTP.
   */
  const policyPort: fc.Arbitrary<PolicyPort> = fc.record({
    protocol: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constant<Protocol>('TCP') },
      { weight: 3, arbitrary: fc.constant<Protocol>('UDP') },
      { weight: 1, arbitrary: fc.constant<Protocol>('SCTP') },
    ),
    port: fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom(...world.policyPorts) },
      { weight: 3, arbitrary: fc.constantFrom<string>(...PORT_NAMES) },
      { weight: 2, arbitrary: fc.constantFrom(...world.portRanges) },
    ),
  }).map(toPolicyPort);

  /** A rule: no peers = every peer, no ports = every port (an empty rule `{}` allows everything). */
  const rule: fc.Arbitrary<PolicyRule> = fc.record({
    peers: fc.array(peer, { maxLength: 3 }),
    ports: fc.array(policyPort, { maxLength: 3 }),
  });

  /** Explicit policyTypes (in the normalizer's order, or either order), or undefined for the API default. */
  const policyTypes: fc.Arbitrary<readonly PolicyType[] | undefined> = fc.option(
    fc.constantFrom<readonly PolicyType[]>(...POLICY_TYPES, ...(world.asLoaded ? [] : [['Egress', 'Ingress'] as const])),
    { nil: undefined, freq: 2 },
  );

  /** A policy's podSelector: {} half of the time (podSelector gives {} a quarter of the time), so policies select pods often. */
  const policyPodSelector: fc.Arbitrary<LabelSelector> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(EMPTY_SELECTOR) },
    { weight: 2, arbitrary: podSelector },
  );

  const policy = (namespaces: readonly string[] = world.namespaces, name: fc.Arbitrary<string> = fc.constantFrom(...POLICY_NAMES)): fc.Arbitrary<NetworkPolicy> =>
    fc.record({
      namespace: fc.constantFrom(...namespaces),
      name,
      podSelector: policyPodSelector,
      ingress: fc.array(rule, { maxLength: world.maxRules }),
      egress: fc.array(rule, { maxLength: world.maxRules }),
      explicitTypes: policyTypes,
      withSource: world.asLoaded ? fc.constant(false) : fc.boolean(),
    }).map(({ namespace, name: n, podSelector: selected, ingress, egress, explicitTypes, withSource }): NetworkPolicy => ({
      namespace,
      name: n,
      podSelector: selected,
      policyTypes: explicitTypes ?? defaultPolicyTypes(egress),
      policyTypesDefaulted: explicitTypes === undefined,
      ingress,
      egress,
      ...(withSource ? { source: { file: `policies/${namespace}-${n}.yaml`, document: 0 } } : {}),
    }));

  const nsLabels = labelsOver(Object.fromEntries(NS_LABEL_KEYS.map((k) => [k, LABEL_VALUES])), NS_LABEL_KEYS.length);
  const namespaces = (names: readonly string[]): fc.Arbitrary<Namespace[]> =>
    fc.tuple(...names.map((name) => nsLabels.map((labels): Namespace => ({ name, labels: { ...labels, [NAME_LABEL]: name } }))));

  /**
   * Pod labels: the first key (app) nearly always, the others often, so that
   * selectors (over the same keys and values) select pods often rather than
   * almost never.
   */
  const podLabels: fc.Arbitrary<Labels> = fc.tuple(...POD_LABEL_KEYS.map((key, i) =>
    fc.option(fc.constantFrom(...LABEL_VALUES).map((v): [string, string] => [key, v]), { nil: undefined, freq: i === 0 ? 8 : 2 })))
    .map((entries) => Object.fromEntries(entries.filter((e): e is [string, string] => e !== undefined)));

  /**
   * Container ports on the world's ports, mostly named, names unique within
   * the pod (so one name means one port and protocol, as the engine resolves it).
   */
  const containerPorts: fc.Arbitrary<ContainerPort[]> = fc.uniqueArray(
    fc.record({
      name: fc.option(fc.constantFrom(...PORT_NAMES), { nil: undefined, freq: 6 }),
      port: fc.constantFrom(...world.containerPorts),
      protocol: fc.constantFrom<Protocol>('TCP', 'UDP'),
    }).map((p): ContainerPort => (p.name === undefined ? { port: p.port, protocol: p.protocol } : p)),
    { maxLength: 4, selector: (p) => p.name ?? `#${p.port}/${p.protocol}` },
  );

  return { podSelector, namespaceSelector, ipBlock, peer, policyPort, rule, policy, namespaces, podLabels, containerPorts };
}

const ENGINE = arbitrariesFor(ENGINE_WORLD);
export const podSelectorArb = ENGINE.podSelector;
export const namespaceSelectorArb = ENGINE.namespaceSelector;
export const ipBlockArb = ENGINE.ipBlock;
export const peerArb = ENGINE.peer;
export const policyPortArb = ENGINE.policyPort;
export const ruleArb = ENGINE.rule;
export const policyArb = ENGINE.policy;

// ---------------------------------------------------------------- the engine's clusters

const PHASE: fc.Arbitrary<PodPhase> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<PodPhase>('Running') },
  { weight: 1, arbitrary: fc.constantFrom<PodPhase>('Pending', 'Succeeded', 'Failed', 'Unknown') },
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
    labels: ENGINE.podLabels,
    phase: PHASE,
    ports: ENGINE.containerPorts,
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
  return fc.uniqueArray(fc.constantFrom(...NAMESPACE_NAMES), { minLength: 1, maxLength: 4 }).chain((names) => fc.record({
    namespaces: ENGINE.namespaces(names),
    pods: fc.array(podDraftArb(names), { minLength: 1, maxLength: opts.maxPods ?? 8 }).map((ds) => ds.map(finishPod)),
    policies: fc.uniqueArray(policyArb(names), { maxLength: opts.maxPolicies ?? 5, selector: (p) => `${p.namespace}/${p.name}` }),
    nodes: fc.constant([...NODES]),
  }));
}

// ---------------------------------------------------------------- flows

/** Flow protocols: the three policy protocols plus one without ports. */
export const FLOW_PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'ICMP'] as const;
/** Flow ports: policy ports, named port numbers, range edges, and strangers. */
export const FLOW_PORTS = [53, 80, 443, 8080, 8081, 9090, 9000, 8000, 8100, 12345] as const;

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
