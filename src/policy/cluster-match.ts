// Matching for cluster-wide policy (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy), as the network-policy-api defines it:
//  - subject: pods in namespaces whose labels match (namespaces), or pods
//    matching podSelector in namespaces matching namespaceSelector (pods);
//    host-network pods are never subjects;
//  - namespaces / pods peers: the same, and they match pods only, never
//    host-network pods (those are node addresses);
//  - nodes peer: an address of a node whose labels match (host-network pods
//    use their node's addresses);
//  - networks peer: any address inside one of the CIDRs, pods' included;
//  - domainNames peer: not enforced by nftpol: it matches nothing;
//  - ports: a protocol's port or inclusive range; a named port resolved on
//    the destination pod's container ports (never a node or network); none:
//    every protocol and port.
import { cidrContains } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { ClusterPeer, ClusterPodSelection, ClusterPolicy, ClusterPort, ClusterRule, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import { formatSelector, selectorMiss } from '../selectors/label-selector.ts';
import { describeEndpoint, endpointNodeName, type Endpoint } from './endpoint.ts';
import { Stage, type Miss, type Tracer } from './tracer.ts';

const NAMESPACES: Miss = { stage: Stage.Namespace, field: 'namespaces' };
const POD_NAMESPACE: Miss = { stage: Stage.Namespace, field: 'pods.namespaceSelector' };
const POD: Miss = { stage: Stage.Pod, field: 'pods.podSelector' };
const NODES: Miss = { stage: Stage.Pod, field: 'nodes' };
const NETWORKS: Miss = { stage: Stage.Cidr, field: 'networks' };
const DOMAIN_NAMES: Miss = { stage: Stage.Protocol, field: 'domainNames' };
const PROTOCOL: Miss = { stage: Stage.Protocol, field: 'protocol' };
const PORT: Miss = { stage: Stage.Port, field: 'port' };
const NAMED: Miss = { stage: Stage.Port, field: 'destinationNamedPort' };

/** Whether a pod is one the selection picks (host-network pods never are). */
export function selectionMatches(state: ClusterState, sel: ClusterPodSelection, pod: Pod): boolean {
  return selectionMiss(state, sel, pod) === undefined;
}

function selectionMiss(state: ClusterState, sel: ClusterPodSelection, pod: Pod, trace?: Tracer): Miss | undefined {
  const nsMiss = sel.kind === 'namespaces' ? NAMESPACES : POD_NAMESPACE;
  const miss = selectorMiss(sel.namespaceSelector, state.namespaceLabels(pod.namespace), trace !== undefined);
  if (miss) {
    return trace?.because(nsMiss, `namespace ${pod.namespace}: ${miss.reason} (selector ${formatSelector(sel.namespaceSelector)})`) ?? nsMiss;
  }
  if (sel.kind === 'pods') {
    const podMiss = selectorMiss(sel.podSelector, pod.labels, trace !== undefined);
    if (podMiss) return trace?.because(POD, `pod ${podKey(pod)}: ${podMiss.reason} (selector ${formatSelector(sel.podSelector)})`) ?? POD;
  }
  return undefined;
}

/** Whether the policy applies to the pod (its subject selects it). */
export function subjectSelects(state: ClusterState, policy: ClusterPolicy, pod: Pod): boolean {
  return !pod.hostNetwork && selectionMatches(state, policy.subject, pod);
}

/** Whether the other end of a flow is the peer's: undefined when it is, else the miss. */
export function clusterPeerMiss(state: ClusterState, peer: ClusterPeer, other: Endpoint, trace?: Tracer): Miss | undefined {
  switch (peer.kind) {
    case 'namespaces':
    case 'pods': {
      if (other.kind !== 'pod') {
        const miss = peer.kind === 'namespaces' ? NAMESPACES : POD;
        return trace?.because(miss, `${describeEndpoint(other)} is not a pod; ${peer.kind} peers match pods only, never host-network pods or nodes`) ?? miss;
      }
      return selectionMiss(state, peer, other.pod, trace);
    }
    case 'nodes': {
      const name = other.kind === 'node' ? endpointNodeName(other) : undefined;
      if (name === undefined) {
        return trace?.because(NODES, `${describeEndpoint(other)} is not a node's address; nodes peers match node addresses (and host-network pods)`) ?? NODES;
      }
      // A node's address no Node object (nor host-network pod) lists, such as
      // cni0's gateway the agent sees as its own node's, is in no nodes set
      // of the kernel's table: nodes peers match the addresses the API lists.
      if (state.nodeAt(other.ip) === undefined) {
        return trace?.because(NODES, `${other.ip} is node ${name}'s, but neither its Node object nor a host-network pod lists it; nodes peers match listed addresses only`) ?? NODES;
      }
      const labels = state.nodes.get(name)?.labels ?? {};
      const miss = selectorMiss(peer.nodeSelector, labels, trace !== undefined);
      return miss ? trace?.because(NODES, `node ${name}: ${miss.reason} (selector ${formatSelector(peer.nodeSelector)})`) ?? NODES : undefined;
    }
    case 'networks':
      if (peer.cidrs.some((c) => cidrContains(c, other.ip))) return undefined;
      return trace?.because(NETWORKS, `${other.ip} is in none of ${peer.cidrs.join(', ')}`) ?? NETWORKS;
    case 'domainNames':
      return trace?.because(DOMAIN_NAMES, `domainNames (${peer.domainNames.join(', ')}) are not enforced by nftpol: this peer matches nothing`) ?? DOMAIN_NAMES;
  }
}

/** Whether a flow's protocol and port are the entry's: undefined when they are, else the miss. */
export function clusterPortMiss(cp: ClusterPort, protocol: string, port: number | undefined, dstPod: Pod | undefined, trace?: Tracer): Miss | undefined {
  if (cp.kind === 'named') {
    if (!dstPod) return trace?.because(NAMED, `named port ${cp.name} only matches pods; the destination is not a pod`) ?? NAMED;
    const declared = dstPod.ports.find((p) => p.name === cp.name && p.protocol === protocol);
    if (declared !== undefined && declared.port === port) return undefined;
    const other = dstPod.ports.find((p) => p.name === cp.name);
    const why = declared !== undefined ? `port ${cp.name} is ${protocol} ${declared.port} on pod ${podKey(dstPod)}, flow is to ${port ?? 'no port'}`
      : other ? `port ${cp.name} is ${other.protocol} ${other.port} on pod ${podKey(dstPod)}, flow is ${protocol}`
        : `pod ${podKey(dstPod)} declares no port named ${cp.name}`;
    return trace?.because(NAMED, why) ?? NAMED;
  }
  if (cp.protocol !== protocol) return trace?.because(PROTOCOL, `rule matches ${cp.protocol}, flow is ${protocol}`) ?? PROTOCOL;
  if (port === undefined) return trace?.because(PORT, `rule names a port, the ${protocol} flow has none`) ?? PORT;
  const end = cp.endPort ?? cp.port;
  if (port >= cp.port && port <= end) return undefined;
  const want = end === cp.port ? `port ${cp.port}` : `ports ${cp.port}-${end}`;
  return trace?.because(PORT, `rule matches ${cp.protocol} ${want}, flow is to ${port}`) ?? PORT;
}

/** Whether some peer of the rule is the other end (a rule without peers, failing closed as Accept, has none). */
export function clusterRulePeersMatch(state: ClusterState, rule: ClusterRule, other: Endpoint): boolean {
  return rule.peers.some((peer) => clusterPeerMiss(state, peer, other) === undefined);
}

/** Whether a flow's protocol and port are some entry's of a rule's ports (no entries: every protocol and port). */
export function clusterPortsMatch(ports: readonly ClusterPort[], protocol: string, port: number | undefined, dstPod: Pod | undefined): boolean {
  return ports.length === 0 || ports.some((cp) => clusterPortMiss(cp, protocol, port, dstPod) === undefined);
}
