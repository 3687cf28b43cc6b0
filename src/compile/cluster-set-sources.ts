// What each set of a cluster-wide policy holds (docs/cluster-network-policy.md),
// as one pod's contribution (a SetSource, see set-registry.ts), so the set
// registry builds and updates them pod by pod as it does NetworkPolicy sets.
// Whether a pod is selected is decided by the engine's own matchers
// (selectionMatches, clusterPeerMiss), so the kernel's sets cannot disagree
// with `policy-explain`.
//
//   subject     this node's pods the policy applies to (host-network pods never are)
//   pods peer   pods matching the selection, anywhere in the cluster (never host-network pods)
//   nodes peer  every address the engine reads as a matching node's: Node.addresses and
//               host-network pods' addresses (a computed set: nodes are not pods)
//   networks    the CIDRs as non-overlapping prefixes (interval set)
//   named port  "address . protocol . port" of the destination pods declaring the name:
//               ingress, this node's subject pods; egress, the peer's pods (or every pod,
//               for a networks peer, whose own set is matched beside it)
//
// Only addresses a pod holds (ClusterState.podAt) count, as for NetworkPolicy.
import { cidrOf, familyOf, overlapsWithEarlier, type IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { ClusterPeer, ClusterPodSelection, Pod, Protocol } from '../model/types.ts';
import { selectionMatches, clusterPeerMiss } from '../policy/cluster-match.ts';
import { addressEndpoint } from '../policy/endpoint.ts';
import type { AddressPort } from './ir.ts';
import type { ComputedSetSource, PodSetSource, SetScope } from './set-registry.ts';

function heldAddresses(state: ClusterState, pod: Pod, family: IPFamily): string[] {
  return pod.ips.filter((ip) => familyOf(ip) === family && state.podAt(ip) === pod);
}

/** Where a selection's pods can be: the namespaces its namespaceSelector matches. */
function selectionScope(sel: ClusterPodSelection): SetScope {
  const s = sel.namespaceSelector;
  // An empty selector matches every namespace: the "all" scope skips the label check.
  return s.matchExpressions.length === 0 && Object.keys(s.matchLabels).length === 0 ? { kind: 'all' } : { kind: 'namespaces', selector: s };
}

/** The node's pods a policy's subject selects: the tier chain's `ip saddr @subj/... jump POLICY-CHAIN`. */
export function subjectSource(state: ClusterState, subject: ClusterPodSelection, node: string, family: IPFamily, comment: string): PodSetSource {
  return {
    type: 'address', comment, scope: { kind: 'node', node },
    contribute: (pod) => (pod.nodeName === node && selectionMatches(state, subject, pod) ? heldAddresses(state, pod, family) : []),
  };
}

/** A namespaces or pods peer: the pods it selects, by address. */
export function peerPodsSource(state: ClusterState, peer: ClusterPodSelection, family: IPFamily, comment: string): PodSetSource {
  return {
    type: 'address', comment, scope: selectionScope(peer),
    contribute: (pod) => (selectionMatches(state, peer, pod) ? heldAddresses(state, pod, family) : []),
  };
}

/**
 * A nodes peer: the addresses the engine reads as a node whose labels match
 * (a node's own addresses, and host-network pods', which are their node's).
 * `candidates` lists every address that may be one.
 */
export function nodeAddressesSource(
  state: ClusterState, peer: ClusterPeer & { kind: 'nodes' }, family: IPFamily, candidates: () => Iterable<string>, comment: string,
): ComputedSetSource {
  return {
    type: 'computed', comment,
    compute: () => {
      const out = new Set<string>();
      for (const ip of candidates()) {
        if (familyOf(ip) !== family) continue;
        const e = addressEndpoint(state, ip);
        if (e.kind === 'node' && clusterPeerMiss(state, peer, e) === undefined) out.add(ip);
      }
      return [...out].sort();
    },
  };
}

/**
 * A networks peer's CIDRs of one family as prefixes that do not overlap (nft
 * refuses overlapping intervals): a CIDR inside another is left out, as it
 * adds no address. Widest first, so each inner one meets its outer one.
 */
export function networkPrefixes(cidrs: readonly string[], family: IPFamily): string[] {
  const mine = [...new Set(cidrs.map((c) => cidrOf(c)))].filter((c) => c.family === family).sort((a, b) => a.prefix - b.prefix).map((c) => c.cidr);
  const overlaps = overlapsWithEarlier(mine);
  return [...new Set(mine.filter((_, i) => overlaps[i] === undefined))].sort();
}

/** The pod's container ports of that name, one per protocol (the first declared, as the engine resolves it). */
function namedElements(pod: Pod, addresses: readonly string[], name: string): AddressPort[] {
  const byProtocol = new Map<Protocol, number>();
  for (const p of pod.ports) if (p.name === name && !byProtocol.has(p.protocol)) byProtocol.set(p.protocol, p.port);
  return addresses.flatMap((address) => [...byProtocol].map(([protocol, port]) => ({ address, protocol, port })));
}

/** Ingress to a named port: this node's subject pods, with the port as each names it. */
export function subjectNamedPortSource(
  state: ClusterState, subject: ClusterPodSelection, node: string, name: string, family: IPFamily, comment: string,
): PodSetSource {
  return {
    type: 'address-port', comment, scope: { kind: 'node', node },
    contribute: (pod) => (pod.nodeName === node && selectionMatches(state, subject, pod) ? namedElements(pod, heldAddresses(state, pod, family), name) : []),
  };
}

/** Egress to a named port: the peer's pods (every pod when `peer` is undefined) that name it. */
export function peerNamedPortSource(
  state: ClusterState, peer: ClusterPodSelection | undefined, name: string, family: IPFamily, comment: string,
): PodSetSource {
  return {
    type: 'address-port', comment, scope: peer === undefined ? { kind: 'all' } : selectionScope(peer),
    contribute: (pod) => (peer === undefined || selectionMatches(state, peer, pod) ? namedElements(pod, heldAddresses(state, pod, family), name) : []),
  };
}
