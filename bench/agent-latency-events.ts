// The changes the agent-latency bench sends, as watch events on a generated
// cluster (generated-cluster.ts), seen by the agent of one node. Each change
// is about that node's side of the cluster, so that it changes the node's
// table (a change elsewhere often changes nothing there, and would measure
// a sync that writes nothing):
//  - pod-add: a copy of one of the node's pods (same labels, so the same
//    policies select it), new name and address (hosts .200 and up of the
//    node's /24, never generated): dispatch map, pod chains, peer sets;
//  - pod-add-remote: the same on the next node: only peer set elements;
//  - pod-delete: the pods pod-add added, deleted again;
//  - pod-label: one of the node's pods moves to the next tier (web → api …),
//    which the generated policies select on;
//  - namespace-label: a namespace with pods on the node moves to the next
//    env (prod → staging …), which namespaceSelector peers select on;
//  - policy-add: a new policy selecting one of the node's pods by its tier
//    (it takes http from web pods and from one team's namespaces);
//  - policy-change: an existing policy that selects one of the node's pods
//    (Ingress in its types) gains one ingress rule (cache pods on a port of
//    its own).
//  - replace: more of the node's pods move two tiers on, for the bench to
//    apply each as a whole-table replace, beside the deltas.
// The bench sends them in rounds, one of each kind per round, so a pod-add's
// pod is deleted by the pod-delete of the same round. Where the node has
// enough pods, namespaces and policies, each event changes an object no
// other event changed.
import {
  clusterPolicyKey, type ClusterObjects, type ClusterPodSelection, type ClusterPolicy, type ClusterRule, type ClusterRuleAction, type Namespace, type NetworkPolicy, type Pod,
} from '../src/model/types.ts';
import { selectorMatches } from '../src/selectors/label-selector.ts';
import { ALL, podPeer, nsPeer, policy, rule, sel, tcp } from '../test/generators/cluster-builders.ts';
import {
  accept, cnp, deny, namedPort, nodesPeer, nsPeerOf, nsSubject, pass, podsPeerOf, portOf,
} from '../test/generators/cluster-policies.ts';
import type { WatchedObject } from './watch-events.ts';

export const LATENCY_EVENTS = ['pod-add', 'pod-add-remote', 'pod-delete', 'pod-label', 'namespace-label', 'policy-add', 'policy-change'] as const;
export type LatencyEvent = (typeof LATENCY_EVENTS)[number];

export interface Change {
  readonly type: 'added' | 'modified' | 'deleted';
  readonly object: WatchedObject;
}

/** Pod addresses the generator never uses (it numbers a node's pods from .2 up to ~.112). */
const FIRST_FREE_HOST = 200;
/** At most this many events of one type: the free hosts .200–.254 of a node's /24. */
export const MAX_EVENTS_PER_TYPE = 50;

const TIER_ORDER = ['web', 'api', 'db', 'cache', 'worker'] as const;
const ENV_ORDER = ['prod', 'staging', 'dev'] as const;

const next = <T extends string>(order: readonly T[], v: string | undefined): T =>
  order[(order.indexOf(v as T) + 1) % order.length] as T;

/** `n` items of xs, round robin (xs must not be empty). */
function take<T>(xs: readonly T[], n: number): T[] {
  return Array.from({ length: n }, (_, i) => xs[i % xs.length] as T);
}

function withHost(p: Pod, name: string, host: number): Pod {
  const ip = (p.ips[0] as string).replace(/\.\d+$/, `.${host}`);
  return { ...p, name, ips: [ip] };
}

/**
 * `perType` changes of each LatencyEvent for the agent of `node` (a node of
 * the cluster, not its last one), and `replaces` label changes for the
 * whole-table replace beside them. The pods whose labels change are kept
 * apart from those the policies added or changed select, so that these
 * still select a pod of the node when their event comes.
 */
