// The Kubernetes objects nftpol consumes, after normalization: every optional
// API field is resolved to its defaulted value here, once, so the policy engine
// never has to remember a default (protocol TCP, policyTypes, null vs {}).

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Where an object came from, for error messages and traces that lead back to the YAML. */
export interface SourceRef {
  /** File path, "<stdin>", or "cluster" for live mode. */
  readonly file: string;
  /** 0-based index of the YAML document in the file (items of a List count on). */
  readonly document: number;
}

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist (validated at the source). */
  readonly values: readonly string[];
}

/**
 * A metav1.LabelSelector. An empty selector (no labels, no expressions)
 * selects everything; "no selector at all" is represented by `null` where the
 * API distinguishes it (network policy peers).
 */
export interface LabelSelector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly SelectorRequirement[];
}

export interface Namespace {
  readonly name: string;
  /** Includes kubernetes.io/metadata.name, added as the API server does. */
  readonly labels: Labels;
  readonly source?: SourceRef;
}

export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: Protocol;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** The kinds that stand for pods: a Pod itself, or a workload's pod template. */
export type PodOwnerKind = 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob';

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  /** Pod, or the workload kind whose template this pod stands for. */
  readonly kind: PodOwnerKind;
  readonly labels: Labels;
  /** status.podIPs (or podIP); may be empty until the pod has an address. */
  readonly ips: readonly string[];
  readonly nodeName?: string;
  readonly hostNetwork: boolean;
  readonly phase: PodPhase;
  readonly ports: readonly ContainerPort[];
  /** metadata.creationTimestamp as ISO 8601 UTC ("2026-01-02T03:04:05.000Z"): of two pods claiming one address, the newer holds it. */
  readonly createdAt?: string;
  readonly source?: SourceRef;
  /**
   * Set on a workload that shares its namespace/name with a Pod (or an
   * earlier workload): its key then names its kind too ("deploy/shop/api"),
   * so both take part and each can be named.
   */
  readonly keyedByKind?: true;
}

/** kubectl's short name of each kind that stands for pods, as written in endpoint keys. */
export const POD_KIND_PREFIX: Readonly<Record<PodOwnerKind, string>> = {
  Pod: 'pod', Deployment: 'deploy', StatefulSet: 'sts', DaemonSet: 'ds', ReplicaSet: 'rs', Job: 'job', CronJob: 'cronjob',
};

export type PolicyType = 'Ingress' | 'Egress';
export type Direction = 'ingress' | 'egress';

export interface IPBlock {
  /** Canonical CIDR, e.g. "10.0.0.0/8" or "2001:db8::/32". */
  readonly cidr: string;
  /** Canonical CIDRs, each strictly inside `cidr` (validated at the source). */
  readonly except: readonly string[];
}

/**
 * One NetworkPolicyPeer. Exactly one of the forms the API allows:
 *  - pods: podSelector and/or namespaceSelector (null = field absent);
 *  - ipBlock.
 */
export type Peer =
  | { readonly kind: 'pods'; readonly podSelector: LabelSelector | null; readonly namespaceSelector: LabelSelector | null }
  | { readonly kind: 'ipBlock'; readonly ipBlock: IPBlock };

export interface PolicyPort {
  /** Defaulted to TCP when the YAML omits it. */
  readonly protocol: Protocol;
  /** True when `protocol` was filled in by the default, for explain's "why not". */
  readonly protocolDefaulted: boolean;
  /** Absent = every port of the protocol. A string is a container port name. */
  readonly port?: number | string;
  /** Only with a numeric port; inclusive range port..endPort. */
  readonly endPort?: number;
}

/**
 * One ingress or egress rule. An empty `peers` list means the YAML had no
 * from/to (or an empty one): every peer. An empty `ports` list means every
 * port and protocol.
 */
export interface PolicyRule {
  readonly peers: readonly Peer[];
  readonly ports: readonly PolicyPort[];
}

