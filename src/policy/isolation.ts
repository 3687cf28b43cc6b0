// Isolation, per direction: a pod is isolated for ingress (egress) when any
// policy in its own namespace selects it (spec.podSelector matches its labels)
// and lists Ingress (Egress) in its effective policyTypes. A pod no policy
// isolates is open in that direction.
import type { Direction, NetworkPolicy, Pod, PolicyType } from '../model/types.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import { selectorMatches } from '../selectors/label-selector.ts';

export function policyTypeOf(direction: Direction): PolicyType {
  return direction === 'ingress' ? 'Ingress' : 'Egress';
}

export function policySelects(policy: NetworkPolicy, pod: Pod): boolean {
  return policy.namespace === pod.namespace && selectorMatches(policy.podSelector, pod.labels);
}

/** Policies that select the pod and isolate it in the direction, in input order. */
export function isolatingPolicies(state: ClusterState, pod: Pod, direction: Direction): NetworkPolicy[] {
  if (pod.hostNetwork) return []; // host-network pods are node addresses: never isolated
  const type = policyTypeOf(direction);
  return state.policiesIn(pod.namespace).filter((p) => p.policyTypes.includes(type) && policySelects(p, pod));
}
