// fast-check arbitraries for the kernel differential test: clusters that fit
// the fixed lab world (slots.ts). Pods sit in slots (fixed node, fixed
// addresses); what varies is which slots hold a pod, the pod's namespace,
// labels, address families and named container ports, and the policies.
// Pod selectors come from the engine's arbitraries; peers, namespace
// selectors, ipBlocks and policy ports are built around this world's names,
// addresses and ports so that they hit its pods and outside hosts often.
import fc from 'fast-check';
import { cidrContains, type IPFamily } from '../../../src/model/addresses.ts';
import { parseCidr } from '../../../src/model/normalize-ip.ts';
import type {
  ClusterObjects, ContainerPort, IPBlock, LabelSelector, Labels, Namespace, NetworkPolicy, Peer, Pod, PolicyPort, PolicyRule,
  PolicyType, Protocol, SelectorRequirement,
} from '../../../src/model/types.ts';
import { LABEL_VALUES, NS_LABEL_KEYS, PORT_NAMES, POD_LABEL_KEYS, podSelectorArb, toPolicyPort } from '../../generators/arbitraries.ts';
import { NAME_LABEL, defaultPolicyTypes } from '../../generators/cluster-builders.ts';
import { MODEL_NODES, OUTSIDE_HOSTS, SERVED_PORTS, SLOTS, SLOT_COUNT } from './slots.ts';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POLICY_NAMES = ['p0', 'p1', 'p2', 'p3'] as const;

/** A generated cluster plus the seed that picks which flows of it are probed. */
export interface DiffCase {
  readonly objects: ClusterObjects;
  readonly sampleSeed: number;
}

/** The name of the pod in slot i. */
export const slotPodName = (i: number): string => `pod-${i}`;

// ---------------------------------------------------------------- selectors

/** Label values a selector may name for each key: namespace names for kubernetes.io/metadata.name. */
const NS_VOCABULARY: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(NS_LABEL_KEYS.map((k) => [k, LABEL_VALUES])),
  [NAME_LABEL]: NAMESPACES,
};

function requirementOver(vocab: Readonly<Record<string, readonly string[]>>): fc.Arbitrary<SelectorRequirement> {
  return fc.constantFrom(...Object.keys(vocab)).chain((key) => {
    const values = fc.uniqueArray(fc.constantFrom(...(vocab[key] as readonly string[])), { minLength: 1, maxLength: 2 });
    return fc.oneof(
      fc.record({ key: fc.constant(key), operator: fc.constantFrom('In' as const, 'NotIn' as const), values }),
      fc.record({ key: fc.constant(key), operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const), values: fc.constant([]) }),
    );
  });
}

/** A namespace selector: {} about a quarter of the time, else matchLabels and/or expressions, the name label included. */
export const namespaceSelectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<LabelSelector>({ matchLabels: {}, matchExpressions: [] }) },
  {
    weight: 3,
    arbitrary: fc.record({
      matchLabels: fc.constantFrom(...Object.keys(NS_VOCABULARY)).chain((k) =>
        fc.dictionary(fc.constant(k), fc.constantFrom(...(NS_VOCABULARY[k] as readonly string[])), { maxKeys: 1 })),
      matchExpressions: fc.array(requirementOver(NS_VOCABULARY), { maxLength: 2 }),
    }),
  },
);

// ---------------------------------------------------------------- ipBlocks

const V4_ANCHORS = [...SLOTS.map((s) => s.v4), ...OUTSIDE_HOSTS.map((h) => h.v4)];
const V6_ANCHORS = [...SLOTS.map((s) => s.v6), ...OUTSIDE_HOSTS.map((h) => h.v6)];

const canonicalCidr = (ip: string, prefix: number): string => {
  const r = parseCidr(`${ip}/${prefix}`);
  if (!r.ok) throw new Error(r.message);
  return r.cidr;
};

/**
 * An ipBlock around an address of the world (a slot's or an outside host's),
 * from /0 to a single address; except entries are built around the addresses
 * inside it, so they often cut pod addresses out.
 */