export interface NetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** Effective policyTypes: explicit, or Ingress plus Egress when egress rules exist. */
  readonly policyTypes: readonly PolicyType[];
  readonly policyTypesDefaulted: boolean;
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
  /**
   * The input had errors in this policy: it is kept failing closed, isolating
   * the pods it selects (every pod of its namespace when its podSelector is
   * unreadable) in its policyTypes, with no rules, so it allows nothing.
   */
  readonly failClosed?: true;
  readonly source?: SourceRef;
}

export interface Node {
  readonly name: string;
  /** metadata.labels: what a cluster-wide policy's `nodes` peer selects on. Absent = none. */
  readonly labels?: Labels;
  /** InternalIP/ExternalIP addresses. */
  readonly addresses: readonly string[];
  readonly podCIDRs: readonly string[];
  readonly source?: SourceRef;
}

/** Everything the engine reasons about. Plain data; see ClusterState for indexes. */
export interface ClusterObjects {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly policies: readonly NetworkPolicy[];
  readonly nodes: readonly Node[];
  /** ClusterNetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy objects. Absent = none. */
  readonly clusterPolicies?: readonly ClusterPolicy[];
}

/** "namespace/name"; "deploy/namespace/name" for a workload keyed by kind (see Pod.keyedByKind). */
export function podKey(p: Pick<Pod, 'namespace' | 'name' | 'kind' | 'keyedByKind'>): string {
  return p.keyedByKind ? `${POD_KIND_PREFIX[p.kind]}/${p.namespace}/${p.name}` : `${p.namespace}/${p.name}`;
}

export function policyKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

// ---------------------------------------------------------------- cluster-wide policy
//
// policy.networking.k8s.io: ClusterNetworkPolicy (v1alpha2, tiers Admin and
// Baseline) and the v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy
// it replaces. Both API versions normalize to one model: v1alpha1's Allow is
// Accept, an AdminNetworkPolicy is an Admin-tier policy, the
// BaselineAdminNetworkPolicy singleton `default` a Baseline-tier one.

/** The API kinds that normalize to ClusterPolicy. */
export type ClusterPolicyKind = 'ClusterNetworkPolicy' | 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy';

/** kubectl's short name of each kind, as written in keys ("cnp/name"). */
export const CLUSTER_POLICY_PREFIX: Readonly<Record<ClusterPolicyKind, string>> = {
  ClusterNetworkPolicy: 'cnp', AdminNetworkPolicy: 'anp', BaselineAdminNetworkPolicy: 'banp',
};

/** Evaluated in this order: Admin, then NetworkPolicy, then Baseline, then allow. */
export type ClusterTier = 'Admin' | 'Baseline';

/** Accept and Deny are final for the direction; Pass skips the rest of its tier. */
export type ClusterRuleAction = 'Accept' | 'Deny' | 'Pass';

/**
 * The action as the policy's own API writes it, for text an operator reads:
 * v1alpha1 (AdminNetworkPolicy, BaselineAdminNetworkPolicy) says Allow where
 * v1alpha2 says Accept; Deny and Pass are the same words in both. The policy
 * is the object or its key ("anp/name"). JSON keeps the normalized action.
 */
export function actionWord(policy: Pick<ClusterPolicy, 'kind'> | string, action: ClusterRuleAction): string {
  if (action !== 'Accept') return action;
  const v1alpha2 = typeof policy === 'string' ? policy.startsWith(`${CLUSTER_POLICY_PREFIX.ClusterNetworkPolicy}/`) : policy.kind === 'ClusterNetworkPolicy';
  return v1alpha2 ? 'Accept' : 'Allow';
}

/**
 * Who a cluster policy applies to, and the pod peers of its rules:
 *  - namespaces: every pod in a namespace whose labels match;
 *  - pods: pods matching podSelector in namespaces matching namespaceSelector
 *    (an empty namespaceSelector: every namespace).
 * Host-network pods are never subjects and never match these peers.
 */
