// Builders for cluster-wide policies (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy as the model holds them), so a test reads like
// the YAML: cnp('deny-imds', { tier: 'Admin', priority: 10, subject: nsSubject(ALL),
// egress: [deny([networks('169.254.169.254/32')])] }).
import fc from 'fast-check';
import type {
  ClusterObjects, ClusterPeer, ClusterPodSelection, ClusterPolicy, ClusterPolicyKind, ClusterPort, ClusterRule, ClusterRuleAction, ClusterTier,
  Labels, LabelSelector, Protocol,
} from '../../src/model/types.ts';
import { clusterPolicyKey } from '../../src/model/types.ts';
import { arbitrariesFor, ENGINE_WORLD, PORT_NAMES, type ArbitraryWorld } from './arbitraries.ts';
import { clusterA, MUTATIONS } from './cluster-mutations.ts';

export function nsSubject(namespaceSelector: LabelSelector): ClusterPodSelection {
  return { kind: 'namespaces', namespaceSelector };
}
export function podsSubject(namespaceSelector: LabelSelector, podSelector: LabelSelector): ClusterPodSelection {
  return { kind: 'pods', namespaceSelector, podSelector };
}

export const nsPeerOf = nsSubject;
export const podsPeerOf = podsSubject;
export function nodesPeer(nodeSelector: LabelSelector): ClusterPeer {
  return { kind: 'nodes', nodeSelector };
}
export function networks(...cidrs: string[]): ClusterPeer {
  return { kind: 'networks', cidrs };
}
export function domainNames(...names: string[]): ClusterPeer {
  return { kind: 'domainNames', domainNames: names };
}

export function portOf(protocol: Protocol, port: number, endPort?: number): ClusterPort {
  return { kind: 'number', protocol, port, ...(endPort !== undefined && { endPort }) };
}
export function namedPort(name: string): ClusterPort {
  return { kind: 'named', name };
}

function ruleOf(action: ClusterRuleAction, peers: readonly ClusterPeer[], ports: readonly ClusterPort[], name?: string): ClusterRule {
  return { action, peers, ports, ...(name !== undefined && { name }) };
}
export const accept = (peers: readonly ClusterPeer[], ports: readonly ClusterPort[] = [], name?: string): ClusterRule => ruleOf('Accept', peers, ports, name);
export const deny = (peers: readonly ClusterPeer[], ports: readonly ClusterPort[] = [], name?: string): ClusterRule => ruleOf('Deny', peers, ports, name);
export const pass = (peers: readonly ClusterPeer[], ports: readonly ClusterPort[] = [], name?: string): ClusterRule => ruleOf('Pass', peers, ports, name);

export interface ClusterPolicyOptions {
  tier?: ClusterTier;
  priority?: number;
  subject: ClusterPodSelection;
  ingress?: readonly ClusterRule[];
  egress?: readonly ClusterRule[];
}

function clusterPolicyOf(kind: ClusterPolicyKind, name: string, tier: ClusterTier, o: ClusterPolicyOptions): ClusterPolicy {
  return { kind, name, tier, priority: o.priority ?? 0, subject: o.subject, ingress: o.ingress ?? [], egress: o.egress ?? [] };
}

/** A ClusterNetworkPolicy (v1alpha2); tier Admin unless told. */
export function cnp(name: string, o: ClusterPolicyOptions): ClusterPolicy {
  return clusterPolicyOf('ClusterNetworkPolicy', name, o.tier ?? 'Admin', o);
}
/** An AdminNetworkPolicy (v1alpha1). */
export function anp(name: string, o: Omit<ClusterPolicyOptions, 'tier'>): ClusterPolicy {
  return clusterPolicyOf('AdminNetworkPolicy', name, 'Admin', o);
}
/** The BaselineAdminNetworkPolicy singleton "default" (v1alpha1), priority 0. */
export function banp(o: Omit<ClusterPolicyOptions, 'tier' | 'priority'>): ClusterPolicy {
  return clusterPolicyOf('BaselineAdminNetworkPolicy', 'default', 'Baseline', { ...o, priority: 0 });
}