export const ipBlockArb: fc.Arbitrary<IPBlock> = fc.oneof(
  fc.record({ anchor: fc.constantFrom(...V4_ANCHORS), prefix: fc.constantFrom(0, 8, 16, 22, 24, 28, 32), family: fc.constant<IPFamily>(4) }),
  fc.record({ anchor: fc.constantFrom(...V6_ANCHORS), prefix: fc.constantFrom(0, 32, 48, 64, 124, 128), family: fc.constant<IPFamily>(6) }),
).chain(({ anchor, prefix, family }): fc.Arbitrary<IPBlock> => {
  const cidr = canonicalCidr(anchor, prefix);
  const max = family === 4 ? 32 : 128;
  if (prefix === max) return fc.constant<IPBlock>({ cidr, except: [] });
  const inside = (family === 4 ? V4_ANCHORS : V6_ANCHORS).filter((a) => cidrContains(cidr, a));
  const exceptArb = fc.record({ at: fc.constantFrom(...inside), bits: fc.integer({ min: prefix + 1, max }) })
    .map(({ at, bits }) => canonicalCidr(at, bits));
  return fc.uniqueArray(exceptArb, { maxLength: 2 }).map((except): IPBlock => ({ cidr, except }));
});

// ---------------------------------------------------------------- peers, rules, policies

export const peerArb: fc.Arbitrary<Peer> = fc.oneof(
  fc.record({ kind: fc.constant('pods' as const), podSelector: podSelectorArb, namespaceSelector: fc.constant(null) }),
  fc.record({ kind: fc.constant('pods' as const), podSelector: fc.constant(null), namespaceSelector: namespaceSelectorArb }),
  fc.record({ kind: fc.constant('pods' as const), podSelector: podSelectorArb, namespaceSelector: namespaceSelectorArb }),
  fc.record({ kind: fc.constant('ipBlock' as const), ipBlock: ipBlockArb }),
);

/** Port ranges: around and across the served ports, with edges on them. */
const RANGES: readonly [number, number][] = [[80, 443], [8000, 8100], [8080, 8081], [9000, 9090], [53, 53], [1, 1024], [444, 8079]];

/**
 * A NetworkPolicyPort aimed at this world: numbers mostly among the served
 * ports, names that the pods' container ports use, ranges with edges on
 * served ports; protocol TCP, UDP, left out (TCP by default) or, rarely, SCTP.
 * (The engine's policyPortArb rarely lets a named port decide a flow here.)
 */
export const policyPortArb: fc.Arbitrary<PolicyPort> = fc.record({
  protocol: fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant<Protocol>('TCP') },
    { weight: 3, arbitrary: fc.constant<Protocol>('UDP') },
    { weight: 1, arbitrary: fc.constant<Protocol>('SCTP') },
  ),
  port: fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom<number>(...SERVED_PORTS, 8082) },
    { weight: 3, arbitrary: fc.constantFrom<string>(...PORT_NAMES) },
    { weight: 2, arbitrary: fc.constantFrom(...RANGES) },
  ),
}).map(toPolicyPort);

/** A rule: no peers = every peer, no ports = every port (an empty rule `{}` allows everything). */
export const ruleArb: fc.Arbitrary<PolicyRule> = fc.record({
  peers: fc.array(peerArb, { maxLength: 3 }),
  ports: fc.array(policyPortArb, { maxLength: 3 }),
});

/** Explicit policyTypes in the order the normalizer gives them, or undefined for the API default. */
const policyTypesArb: fc.Arbitrary<readonly PolicyType[] | undefined> = fc.option(
  fc.constantFrom<readonly PolicyType[]>(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  { nil: undefined, freq: 2 },
);

/** A policy's podSelector: {} half of the time (podSelectorArb gives {} a quarter of the time), so policies select pods often. */
const policyPodSelectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<LabelSelector>({ matchLabels: {}, matchExpressions: [] }) },
  { weight: 2, arbitrary: podSelectorArb },
);

export const policyArb: fc.Arbitrary<NetworkPolicy> = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  name: fc.constantFrom(...POLICY_NAMES),
  podSelector: policyPodSelectorArb,
  ingress: fc.array(ruleArb, { maxLength: 2 }),
  egress: fc.array(ruleArb, { maxLength: 2 }),
  explicitTypes: policyTypesArb,
}).map(({ namespace, name, podSelector, ingress, egress, explicitTypes }): NetworkPolicy => ({
  namespace,
  name,
  podSelector,
  policyTypes: explicitTypes ?? defaultPolicyTypes(egress),
  policyTypesDefaulted: explicitTypes === undefined,
  ingress,
  egress,
}));

// ---------------------------------------------------------------- pods and namespaces

const labelsArb = (keys: readonly string[]): fc.Arbitrary<Labels> =>
  fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...LABEL_VALUES), { maxKeys: keys.length });

/**
 * Pod labels: the first key (app) nearly always, the others often, so that
 * selectors (over the same keys and values) select pods often rather than
 * almost never.
 */
