// Watch events as src/k8s/watch-cluster.ts hands them to a KubernetesSource
// (each object normalized already), for benches that drive the source
// without an API server: a cluster's initial lists, then single changes.
// The cluster-wide policy CRDs count as served: each kind is listed (empty
// when the cluster has none of it), as an agent on a cluster with the CRDs.
import { CLUSTER_POLICY_RESOURCES, CLUSTER_POLICY_TYPES } from '../src/k8s/cluster-policy-api.ts';
import { WATCHED_RESOURCES, type ClusterEvent, type WatchedResource } from '../src/k8s/watch-cluster.ts';
import { podKey, type ClusterObjects, type ClusterPolicy, type Namespace, type NetworkPolicy, type Node, type Pod } from '../src/model/types.ts';

/** The model objects a watch event carries. */
export type WatchedObject =
  | { readonly type: 'namespace'; readonly value: Namespace }
  | { readonly type: 'pod'; readonly value: Pod }
  | { readonly type: 'policy'; readonly value: NetworkPolicy }
  | { readonly type: 'node'; readonly value: Node }
  | { readonly type: 'clusterPolicy'; readonly value: ClusterPolicy };

const RESOURCE: Readonly<Record<Exclude<WatchedObject['type'], 'clusterPolicy'>, WatchedResource>> = {
  namespace: 'namespaces', pod: 'pods', policy: 'networkpolicies', node: 'nodes',
};

/** The watched resource of an object: a cluster policy's is its kind's CRD. */
function resourceOf(o: WatchedObject): WatchedResource {
  if (o.type !== 'clusterPolicy') return RESOURCE[o.type];
  return CLUSTER_POLICY_RESOURCES.find((r) => CLUSTER_POLICY_TYPES[r].kind === o.value.kind) as WatchedResource;
}

/** The key a later delete names: namespace/name, or name for cluster-scoped kinds. */
function keyOf(o: WatchedObject): string {
  switch (o.type) {
    case 'pod': return podKey(o.value);
    case 'policy': return `${o.value.namespace}/${o.value.name}`;
    default: return o.value.name;
  }
}

/** One added, modified or deleted object at resourceVersion `rv`. */
export function objectEvent(type: 'added' | 'modified' | 'deleted', object: WatchedObject, rv: number): ClusterEvent {
  return { type, resource: resourceOf(object), key: keyOf(object), object, problems: [], resourceVersion: String(rv) };
}

/** The objects as every resource's first list at resourceVersion `rv`, then synced. */
export function initialEvents(o: ClusterObjects, rv: number): ClusterEvent[] {
  const resourceVersion = String(rv);
  const objects: WatchedObject[] = [
    ...o.namespaces.map((value) => ({ type: 'namespace', value }) as const),
    ...o.pods.map((value) => ({ type: 'pod', value }) as const),
    ...o.policies.map((value) => ({ type: 'policy', value }) as const),
    ...o.nodes.map((value) => ({ type: 'node', value }) as const),
    ...(o.clusterPolicies ?? []).map((value) => ({ type: 'clusterPolicy', value }) as const),
  ];
  const counts = new Map<WatchedResource, number>();
  for (const object of objects) counts.set(resourceOf(object), (counts.get(resourceOf(object)) ?? 0) + 1);
  return [
    ...objects.map((object) => objectEvent('added', object, rv)),
    ...WATCHED_RESOURCES.map((resource): ClusterEvent => ({ type: 'listed', resource, resourceVersion, initial: true, count: counts.get(resource) ?? 0 })),
    { type: 'synced', resourceVersions: Object.fromEntries(WATCHED_RESOURCES.map((r) => [r, resourceVersion])) },
  ];
}
