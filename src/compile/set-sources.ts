// What each kind of pod set holds, as one pod's contribution (SetSource):
// the set registry builds a set from the pods of its scope and keeps it up to
// date pod by pod with the same function. Whether a pod matches a peer is
// decided by the engine's own peerMatches, so the kernel's sets can never
// disagree with `policy-explain`.
//
// Only addresses the pod holds (ClusterState.podAt) count: an address two
// pods claim stands for its holder alone, so a matching pod cannot let in the
// holder's traffic under its own labels.
import { familyOf, type IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { NetworkPolicy, Peer, Pod, PolicyPort } from '../model/types.ts';
import { policySelects } from '../policy/isolation.ts';
import { peerMatches } from '../policy/peer-match.ts';
import { resolveNamedPort } from '../policy/port-match.ts';
import type { AddressPort } from './ir.ts';
import type { PodSetSource, SetScope } from './set-registry.ts';

/** The pod's addresses of the family that it holds. */
function heldAddresses(state: ClusterState, pod: Pod, family: IPFamily): string[] {
  return pod.ips.filter((ip) => familyOf(ip) === family && state.podAt(ip) === pod);
}

/** Where a selector peer's pods can be (anywhere for "all pods": a rule without peers). */
function peerScope(policy: NetworkPolicy, peer: Peer | undefined): SetScope {
  if (peer === undefined || peer.kind === 'ipBlock') return { kind: 'all' };
  if (peer.namespaceSelector === null) return { kind: 'namespace', namespace: policy.namespace };
  return { kind: 'namespaces', selector: peer.namespaceSelector };
}

/** The addresses a peer matches (every pod's when peer is undefined). */
function peerAddresses(state: ClusterState, policy: NetworkPolicy, peer: Peer | undefined, pod: Pod, family: IPFamily): string[] {
  const held = heldAddresses(state, pod, family);
  if (peer === undefined) return held;
  return held.filter((ip) => peerMatches(state, policy, peer, { kind: 'pod', ip, pod }));
}

/** A selector peer's pods, by address: a plain set, `ip saddr @pods/...`. */
export function peerPodsSource(state: ClusterState, policy: NetworkPolicy, peer: Peer & { kind: 'pods' }, family: IPFamily, comment: string): PodSetSource {
  return { type: 'address', comment, scope: peerScope(policy, peer), contribute: (pod) => peerAddresses(state, policy, peer, pod, family) };
}

function namedElements(pod: Pod, addresses: readonly string[], port: PolicyPort): AddressPort[] {
  const n = resolveNamedPort(pod, port.port as string, port.protocol);
  return n === undefined ? [] : addresses.map((address) => ({ address, protocol: port.protocol, port: n }));
}

/**
 * Egress to a named port: the destination is a pod the peer matches, so the
 * set holds "address . protocol . port" of the peer's pods that name the port.
 */
export function egressNamedPortSource(
  state: ClusterState, policy: NetworkPolicy, peer: Peer | undefined, port: PolicyPort, family: IPFamily, comment: string,
): PodSetSource {
  return {
    type: 'address-port', comment, scope: peerScope(policy, peer),
    contribute: (pod) => namedElements(pod, peerAddresses(state, policy, peer, pod, family), port),
  };
}

/**
 * Ingress to a named port: the destination is one of this node's pods that
 * the policy selects (its chain exists only while the policy isolates one of
 * them for ingress), with the port as that pod names it.
 */
export function ingressNamedPortSource(
  state: ClusterState, policy: NetworkPolicy, node: string, port: PolicyPort, family: IPFamily, comment: string,
): PodSetSource {
  return {
    type: 'address-port', comment, scope: { kind: 'namespace', namespace: policy.namespace },
    contribute: (pod) => (pod.nodeName === node && policySelects(policy, pod) ? namedElements(pod, heldAddresses(state, pod, family), port) : []),
  };
}