const podLabelsArb: fc.Arbitrary<Labels> = fc.tuple(...POD_LABEL_KEYS.map((key, i) =>
  fc.option(fc.constantFrom(...LABEL_VALUES).map((v): [string, string] => [key, v]), { nil: undefined, freq: i === 0 ? 8 : 2 })))
  .map((entries) => Object.fromEntries(entries.filter((e): e is [string, string] => e !== undefined)));

/**
 * Container ports on served ports, mostly named, names unique within the pod
 * (so one name means one port and protocol, as the engine resolves it).
 */
const containerPortsArb: fc.Arbitrary<ContainerPort[]> = fc.uniqueArray(
  fc.record({
    name: fc.option(fc.constantFrom(...PORT_NAMES), { nil: undefined, freq: 6 }),
    port: fc.constantFrom(...SERVED_PORTS),
    protocol: fc.constantFrom<Protocol>('TCP', 'UDP'),
  }).map((p): ContainerPort => (p.name === undefined ? { port: p.port, protocol: p.protocol } : p)),
  { maxLength: 4, selector: (p) => p.name ?? `#${p.port}/${p.protocol}` },
);

export type Addressing = 'v4' | 'dual' | 'v6';

interface SlotDraft {
  readonly namespace: string;
  readonly labels: Labels;
  readonly addressing: Addressing;
  readonly ports: ContainerPort[];
}

const slotDraftArb: fc.Arbitrary<SlotDraft> = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  labels: podLabelsArb,
  addressing: fc.oneof(
    { weight: 5, arbitrary: fc.constant<Addressing>('v4') },
    { weight: 4, arbitrary: fc.constant<Addressing>('dual') },
    { weight: 1, arbitrary: fc.constant<Addressing>('v6') },
  ),
  ports: containerPortsArb,
});

function slotPod(i: number, d: SlotDraft): Pod {
  const slot = SLOTS[i];
  if (!slot) throw new Error(`no slot ${i}`);
  const ips = d.addressing === 'v4' ? [slot.v4] : d.addressing === 'v6' ? [slot.v6] : [slot.v4, slot.v6];
  return {
    namespace: d.namespace, name: slotPodName(i), kind: 'Pod', labels: d.labels, ips, nodeName: slot.node,
    hostNetwork: false, phase: 'Running', ports: d.ports,
  };
}

const namespacesArb: fc.Arbitrary<Namespace[]> = fc.tuple(...NAMESPACES.map((name) =>
  labelsArb(NS_LABEL_KEYS).map((labels): Namespace => ({ name, labels: { ...labels, [NAME_LABEL]: name } }))));

export interface DiffCaseOptions {
  readonly maxPolicies?: number;
}

/** A cluster on the lab's slots: 3 namespaces, 2-9 pods, 1-maxPolicies policies (default 4), the two nodes. */
export function diffCaseArb(opts: DiffCaseOptions = {}): fc.Arbitrary<DiffCase> {
  return fc.record({
    namespaces: namespacesArb,
    drafts: fc.tuple(...Array.from({ length: SLOT_COUNT }, () => slotDraftArb)),
    present: fc.uniqueArray(fc.integer({ min: 0, max: SLOT_COUNT - 1 }), { minLength: 2, maxLength: SLOT_COUNT }),
    policies: fc.array(fc.record({ policy: policyArb, home: homeArb }), { minLength: 1, maxLength: opts.maxPolicies ?? 4 }),
    sampleSeed: fc.integer({ min: 0, max: 0x7fffffff }),
  }).map(({ namespaces, drafts, present, policies, sampleSeed }): DiffCase => {
    const pods = [...present].sort((a, b) => a - b).map((i) => slotPod(i, drafts[i] as SlotDraft));
    return {
      objects: { namespaces, pods, policies: placePolicies(policies, pods), nodes: [...MODEL_NODES] },
      sampleSeed,
    };
  });
}

/**
 * Where a policy lives: mostly in the namespace of one of the pods (a policy
 * in a namespace without pods selects nothing), sometimes where it was drawn.
 */
const homeArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ withPod: fc.constant(true), pick: fc.nat({ max: SLOT_COUNT - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ withPod: fc.constant(false), pick: fc.constant(0) }) },
);

function placePolicies(drafts: readonly { policy: NetworkPolicy; home: { withPod: boolean; pick: number } }[], pods: readonly Pod[]): NetworkPolicy[] {
  const seen = new Set<string>();
  const out: NetworkPolicy[] = [];
  for (const { policy, home } of drafts) {
    const namespace = home.withPod ? (pods[home.pick % pods.length] as Pod).namespace : policy.namespace;
    const key = `${namespace}/${policy.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...policy, namespace });
  }
  return out;
}
