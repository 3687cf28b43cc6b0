// NetworkPolicyPeer matching, as upstream defines it:
//  - podSelector only: pods in the policy's own namespace whose labels match;
//  - namespaceSelector only: every pod in a namespace whose labels match;
//  - both in one peer: pods matching podSelector in namespaces matching
//    namespaceSelector (AND, not OR);
//  - ipBlock: any address inside cidr and outside every except, pods
//    included. Selectors match pods only, never nodes or outside addresses.
import { cidrContains } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { NetworkPolicy, Peer } from '../model/types.ts';
import { formatSelector, selectorMatches, selectorMismatch } from '../selectors/label-selector.ts';
import { describeEndpoint, type Endpoint } from './endpoint.ts';

export interface PeerCheck {
  readonly matched: boolean;
  /** Sub-field of the peer that failed (e.g. "namespaceSelector"), when it did not match. */
  readonly field?: string;
  readonly reason?: string;
}

const MATCHED: PeerCheck = { matched: true };

export function peerMatches(state: ClusterState, policy: NetworkPolicy, peer: Peer, other: Endpoint): boolean {
  if (peer.kind === 'ipBlock') {
    const { cidr, except } = peer.ipBlock;
    return cidrContains(cidr, other.ip) && !except.some((e) => cidrContains(e, other.ip));
  }
  if (other.kind !== 'pod') return false;
  const pod = other.pod;
  if (peer.namespaceSelector === null) {
    if (pod.namespace !== policy.namespace) return false;
  } else if (!selectorMatches(peer.namespaceSelector, state.namespaceLabels(pod.namespace))) {
    return false;
  }
  return peer.podSelector === null || selectorMatches(peer.podSelector, pod.labels);
}

/** The same decision as peerMatches, with the field and reason of a failure. */
export function checkPeer(state: ClusterState, policy: NetworkPolicy, peer: Peer, other: Endpoint): PeerCheck {
  if (peer.kind === 'ipBlock') {
    const { cidr, except } = peer.ipBlock;
    if (!cidrContains(cidr, other.ip)) {
      return { matched: false, field: 'ipBlock.cidr', reason: `${other.ip} is not in ${cidr}` };
    }
    const i = except.findIndex((e) => cidrContains(e, other.ip));
    if (i >= 0) {
      return { matched: false, field: `ipBlock.except[${i}]`, reason: `${other.ip} is in except ${except[i]}` };
    }
    return MATCHED;
  }
  if (other.kind !== 'pod') {
    return {
      matched: false,
      field: peer.podSelector ? 'podSelector' : 'namespaceSelector',
      reason: `${describeEndpoint(other)} is not a pod; pod and namespace selectors match pods only (use an ipBlock)`,
    };
  }
  const pod = other.pod;
  if (peer.namespaceSelector === null) {
    if (pod.namespace !== policy.namespace) {
      return {
        matched: false,
        field: 'podSelector',
        reason: `pod is in namespace ${pod.namespace}; a podSelector without namespaceSelector selects only namespace ${policy.namespace}`,
      };
    }
  } else {
    const why = selectorMismatch(peer.namespaceSelector, state.namespaceLabels(pod.namespace));
    if (why) {
      return {
        matched: false,
        field: 'namespaceSelector',
        reason: `namespace ${pod.namespace}: ${why} (selector ${formatSelector(peer.namespaceSelector)})`,
      };
    }
  }
  if (peer.podSelector !== null) {
    const why = selectorMismatch(peer.podSelector, pod.labels);
    if (why) {
      return {
        matched: false,
        field: 'podSelector',
        reason: `pod ${pod.namespace}/${pod.name}: ${why} (selector ${formatSelector(peer.podSelector)})`,
      };
    }
  }
  return MATCHED;
}
