// NetworkPolicyPeer matching, as upstream defines it:
//  - podSelector only: pods in the policy's own namespace whose labels match;
//  - namespaceSelector only: every pod in a namespace whose labels match;
//  - both in one peer: pods matching podSelector in namespaces matching
//    namespaceSelector (AND, not OR);
//  - ipBlock: any address inside cidr and outside every except, pods
//    included. Selectors match pods only, never nodes or outside addresses.
import { cidrContains } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { NetworkPolicy, Peer, PolicyRule } from '../model/types.ts';
import { formatSelector, selectorMiss } from '../selectors/label-selector.ts';
import { describeEndpoint, type Endpoint } from './endpoint.ts';
import { Stage, type Miss, type Tracer } from './tracer.ts';

const CIDR: Miss = { stage: Stage.Cidr, field: 'ipBlock.cidr' };
const NAMESPACE: Miss = { stage: Stage.Namespace, field: 'namespaceSelector' };
const POD: Miss = { stage: Stage.Pod, field: 'podSelector' };
const EXCEPT: Miss[] = [];

function exceptMiss(i: number): Miss {
  return (EXCEPT[i] ??= { stage: Stage.Except, field: `ipBlock.except[${i}]` });
}

/** Whether the other end of a flow is one of the peer's: undefined when it is, else the miss. */
export function peerMiss(state: ClusterState, policy: NetworkPolicy, peer: Peer, other: Endpoint, trace?: Tracer): Miss | undefined {
  if (peer.kind === 'ipBlock') {
    const { cidr, except } = peer.ipBlock;
    if (!cidrContains(cidr, other.ip)) return trace?.because(CIDR, `${other.ip} is not in ${cidr}`) ?? CIDR;
    const i = except.findIndex((e) => cidrContains(e, other.ip));
    return i < 0 ? undefined : trace?.because(exceptMiss(i), `${other.ip} is in except ${except[i]}`) ?? exceptMiss(i);
  }
  if (other.kind !== 'pod') {
    const miss = peer.podSelector ? POD : NAMESPACE;
    return trace?.because(miss, `${describeEndpoint(other)} is not a pod; pod and namespace selectors match pods only (use an ipBlock)`) ?? miss;
  }
  const pod = other.pod;
  if (peer.namespaceSelector === null) {
    if (pod.namespace !== policy.namespace) {
      return trace?.because(POD, `pod is in namespace ${pod.namespace}; a podSelector without namespaceSelector selects only namespace ${policy.namespace}`) ?? POD;
    }
  } else {
    const miss = selectorMiss(peer.namespaceSelector, state.namespaceLabels(pod.namespace), trace !== undefined);
    if (miss) {
      return trace?.because(NAMESPACE, `namespace ${pod.namespace}: ${miss.reason} (selector ${formatSelector(peer.namespaceSelector)})`) ?? NAMESPACE;
    }
  }
  if (peer.podSelector !== null) {
    const miss = selectorMiss(peer.podSelector, pod.labels, trace !== undefined);
    if (miss) return trace?.because(POD, `pod ${pod.namespace}/${pod.name}: ${miss.reason} (selector ${formatSelector(peer.podSelector)})`) ?? POD;
  }
  return undefined;
}

/** peerMiss as a predicate, for the compiler and lint. */
export function peerMatches(state: ClusterState, policy: NetworkPolicy, peer: Peer, other: Endpoint): boolean {
  return peerMiss(state, policy, peer, other) === undefined;
}

/** Whether some peer of the rule is the other end; a rule without peers holds every end. */
export function rulePeersMatch(state: ClusterState, policy: NetworkPolicy, rule: PolicyRule, other: Endpoint): boolean {
  return rule.peers.length === 0 || rule.peers.some((peer) => peerMatches(state, policy, peer, other));
}
