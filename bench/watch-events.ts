// Watch events as src/k8s/watch-cluster.ts hands them to a KubernetesSource
// (each object normalized already), for benches that drive the source
// without an API server: a cluster's initial lists, then single changes.
import { WATCHED_RESOURCES, type ClusterEvent, type WatchedResource } from '../src/k8s/watch-cluster.ts';
import { podKey, type ClusterObjects, type Namespace, type NetworkPolicy, type Node, type Pod } from '../src/model/types.ts';

/** The model objects a watch event carries. */
export type WatchedObject =
  | { readonly type: 'namespace'; readonly value: Namespace }
  | { readonly type: 'pod'; readonly value: Pod }
  | { readonly type: 'policy'; readonly value: NetworkPolicy }
  | { readonly type: 'node'; readonly value: Node };

const RESOURCE: Readonly<Record<WatchedObject['type'], WatchedResource>> = {
  namespace: 'namespaces', pod: 'pods', policy: 'networkpolicies', node: 'nodes',
};

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
  return { type, resource: RESOURCE[object.type], key: keyOf(object), object, problems: [], resourceVersion: String(rv) };
}

/** The objects as every resource's first list at resourceVersion `rv`, then synced. */
export function initialEvents(o: ClusterObjects, rv: number): ClusterEvent[] {
  const resourceVersion = String(rv);
  const objects: WatchedObject[] = [
    ...o.namespaces.map((value) => ({ type: 'namespace', value }) as const),
    ...o.pods.map((value) => ({ type: 'pod', value }) as const),
    ...o.policies.map((value) => ({ type: 'policy', value }) as const),
    ...o.nodes.map((value) => ({ type: 'node', value }) as const),
  ];
  const counts: Readonly<Record<WatchedResource, number>> = { namespaces: o.namespaces.length, pods: o.pods.length, networkpolicies: o.policies.length, nodes: o.nodes.length };
  return [
    ...objects.map((object) => objectEvent('added', object, rv)),
    ...WATCHED_RESOURCES.map((resource): ClusterEvent => ({ type: 'listed', resource, resourceVersion, initial: true, count: counts[resource] })),
    { type: 'synced', resourceVersions: { namespaces: resourceVersion, pods: resourceVersion, networkpolicies: resourceVersion, nodes: resourceVersion } },
  ];
}