// ---------------------------------------------------------------- arbitraries

/**
 * Cluster-wide policies for a world (arbitrariesFor's): every tier and API
 * kind, priorities from a few values (so equal priorities happen), subjects by
 * namespace or pod selection, rules with every action and peer kind
 * (namespaces, pods, nodes, networks, domainNames; egress only for the last
 * three, as the API says), numbered, ranged and named ports or none, and
 * rules failing closed as the sources make them.
 */
export interface ClusterPolicyArbitraries {
  readonly policy: fc.Arbitrary<ClusterPolicy>;
  /** Up to `max` policies with distinct keys (one BaselineAdminNetworkPolicy at most, named default). */
  policies(max: number): fc.Arbitrary<ClusterPolicy[]>;
  /** Labels for Node objects, over NODE_LABEL_KEYS. */
  readonly nodeLabels: fc.Arbitrary<Labels>;
}

export const NODE_LABEL_KEYS = ['zone', 'role'] as const;
const CLUSTER_POLICY_NAMES = ['c0', 'c1', 'c2'] as const;
const PRIORITIES = [0, 5, 10, 500] as const;

export function clusterPolicyArbitraries(world: ArbitraryWorld): ClusterPolicyArbitraries {
  const w = arbitrariesFor(world);
  const selection: fc.Arbitrary<ClusterPodSelection> = fc.oneof(
    w.namespaceSelector.map(nsSubject),
    fc.tuple(w.namespaceSelector, w.podSelector).map(([n, p]) => podsSubject(n, p)),
  );
  // Subjects select every pod a third of the time, so policies decide flows often rather than rarely.
  const subject: fc.Arbitrary<ClusterPodSelection> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(nsSubject({ matchLabels: {}, matchExpressions: [] })) },
    { weight: 2, arbitrary: selection },
  );
  const nodeSelector: fc.Arbitrary<LabelSelector> = fc.constantFrom<Labels>({}, { zone: 'a' }, { role: 'b' }, { zone: 'b', role: 'a' })
    .map((matchLabels): LabelSelector => ({ matchLabels, matchExpressions: [] }));
  // Networks around the world's addresses (an ipBlock's cidr), one or two, sometimes nested.
  const network = fc.uniqueArray(w.ipBlock.map((b) => b.cidr), { minLength: 1, maxLength: 2 }).map((cidrs) => networks(...cidrs));
  const ingressPeer: fc.Arbitrary<ClusterPeer> = selection;
  const egressPeer: fc.Arbitrary<ClusterPeer> = fc.oneof(
    { weight: 3, arbitrary: selection },
    { weight: 3, arbitrary: nodeSelector.map(nodesPeer) },
    { weight: 3, arbitrary: network },
    { weight: 1, arbitrary: fc.constant(domainNames('example.com')) },
  );
  const port: fc.Arbitrary<ClusterPort> = fc.oneof(
    { weight: 2, arbitrary: fc.record({ protocol: fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP'), port: fc.constantFrom(...world.policyPorts) }).map((p) => portOf(p.protocol, p.port)) },
    // A range of one port is written as that port (v1alpha2 wants start < end).
    { weight: 1, arbitrary: fc.record({ protocol: fc.constantFrom<Protocol>('TCP', 'UDP'), range: fc.constantFrom(...world.portRanges) })
      .map((p) => (p.range[0] === p.range[1] ? portOf(p.protocol, p.range[0]) : portOf(p.protocol, p.range[0], p.range[1]))) },
    { weight: 2, arbitrary: fc.constantFrom(...PORT_NAMES).map(namedPort) },
  );
  const action = fc.constantFrom<ClusterRuleAction>('Accept', 'Deny', 'Pass');
  // The API refuses a named port beside a networks, nodes or domainNames peer (only pods have named ports): objects
  // written as YAML leave the named ports out then; others keep them (the compiler must still cope).
  const apiValid = (peers: readonly ClusterPeer[], ports: readonly ClusterPort[]): readonly ClusterPort[] =>
    world.asLoaded && peers.some((x) => x.kind === 'networks' || x.kind === 'nodes' || x.kind === 'domainNames') ? ports.filter((x) => x.kind !== 'named') : ports;
  const valid = (peer: fc.Arbitrary<ClusterPeer>): fc.Arbitrary<ClusterRule> =>
    fc.record({ action, peers: fc.array(peer, { minLength: 1, maxLength: 2 }), ports: fc.array(port, { maxLength: 2 }), named: fc.boolean() })
      .map((r): ClusterRule => ({ action: r.action, peers: r.peers, ports: apiValid(r.peers, r.ports), ...(r.named && { name: `r-${r.action.toLowerCase()}` }) }));
  // Failing closed as the sources make a rule with errors: Accept matches nothing, Deny/Pass deny everything
  // (not for worlds whose objects are written out as YAML: no valid object gives them).
  const ruleFor = (peer: fc.Arbitrary<ClusterPeer>): fc.Arbitrary<ClusterRule> => (world.asLoaded ? valid(peer) : fc.oneof(
    { weight: 12, arbitrary: valid(peer) },
    { weight: 1, arbitrary: action.map((a): ClusterRule => (a === 'Accept'
      ? { action: 'Accept', peers: [], ports: [], failClosed: true }
      : { action: 'Deny', peers: [networks('0.0.0.0/0', '::/0')], ports: [], failClosed: true })) },
  ));
  const rules = (peer: fc.Arbitrary<ClusterPeer>): fc.Arbitrary<ClusterRule[]> => fc.array(ruleFor(peer), { maxLength: world.maxRules });
  const policy: fc.Arbitrary<ClusterPolicy> = fc.record({
    kind: fc.constantFrom<ClusterPolicyKind>('ClusterNetworkPolicy', 'ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'),
    tier: fc.constantFrom<ClusterTier>('Admin', 'Baseline'),
    name: fc.constantFrom(...CLUSTER_POLICY_NAMES),
    priority: fc.constantFrom(...PRIORITIES),
    subject,
    ingress: rules(ingressPeer),
    egress: rules(egressPeer),
  }).map((p): ClusterPolicy => {
    const o = { subject: p.subject, ingress: p.ingress, egress: p.egress, priority: p.priority };
    if (p.kind === 'AdminNetworkPolicy') return anp(p.name, o);
    // v1alpha1's baseline has no Pass, and no domainNames peer.
    const baseline = (rules: ClusterRule[]): ClusterRule[] => rules.flatMap((r) => {
      const peers = r.peers.filter((x) => x.kind !== 'domainNames');
      return peers.length === 0 && r.peers.length > 0 ? [] : [{ ...r, action: r.action === 'Pass' ? 'Deny' as const : r.action, peers }];
    });
    if (p.kind === 'BaselineAdminNetworkPolicy') return banp({ ...o, ingress: baseline(o.ingress), egress: baseline(o.egress) });
    return cnp(p.name, { ...o, tier: p.tier });
  });
  const policies = (max: number): fc.Arbitrary<ClusterPolicy[]> => fc.uniqueArray(policy, { maxLength: max, selector: clusterPolicyKey });
  const nodeLabels = fc.record({ zone: fc.constantFrom('a', 'b', undefined), role: fc.constantFrom('a', 'b', undefined) })
    .map((l): Labels => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) as Labels);
  return { policy, policies, nodeLabels };
}

const ENGINE_CLUSTER = clusterPolicyArbitraries(ENGINE_WORLD);
const ENGINE = arbitrariesFor(ENGINE_WORLD);

/** clusterArb's clusters with cluster-wide policies, and labels on the nodes (nodes peers select on them). */
export function withClusterPolicies(objects: ClusterObjects, max = 4): fc.Arbitrary<ClusterObjects> {
  return fc.record({
    clusterPolicies: ENGINE_CLUSTER.policies(max),
    labels: fc.array(ENGINE_CLUSTER.nodeLabels, { minLength: objects.nodes.length, maxLength: objects.nodes.length }),
  }).map(({ clusterPolicies, labels }) => ({
    ...objects,
    nodes: objects.nodes.map((n, i) => (Object.keys(labels[i] ?? {}).length > 0 ? { ...n, labels: labels[i] as Labels } : n)),
    clusterPolicies,
  }));
}

/**
 * The events of cluster-wide policy an agent sees, each as a change of the
 * objects: a cluster policy added or changed, removed, reprioritised (the
 * tier's order moves), a namespace relabelled (subjects), a node relabelled
 * (nodes peers), a host-network pod added or removed (its addresses are its node's).
 */
export const CLUSTER_MUTATIONS: readonly ((o: ClusterObjects) => fc.Arbitrary<ClusterObjects>)[] = [
  (o) => ENGINE_CLUSTER.policy.map((p) => ({ ...o, clusterPolicies: [...(o.clusterPolicies ?? []).filter((q) => clusterPolicyKey(q) !== clusterPolicyKey(p)), p] })),
  (o) => fc.nat().map((i) => {
    const list = o.clusterPolicies ?? [];
    return { ...o, clusterPolicies: list.filter((_, j) => j !== i % Math.max(1, list.length)) };
  }),
  (o) => fc.tuple(fc.nat(), fc.constantFrom(...PRIORITIES)).map(([i, priority]) => {
    const list = o.clusterPolicies ?? [];
    return { ...o, clusterPolicies: list.map((p, j) => (j === i % Math.max(1, list.length) && p.kind !== 'BaselineAdminNetworkPolicy' ? { ...p, priority } : p)) };
  }),
  // A namespace relabelled (subjects and peers select on namespace labels), more often than among NetworkPolicy's events.
  (o) => fc.tuple(fc.nat(), ENGINE.namespaces(o.namespaces.map((n) => n.name))).map(([i, fresh]) => ({
    ...o, namespaces: o.namespaces.map((n, j) => (j === i % Math.max(1, o.namespaces.length) ? (fresh[j] as typeof n) : n)),
  })),
  (o) => fc.tuple(fc.nat(), ENGINE_CLUSTER.nodeLabels).map(([i, labels]) => ({
    ...o, nodes: o.nodes.map((n, j) => (j === i % Math.max(1, o.nodes.length) ? { ...n, labels } : n)),
  })),
  (o) => fc.tuple(fc.nat({ max: 1 }), fc.boolean()).map(([n, add]) => {
    const name = `host-${n}`;
    const others = o.pods.filter((p) => p.name !== name || p.namespace !== 'kube-system');
    const node = o.nodes[n % Math.max(1, o.nodes.length)];
    if (!add || node === undefined) return { ...o, pods: others };
    return {
      ...o, pods: [...others, {
        namespace: 'kube-system', name, kind: 'Pod' as const, labels: {}, ips: [...node.addresses], nodeName: node.name,
        hostNetwork: true, phase: 'Running' as const, ports: [],
      }],
    };
  }),
];

/** Like mutated() (cluster-mutations.ts), drawing from NetworkPolicy's events and, twice as often, cluster-wide policy's. */
export function mutatedWithClusterPolicies(o: ClusterObjects, steps: number): fc.Arbitrary<ClusterObjects> {
  if (steps === 0) return fc.constant(o);
  return fc.constantFrom(...MUTATIONS, ...CLUSTER_MUTATIONS, ...CLUSTER_MUTATIONS).chain((m) => m(o)).chain((next) => mutatedWithClusterPolicies(next, steps - 1));
}

/** clusterA (cluster-mutations.ts) with up to three cluster-wide policies and node labels. */
export const clusterWithPoliciesA: fc.Arbitrary<ClusterObjects> = clusterA.chain((o) => withClusterPolicies(o, 3));
