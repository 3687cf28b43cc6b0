// What differs between the API versions of cluster-wide policy, as the CRDs
// define it: v1alpha2 ClusterNetworkPolicy (network-policy-api v0.2.0) and
// v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy (v0.1.8). The
// normalizers read every kind with one code path and ask this for the limits,
// the action words and the peer and port fields of each.
import type { ClusterPolicyKind, ClusterRuleAction } from '../model/types.ts';

export interface ClusterDialect {
  readonly kind: ClusterPolicyKind;
  /** spec.ingress / spec.egress MaxItems. */
  readonly maxRules: number;
  /** A rule's from / to MaxItems (MinItems is 1 everywhere). */
  readonly maxPeers: number;
  /** A rule's protocols / ports MaxItems (MinItems 1 when present). */
  readonly maxPorts: number;
  /** The rule actions the CRD's enum allows, and the model action of each. */
  readonly actions: Readonly<Record<string, ClusterRuleAction>>;
  /** The fields of an ingress peer and of an egress peer, exactly one of which is set. */
  readonly ingressPeers: readonly string[];
  readonly egressPeers: readonly string[];
  /** Where a rule's ports are: v1alpha2 `protocols`, v1alpha1 `ports`. */
  readonly portsKey: 'protocols' | 'ports';
  /** v1alpha1 requires pods.namespaceSelector; v1alpha2 makes it optional ({}: every namespace). */
  readonly podsNeedNamespaceSelector: boolean;
}

const POD_PEERS = ['namespaces', 'pods'] as const;

export const CLUSTER_DIALECTS: Readonly<Record<ClusterPolicyKind, ClusterDialect>> = {
  ClusterNetworkPolicy: {
    kind: 'ClusterNetworkPolicy', maxRules: 25, maxPeers: 25, maxPorts: 25,
    actions: { Accept: 'Accept', Deny: 'Deny', Pass: 'Pass' },
    ingressPeers: POD_PEERS, egressPeers: [...POD_PEERS, 'nodes', 'networks', 'domainNames'],
    portsKey: 'protocols', podsNeedNamespaceSelector: false,
  },
  // v1alpha1 says Allow where v1alpha2 says Accept: the same decision.
  AdminNetworkPolicy: {
    kind: 'AdminNetworkPolicy', maxRules: 100, maxPeers: 100, maxPorts: 100,
    actions: { Allow: 'Accept', Deny: 'Deny', Pass: 'Pass' },
    ingressPeers: POD_PEERS, egressPeers: [...POD_PEERS, 'nodes', 'networks', 'domainNames'],
    portsKey: 'ports', podsNeedNamespaceSelector: true,
  },
  // The baseline has no Pass (there is no tier after it to pass to) and, in
  // v0.1.8, no domainNames peer.
  BaselineAdminNetworkPolicy: {
    kind: 'BaselineAdminNetworkPolicy', maxRules: 100, maxPeers: 100, maxPorts: 100,
    actions: { Allow: 'Accept', Deny: 'Deny' },
    ingressPeers: POD_PEERS, egressPeers: [...POD_PEERS, 'nodes', 'networks'],
    portsKey: 'ports', podsNeedNamespaceSelector: true,
  },
};

export function isClusterPolicyKind(kind: string): kind is ClusterPolicyKind {
  return Object.hasOwn(CLUSTER_DIALECTS, kind);
}
