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
}

/** "namespace/name"; "deploy/namespace/name" for a workload keyed by kind (see Pod.keyedByKind). */
export function podKey(p: Pick<Pod, 'namespace' | 'name' | 'kind' | 'keyedByKind'>): string {
  return p.keyedByKind ? `${POD_KIND_PREFIX[p.kind]}/${p.namespace}/${p.name}` : `${p.namespace}/${p.name}`;
}

export function policyKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}
