// Model -> Kubernetes YAML, and a counterexample as a ready-to-run PolicyTest
// file (`nftpol test FILE`). The objects are written as a user would write
// them: API defaults left out where the model says they were defaulted
// (policyTypes, port protocol), the kubernetes.io/metadata.name label left to
// the API server. Loading the output through the sources gives the same
// model back (to-policytest.test.ts checks that).
import { stringify } from 'yaml';
import type { ClusterState } from '../../../src/model/cluster-state.ts';
import { NAMESPACE_NAME_LABEL } from '../../../src/sources/normalize-namespace.ts';
import type {
  ClusterObjects, ClusterPeer, ClusterPodSelection, ClusterPolicy, ClusterPort, ClusterRule, ContainerPort, LabelSelector, Namespace,
  NetworkPolicy, Node, Peer, Pod, PolicyPort, PolicyRule,
} from '../../../src/model/types.ts';
import { podKey } from '../../../src/model/types.ts';
import type { Flow } from '../../../src/policy/engine.ts';
import type { Endpoint } from '../../../src/policy/endpoint.ts';
import { FlowSpecError, resolveEndpoints } from '../../../src/policy/flow-spec.ts';
import { POLICY_TEST_API_VERSION, POLICY_TEST_KIND } from '../../../src/policytest/policy-test.ts';

type K8sObject = Record<string, unknown>;

const nonEmpty = <T>(xs: readonly T[]): boolean => xs.length > 0;

export function selectorYaml(s: LabelSelector): K8sObject {
  return {
    ...(Object.keys(s.matchLabels).length > 0 && { matchLabels: { ...s.matchLabels } }),
    ...(nonEmpty(s.matchExpressions) && {
      matchExpressions: s.matchExpressions.map((r) => ({ key: r.key, operator: r.operator, ...(nonEmpty(r.values) && { values: [...r.values] }) })),
    }),
  };
}

function namespaceYaml(n: Namespace): K8sObject {
  const labels = Object.fromEntries(Object.entries(n.labels).filter(([k, v]) => !(k === NAMESPACE_NAME_LABEL && v === n.name)));
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, ...(Object.keys(labels).length > 0 && { labels }) } };
}

function containerPortYaml(c: ContainerPort): K8sObject {
  return { ...(c.name !== undefined && { name: c.name }), containerPort: c.port, protocol: c.protocol };
}

function podYaml(p: Pod): K8sObject {
  if (p.kind !== 'Pod') throw new Error(`${podKey(p)}: only Pods are written, not ${p.kind}`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, ...(Object.keys(p.labels).length > 0 && { labels: { ...p.labels } }) },
    spec: {
      ...(p.nodeName !== undefined && { nodeName: p.nodeName }),
      ...(p.hostNetwork && { hostNetwork: true }),
      containers: [{ name: 'main', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', ...(nonEmpty(p.ports) && { ports: p.ports.map(containerPortYaml) }) }],
    },
    status: {
      phase: p.phase,
      ...(nonEmpty(p.ips) && { podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) }),
    },
  };
}

function peerYaml(peer: Peer): K8sObject {
  if (peer.kind === 'ipBlock') {
    return { ipBlock: { cidr: peer.ipBlock.cidr, ...(nonEmpty(peer.ipBlock.except) && { except: [...peer.ipBlock.except] }) } };
  }
  return {
    ...(peer.namespaceSelector !== null && { namespaceSelector: selectorYaml(peer.namespaceSelector) }),
    ...(peer.podSelector !== null && { podSelector: selectorYaml(peer.podSelector) }),
  };
}

function portYaml(p: PolicyPort): K8sObject {
  return {
    ...(!p.protocolDefaulted && { protocol: p.protocol }),
    ...(p.port !== undefined && { port: p.port }),
    ...(p.endPort !== undefined && { endPort: p.endPort }),
  };
}

function ruleYaml(rule: PolicyRule, peersKey: 'from' | 'to'): K8sObject {
  return {
    ...(nonEmpty(rule.peers) && { [peersKey]: rule.peers.map(peerYaml) }),
    ...(nonEmpty(rule.ports) && { ports: rule.ports.map(portYaml) }),
  };
}

/** policyTypes as the API server would default them (SetDefaults_NetworkPolicy). */
function defaultedTypes(p: NetworkPolicy): string[] {
  return p.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function policyYaml(p: NetworkPolicy): K8sObject {
  // Leave policyTypes to the default only when the default gives the same types.
  const writeTypes = !p.policyTypesDefaulted || defaultedTypes(p).join() !== p.policyTypes.join();
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      podSelector: selectorYaml(p.podSelector),
      ...(writeTypes && { policyTypes: [...p.policyTypes] }),
      ...(nonEmpty(p.ingress) && { ingress: p.ingress.map((r) => ruleYaml(r, 'from')) }),
      ...(nonEmpty(p.egress) && { egress: p.egress.map((r) => ruleYaml(r, 'to')) }),
    },
  };
}

function nodeYaml(n: Node): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, ...(n.labels !== undefined && Object.keys(n.labels).length > 0 && { labels: { ...n.labels } }) },
    ...(nonEmpty(n.podCIDRs) && { spec: { podCIDR: n.podCIDRs[0], podCIDRs: [...n.podCIDRs] } }),
    ...(nonEmpty(n.addresses) && { status: { addresses: n.addresses.map((address) => ({ type: 'InternalIP', address })) } }),
  };
}

// ---------------------------------------------------------------- cluster-wide policy