export type ClusterPodSelection =
  | { readonly kind: 'namespaces'; readonly namespaceSelector: LabelSelector }
  | { readonly kind: 'pods'; readonly namespaceSelector: LabelSelector; readonly podSelector: LabelSelector };

/**
 * One peer of a rule (exactly one form, as the API requires):
 *  - namespaces / pods: as ClusterPodSelection;
 *  - nodes (egress only): every address of a node whose labels match, which
 *    host-network pods on it use too;
 *  - networks (egress only): canonical CIDRs; they match pod addresses too;
 *  - domainNames (egress only, experimental): parsed and kept, never enforced:
 *    such a peer matches nothing, and every command says so.
 */
export type ClusterPeer =
  | ClusterPodSelection
  | { readonly kind: 'nodes'; readonly nodeSelector: LabelSelector }
  | { readonly kind: 'networks'; readonly cidrs: readonly string[] }
  | { readonly kind: 'domainNames'; readonly domainNames: readonly string[] };

/**
 * One entry of a rule's protocols (v1alpha2) or ports (v1alpha1):
 *  - number: a destination port of one protocol, or the inclusive range port..endPort;
 *  - named: a container port name, resolved on the destination pod (any protocol it is declared with).
 */
export type ClusterPort =
  | { readonly kind: 'number'; readonly protocol: Protocol; readonly port: number; readonly endPort?: number }
  | { readonly kind: 'named'; readonly name: string };

/**
 * An empty `ports` list matches every protocol and port. The API requires at
 * least one peer, so an empty `peers` list is used only for a rule that fails
 * closed as Accept: it matches nothing.
 */
export interface ClusterRule {
  /** The rule's optional name (spec.ingress[i].name). */
  readonly name?: string;
  readonly action: ClusterRuleAction;
  readonly peers: readonly ClusterPeer[];
  readonly ports: readonly ClusterPort[];
  /**
   * The rule had errors in the input (a peer or port it could not read, an
   * unknown field in a peer): it fails closed as upstream says: an Accept rule
   * matches nothing (peers empty); a Deny or Pass rule becomes Deny of every
   * peer and port (networks 0.0.0.0/0 and ::/0, no ports).
   */
  readonly failClosed?: true;
}

export interface ClusterPolicy {
  readonly kind: ClusterPolicyKind;
  readonly name: string;
  readonly tier: ClusterTier;
  /** 0..1000, lower first. (A BaselineAdminNetworkPolicy has none: 0.) */
  readonly priority: number;
  readonly subject: ClusterPodSelection;
  readonly ingress: readonly ClusterRule[];
  readonly egress: readonly ClusterRule[];
  /**
   * The input had errors in the policy itself (not only in rules, which fail
   * closed one by one: ClusterRule.failClosed): it is kept failing closed. Its
   * subject (every pod when the subject is unreadable) gets one rule that
   * denies every peer and port, in each direction the object has rules in
   * (both when that is unreadable), at its tier and priority (Admin and 0
   * when unreadable), so it allows nothing of what it meant to decide.
   */
  readonly failClosed?: true;
  readonly source?: SourceRef;
}

/** "cnp/name", "anp/name", "banp/default": names of different kinds may repeat. */
export function clusterPolicyKey(p: Pick<ClusterPolicy, 'kind' | 'name'>): string {
  return `${CLUSTER_POLICY_PREFIX[p.kind]}/${p.name}`;
}

const KIND_RANK: Readonly<Record<ClusterPolicyKind, number>> = { ClusterNetworkPolicy: 0, AdminNetworkPolicy: 1, BaselineAdminNetworkPolicy: 2 };

/**
 * The order policies of one tier are evaluated in: priority, lower first.
 * Equal priorities are undefined upstream; nftpol orders them by name, then
 * ClusterNetworkPolicy before AdminNetworkPolicy (so one order holds in the
 * engine and the kernel), and lint warns when two of them overlap.
 */
export function compareClusterPolicies(a: ClusterPolicy, b: ClusterPolicy): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return KIND_RANK[a.kind] - KIND_RANK[b.kind];
}

