// Which pods a peer stands for, decided by the engine's own peerMatches so
// the kernel's sets can never disagree with `policy-explain`. Selector peers
// only look at namespaces their namespaceSelector can match, so a peer costs
// the pods it could select, not the whole cluster.
import { familyOf, type IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { NetworkPolicy, Peer, Pod } from '../model/types.ts';
import { peerMatches } from '../policy/peer-match.ts';
import { selectorMatches } from '../selectors/label-selector.ts';

/** Participating pods a rule's peer could match (all of them when the rule has no peers). */
export function candidatePods(state: ClusterState, policy: NetworkPolicy, peer: Peer | undefined): Iterable<Pod> {
  if (peer === undefined || peer.kind === 'ipBlock') return state.participatingPods();
  if (peer.namespaceSelector === null) return state.podsIn(policy.namespace);
  const sel = peer.namespaceSelector;
  const namespaces = state.namespaceNames().filter((ns) => selectorMatches(sel, state.namespaceLabels(ns)));
  return namespaces.flatMap((ns) => state.podsIn(ns));
}

/**
 * Each (pod, address of the family) that the peer matches; every pod when
 * peer is undefined. Only addresses the pod holds (ClusterState.podAt): an
 * address two pods claim stands for its holder alone, so a matching pod
 * cannot let in the holder's traffic under its own labels.
 */
export function* matchedPodAddresses(
  state: ClusterState, policy: NetworkPolicy, peer: Peer | undefined, family: IPFamily,
): Generator<[Pod, string]> {
  for (const pod of candidatePods(state, policy, peer)) {
    for (const ip of pod.ips) {
      if (familyOf(ip) !== family || state.podAt(ip) !== pod) continue;
      if (peer === undefined || peerMatches(state, policy, peer, { kind: 'pod', ip, pod })) yield [pod, ip];
    }
  }
}