export function latencyChanges(objects: ClusterObjects, node: string, nextNode: string, perType: number, replaces: number): Record<LatencyEvent | 'replace', Change[]> {
  if (perType < 1 || perType > MAX_EVENTS_PER_TYPE) throw new Error(`events per type: 1 to ${MAX_EVENTS_PER_TYPE}, not ${perType}`);
  const local = objects.pods.filter((p) => p.nodeName === node && p.ips.length > 0);
  const relabelledPods = local.slice(0, perType);
  const replacedPods = local.slice(perType).reverse().slice(0, replaces);
  const untouched = local.slice(perType, local.length - replacedPods.length);
  const stable = untouched.length > 0 ? untouched : local;
  const remote = objects.pods.filter((p) => p.nodeName === nextNode && p.ips.length > 0);
  if (local.length === 0 || remote.length === 0) throw new Error(`no pods on ${node} or ${nextNode}`);
  const localNs = new Set(local.map((p) => p.namespace));
  const namespaces = objects.namespaces.filter((n) => localNs.has(n.name));
  const selectsLocal = (p: NetworkPolicy): boolean => stable.some((pod) => pod.namespace === p.namespace && selectorMatches(p.podSelector, pod.labels));
  const policies = objects.policies.filter((p) => localNs.has(p.namespace) && p.policyTypes.includes('Ingress') && selectsLocal(p));
  if (policies.length === 0) throw new Error(`no policy with Ingress selects a pod of ${node}`);

  const added = take(local, perType).map((p, i) => withHost(p, `bench-add-${i}`, FIRST_FREE_HOST + i));
  const addedRemote = take(remote, perType).map((p, i) => withHost(p, `bench-add-remote-${i}`, FIRST_FREE_HOST + i));
  const pod = (value: Pod): WatchedObject => ({ type: 'pod', value });
  // Each namespace and pod is changed once where there are enough; a repeat moves it on again from where it is.
  const relabelled = new Map<string, Pod>();
  const podLabel = take(relabelledPods, perType).map((p): Change => {
    const key = `${p.namespace}/${p.name}`;
    const now = relabelled.get(key) ?? p;
    const moved = { ...now, labels: { ...now.labels, tier: next(TIER_ORDER, now.labels['tier']) } };
    relabelled.set(key, moved);
    return { type: 'modified', object: pod(moved) };
  });
  const relabelledNs = new Map<string, Namespace>();
  const namespaceLabel = take(namespaces, perType).map((n): Change => {
    const now = relabelledNs.get(n.name) ?? n;
    const moved = { ...now, labels: { ...now.labels, env: next(ENV_ORDER, now.labels['env']) } };
    relabelledNs.set(n.name, moved);
    return { type: 'modified', object: { type: 'namespace', value: moved } };
  });
  const policyAdd = take(stable, perType).map((p, i): Change => ({
    type: 'added',
    object: { type: 'policy', value: policy(`${p.namespace}/bench-add-${i}`, {
      podSelector: sel({ tier: p.labels['tier'] ?? 'api' }),
      ingress: [rule([podPeer(sel({ tier: 'web' })), nsPeer(sel({ team: `t${i % 10}` }))], [tcp(8080), tcp('http')])],
    }) },
  }));
  const changedPolicies = new Map<string, NetworkPolicy>();
  const policyChange = take(policies, perType).map((p, i): Change => {
    const key = `${p.namespace}/${p.name}`;
    const now = changedPolicies.get(key) ?? p;
    const changed: NetworkPolicy = { ...now, ingress: [...now.ingress, rule([podPeer(sel({ tier: 'cache' }))], [tcp(20_000 + i)])] };
    changedPolicies.set(key, changed);
    return { type: 'modified', object: { type: 'policy', value: changed } };
  });
  return {
    'pod-add': added.map((p) => ({ type: 'added', object: pod(p) })),
    'pod-add-remote': addedRemote.map((p) => ({ type: 'added', object: pod(p) })),
    'pod-delete': added.map((p) => ({ type: 'deleted', object: pod(p) })),
    'pod-label': podLabel,
    'namespace-label': namespaceLabel,
    'policy-add': policyAdd,
    'policy-change': policyChange,
    replace: take(replacedPods.length > 0 ? replacedPods : local, replaces).map((p, i) => ({
      type: 'modified',
      object: { type: 'pod', value: { ...p, labels: { ...p.labels, 'bench-replace': String(i), tier: next(TIER_ORDER, next(TIER_ORDER, p.labels['tier'])) } } },
    })),
  };
}

