// One change of the cluster as a watch (or a re-read folder) reports it: an
// object set (added or modified: the new version) or deleted (no object).
// ClusterState.apply takes these; the agent's compiler reads what each one
// touches.
import type { ClusterObjects, ClusterPolicy, Namespace, NetworkPolicy, Node, Pod } from './types.ts';
import { clusterPolicyKey } from './types.ts';

export type ClusterChange =
  /** key: "namespace/name". */
  | { readonly kind: 'pod'; readonly key: string; readonly pod?: Pod }
  | { readonly kind: 'namespace'; readonly name: string; readonly namespace?: Namespace }
  /** key: "namespace/name". */
  | { readonly kind: 'policy'; readonly key: string; readonly policy?: NetworkPolicy }
  | { readonly kind: 'node'; readonly name: string; readonly node?: Node }
  /** key: clusterPolicyKey ("cnp/name", "anp/name", "banp/default"). */
  | { readonly kind: 'clusterPolicy'; readonly key: string; readonly clusterPolicy?: ClusterPolicy };

/** Plain data compared by value (objects from a re-read folder are new each time). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function byKey<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  return new Map(items.map((t) => [key(t), t]));
}

function diffKind<T>(prev: readonly T[], next: readonly T[], key: (t: T) => string, change: (key: string, after: T | undefined) => ClusterChange): ClusterChange[] {
  const before = byKey(prev, key);
  const after = byKey(next, key);
  const out: ClusterChange[] = [];
  for (const [k, a] of after) if (!sameData(before.get(k), a)) out.push(change(k, a));
  for (const k of before.keys()) if (!after.has(k)) out.push(change(k, undefined));
  return out;
}

const nsKey = (o: { namespace: string; name: string }): string => `${o.namespace}/${o.name}`;

/**
 * The changes that turn one set of objects into another, by kind and key (a
 * later object under a key wins, as in ClusterState): what the agent applies
 * when its source hands over whole states (a re-read folder).
 */
export function changesBetween(prev: ClusterObjects, next: ClusterObjects): ClusterChange[] {
  return [
    ...diffKind(prev.nodes, next.nodes, (n) => n.name, (name, node): ClusterChange => ({ kind: 'node', name, ...(node && { node }) })),
    ...diffKind(prev.namespaces, next.namespaces, (n) => n.name, (name, namespace): ClusterChange => ({ kind: 'namespace', name, ...(namespace && { namespace }) })),
    ...diffKind(prev.clusterPolicies ?? [], next.clusterPolicies ?? [], clusterPolicyKey, (key, clusterPolicy): ClusterChange => ({ kind: 'clusterPolicy', key, ...(clusterPolicy && { clusterPolicy }) })),
    ...diffKind(prev.policies, next.policies, nsKey, (key, policy): ClusterChange => ({ kind: 'policy', key, ...(policy && { policy }) })),
    ...diffKind(prev.pods, next.pods, nsKey, (key, pod): ClusterChange => ({ kind: 'pod', key, ...(pod && { pod }) })),
  ];
}
