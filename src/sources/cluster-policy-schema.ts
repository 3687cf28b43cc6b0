// The schema of policy.networking.k8s.io's kinds, in the form of
// k8s-schema.generated.ts (field -> type), for the strict field check
// (schema-check.ts): the generated schema is Kubernetes' own and has no CRDs.
// Written by hand from the CRDs' OpenAPI (experimental channel, the superset:
// nodes, domainNames and named ports are experimental fields):
//  - ClusterNetworkPolicy: v1alpha2 (network-policy-api v0.2.0);
//  - AdminNetworkPolicy, BaselineAdminNetworkPolicy: v1alpha1 (v0.1.8).
// Only field names and JSON types are here; enums, bounds, "exactly one of"
// and the CEL rules are the normalizers' (normalize-cluster-*.ts).
// `status` is written by implementations, never read: any.

/** The served version of each kind, by "group/kind", and its schema type. */
export const CLUSTER_POLICY_ROOTS: Readonly<Record<string, { readonly apiVersion: string; readonly type: string }>> = {
  'policy.networking.k8s.io/ClusterNetworkPolicy': { apiVersion: 'policy.networking.k8s.io/v1alpha2', type: 'CNPv1alpha2' },
  'policy.networking.k8s.io/AdminNetworkPolicy': { apiVersion: 'policy.networking.k8s.io/v1alpha1', type: 'ANPv1alpha1' },
  'policy.networking.k8s.io/BaselineAdminNetworkPolicy': { apiVersion: 'policy.networking.k8s.io/v1alpha1', type: 'BANPv1alpha1' },
};

const SELECTOR = 'V1LabelSelector';

export const CLUSTER_POLICY_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // v1alpha2 ClusterNetworkPolicy
  CNPv1alpha2: { apiVersion: 'string', kind: 'string', metadata: 'V1ObjectMeta', spec: 'CNPSpec', status: 'any' },
  CNPSpec: { tier: 'string', priority: 'integer', subject: 'CNPSubject', ingress: '[]CNPIngressRule', egress: '[]CNPEgressRule' },
  CNPSubject: { namespaces: SELECTOR, pods: 'CNPNamespacedPod' },
  CNPNamespacedPod: { namespaceSelector: SELECTOR, podSelector: SELECTOR },
  CNPIngressRule: { name: 'string', action: 'string', from: '[]CNPIngressPeer', protocols: '[]CNPProtocol' },
  CNPEgressRule: { name: 'string', action: 'string', to: '[]CNPEgressPeer', protocols: '[]CNPProtocol' },
  CNPIngressPeer: { namespaces: SELECTOR, pods: 'CNPNamespacedPod' },
  CNPEgressPeer: { namespaces: SELECTOR, pods: 'CNPNamespacedPod', nodes: SELECTOR, networks: '[]string', domainNames: '[]string' },
  CNPProtocol: { tcp: 'CNPProtocolPorts', udp: 'CNPProtocolPorts', sctp: 'CNPProtocolPorts', destinationNamedPort: 'string' },
  CNPProtocolPorts: { destinationPort: 'CNPPort' },
  CNPPort: { number: 'integer', range: 'CNPPortRange' },
  CNPPortRange: { start: 'integer', end: 'integer' },
  // v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy
  ANPv1alpha1: { apiVersion: 'string', kind: 'string', metadata: 'V1ObjectMeta', spec: 'ANPSpec', status: 'any' },
  ANPSpec: { priority: 'integer', subject: 'ANPSubject', ingress: '[]ANPIngressRule', egress: '[]ANPEgressRule' },
  ANPSubject: { namespaces: SELECTOR, pods: 'ANPNamespacedPod' },
  ANPNamespacedPod: { namespaceSelector: SELECTOR, podSelector: SELECTOR },
  ANPIngressRule: { name: 'string', action: 'string', from: '[]ANPIngressPeer', ports: '[]ANPPort' },
  ANPEgressRule: { name: 'string', action: 'string', to: '[]ANPEgressPeer', ports: '[]ANPPort' },
  ANPIngressPeer: { namespaces: SELECTOR, pods: 'ANPNamespacedPod' },
  ANPEgressPeer: { namespaces: SELECTOR, pods: 'ANPNamespacedPod', nodes: SELECTOR, networks: '[]string', domainNames: '[]string' },
  ANPPort: { portNumber: 'ANPPortNumber', namedPort: 'string', portRange: 'ANPPortRange' },
  ANPPortNumber: { protocol: 'string', port: 'integer' },
  ANPPortRange: { protocol: 'string', start: 'integer', end: 'integer' },
  BANPv1alpha1: { apiVersion: 'string', kind: 'string', metadata: 'V1ObjectMeta', spec: 'BANPSpec', status: 'any' },
  BANPSpec: { subject: 'ANPSubject', ingress: '[]ANPIngressRule', egress: '[]BANPEgressRule' },
  BANPEgressRule: { name: 'string', action: 'string', to: '[]BANPEgressPeer', ports: '[]ANPPort' },
  // v0.1.8's baseline egress peer has no domainNames.
  BANPEgressPeer: { namespaces: SELECTOR, pods: 'ANPNamespacedPod', nodes: SELECTOR, networks: '[]string' },
};