// ---------------------------------------------------------------- cluster-wide policies
//
// With cluster-wide policies on top (generated-cluster.ts withClusterPolicies),
// four more changes, each about the node's pods:
//  - cluster-policy-add: a ClusterNetworkPolicy (Admin) whose subject is a
//    namespace with pods on the node: ingress Deny from one team's namespaces
//    on 8080 and Accept from web pods on the named port http, egress Pass to
//    the zone=a nodes;
//  - cluster-policy-remove: the one cluster-policy-add added, deleted again;
//  - cluster-policy-action: an existing Admin policy whose subject takes a
//    pod of the node has its first rule's action flipped (Accept → Deny,
//    Deny → Accept, Pass → Deny);
//  - cluster-policy-priority: another such policy moved half the priority
//    range on, so it changes places with others of its tier.
// Only Admin policies change: the Baseline tier is evaluated only for pods
// no NetworkPolicy isolates, and every namespace of the generated cluster
// has a default deny, so a Baseline change there mostly writes nothing.
export const CLUSTER_LATENCY_EVENTS = ['cluster-policy-add', 'cluster-policy-remove', 'cluster-policy-action', 'cluster-policy-priority'] as const;
export type ClusterLatencyEvent = (typeof CLUSTER_LATENCY_EVENTS)[number];

const FLIPPED: Readonly<Record<ClusterRuleAction, ClusterRuleAction>> = { Accept: 'Deny', Deny: 'Accept', Pass: 'Deny' };

function flipFirstRule(p: ClusterPolicy): ClusterPolicy {
  const flip = (rules: readonly ClusterRule[]): ClusterRule[] => rules.map((r, i) => (i === 0 ? { ...r, action: FLIPPED[r.action] } : r));
  return p.ingress.length > 0 ? { ...p, ingress: flip(p.ingress) } : { ...p, egress: flip(p.egress) };
}

/**
 * `perType` changes of each ClusterLatencyEvent for the agent of `node`; none
 * when the cluster has no cluster-wide policies, and no action flips (or
 * priority moves) when no Admin policy (or fewer than two) takes a pod of it.
 */
export function clusterPolicyChanges(objects: ClusterObjects, node: string, perType: number): Record<ClusterLatencyEvent, Change[]> {
  const existing = (objects.clusterPolicies ?? []).filter((p) => p.tier === 'Admin' && p.ingress.length + p.egress.length > 0);
  if ((objects.clusterPolicies ?? []).length === 0) return { 'cluster-policy-add': [], 'cluster-policy-remove': [], 'cluster-policy-action': [], 'cluster-policy-priority': [] };
  const local = objects.pods.filter((p) => p.nodeName === node && p.ips.length > 0);
  const nsLabels = new Map(objects.namespaces.map((n) => [n.name, n.labels]));
  const takes = (s: ClusterPodSelection, pod: Pod): boolean => selectorMatches(s.namespaceSelector, nsLabels.get(pod.namespace) ?? {})
    && (s.kind === 'namespaces' || selectorMatches(s.podSelector, pod.labels));
  const subjects = existing.filter((p) => local.some((pod) => takes(p.subject, pod)));
  const localNs = [...new Set(local.map((p) => p.namespace))];
  const cp = (value: ClusterPolicy): WatchedObject => ({ type: 'clusterPolicy', value });

  const added = take(localNs, perType).map((namespace, i) => cnp(`bench-add-${i}`, {
    tier: 'Admin', priority: (i * 37) % 1000, subject: nsSubject(sel({ 'kubernetes.io/metadata.name': namespace })),
    ingress: [deny([nsPeerOf(sel({ team: `t${i % 10}` }))], [portOf('TCP', 8080)]), accept([podsPeerOf(ALL, sel({ tier: 'web' }))], [namedPort('http')])],
    egress: [pass([nodesPeer(sel({ zone: 'a' }))])],
  }));
  // Policies whose action flips and those that move are apart; a repeat moves one on again from where it is.
  const flipping = subjects.filter((_, i) => i % 2 === 0);
  const moving = subjects.filter((_, i) => i % 2 === 1);
  const now = new Map<string, ClusterPolicy>();
  const changed = (xs: readonly ClusterPolicy[], change: (p: ClusterPolicy) => ClusterPolicy): Change[] => (xs.length === 0 ? [] : take(xs, perType)).map((p): Change => {
    const key = clusterPolicyKey(p);
    const next = change(now.get(key) ?? p);
    now.set(key, next);
    return { type: 'modified', object: cp(next) };
  });
  return {
    'cluster-policy-add': added.map((p) => ({ type: 'added', object: cp(p) })),
    'cluster-policy-remove': added.map((p) => ({ type: 'deleted', object: cp(p) })),
    'cluster-policy-action': changed(flipping, flipFirstRule),
    'cluster-policy-priority': changed(moving, (p) => ({ ...p, priority: (p.priority + 500) % 1001 })),
  };
}