function selectionYaml(s: ClusterPodSelection, v1alpha1: boolean): K8sObject {
  if (s.kind === 'namespaces') return { namespaces: selectorYaml(s.namespaceSelector) };
  // v1alpha1 requires the namespaceSelector of a pods selection; v1alpha2 defaults it to every namespace.
  const empty = Object.keys(selectorYaml(s.namespaceSelector)).length === 0;
  return { pods: { ...((v1alpha1 || !empty) && { namespaceSelector: selectorYaml(s.namespaceSelector) }), podSelector: selectorYaml(s.podSelector) } };
}

function clusterPeerYaml(peer: ClusterPeer, v1alpha1: boolean): K8sObject {
  switch (peer.kind) {
    case 'namespaces':
    case 'pods': return selectionYaml(peer, v1alpha1);
    case 'nodes': return { nodes: selectorYaml(peer.nodeSelector) };
    case 'networks': return { networks: [...peer.cidrs] };
    case 'domainNames': return { domainNames: [...peer.domainNames] };
  }
}

/** v1alpha2 `protocols` entries, v1alpha1 `ports` entries. */
function clusterPortYaml(port: ClusterPort, v1alpha1: boolean): K8sObject {
  if (port.kind === 'named') return v1alpha1 ? { namedPort: port.name } : { destinationNamedPort: port.name };
  if (v1alpha1) {
    return port.endPort === undefined
      ? { portNumber: { protocol: port.protocol, port: port.port } }
      : { portRange: { protocol: port.protocol, start: port.port, end: port.endPort } };
  }
  const destinationPort = port.endPort === undefined ? { number: port.port } : { range: { start: port.port, end: port.endPort } };
  return { [port.protocol.toLowerCase()]: { destinationPort } };
}

function clusterRuleYaml(r: ClusterRule, peersKey: 'from' | 'to', v1alpha1: boolean): K8sObject {
  return {
    ...(r.name !== undefined && { name: r.name }),
    action: v1alpha1 && r.action === 'Accept' ? 'Allow' : r.action,
    [peersKey]: r.peers.map((x) => clusterPeerYaml(x, v1alpha1)),
    ...(nonEmpty(r.ports) && { [v1alpha1 ? 'ports' : 'protocols']: r.ports.map((x) => clusterPortYaml(x, v1alpha1)) }),
  };
}

function clusterPolicyYaml(p: ClusterPolicy): K8sObject {
  const v1alpha1 = p.kind !== 'ClusterNetworkPolicy';
  return {
    apiVersion: v1alpha1 ? 'policy.networking.k8s.io/v1alpha1' : 'policy.networking.k8s.io/v1alpha2',
    kind: p.kind,
    metadata: { name: p.name },
    spec: {
      ...(p.kind === 'ClusterNetworkPolicy' && { tier: p.tier }),
      ...(p.kind !== 'BaselineAdminNetworkPolicy' && { priority: p.priority }),
      subject: selectionYaml(p.subject, v1alpha1),
      ...(nonEmpty(p.ingress) && { ingress: p.ingress.map((r) => clusterRuleYaml(r, 'from', v1alpha1)) }),
      ...(nonEmpty(p.egress) && { egress: p.egress.map((r) => clusterRuleYaml(r, 'to', v1alpha1)) }),
    },
  };
}

/** Every object of the model as Kubernetes objects: Nodes, Namespaces, Pods, NetworkPolicies, cluster-wide policies. */
export function kubernetesObjects(objects: ClusterObjects): K8sObject[] {
  return [
    ...objects.nodes.map(nodeYaml),
    ...objects.namespaces.map(namespaceYaml),
    ...objects.pods.map(podYaml),
    ...objects.policies.map(policyYaml),
    ...(objects.clusterPolicies ?? []).map(clusterPolicyYaml),
  ];
}

/** The model as a multi-document Kubernetes manifest. */
export function kubernetesYaml(objects: ClusterObjects): string {
  return kubernetesObjects(objects).map((o) => `---\n${stringify(o)}`).join('');
}

// ---------------------------------------------------------------- PolicyTest

export interface TestCaseSpec {
  readonly name?: string;
  readonly from: string;
  readonly to: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number | string;
  readonly expect: 'allow' | 'deny';
}

function endpointRef(e: Endpoint): string {
  return e.kind === 'pod' ? podKey(e.pod) : `ip:${e.ip}`;
}

/**
 * How a case names a flow's ends: namespace/name for pods when the test
 * runner resolves those names to the flow's own addresses (it takes IPv4
 * when both ends have it), ip:ADDRESS otherwise.
 */
export function caseEndpoints(state: ClusterState, flow: Flow): { from: string; to: string } {
  const named = { from: endpointRef(flow.from), to: endpointRef(flow.to) };
  try {
    const [a, b] = resolveEndpoints(state, named.from, named.to);
    if (a.ip === flow.from.ip && b.ip === flow.to.ip) return named;
  } catch (e) {
    if (!(e instanceof FlowSpecError)) throw e;
  }
  return { from: `ip:${flow.from.ip}`, to: `ip:${flow.to.ip}` };
}

export interface PolicyTestFile {
  readonly name: string;
  /** Comment lines written above the document. */
  readonly comment?: readonly string[];
  readonly objects: ClusterObjects;
  readonly cases: readonly TestCaseSpec[];
}

/** A PolicyTest document holding the whole cluster inline; runs with `nftpol test FILE`. */
export function policyTestYaml(t: PolicyTestFile): string {
  const doc = {
    apiVersion: POLICY_TEST_API_VERSION,
    kind: POLICY_TEST_KIND,
    metadata: { name: t.name },
    objects: kubernetesObjects(t.objects),
    cases: t.cases.map((c) => ({ ...(c.name !== undefined && { name: c.name }), from: c.from, to: c.to, protocol: c.protocol, port: c.port, expect: c.expect })),
  };
  const header = (t.comment ?? []).map((l) => `# ${l}`.trimEnd()).join('\n');
  return `${header === '' ? '' : `${header}\n`}${stringify(doc)}`;
}
