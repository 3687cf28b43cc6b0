// Which node each pod runs on, for clusters read from manifests: a pod with
// spec.nodeName stays there; pods without one (workload templates, unscheduled
// Pods) are spread round-robin over the known nodes in namespace/name order,
// so `nftpol render`, the golden files and the kernel dataplane all put the
// same pod on the same node. Pure: same objects, same placement, whatever
// their order.
import type { ClusterObjects, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';

const compare = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const byKey = (a: Pod, b: Pod): number => compare(podKey(a), podKey(b)) || compare(a.kind, b.kind);

/**
 * The nodes pods can be placed on, sorted and without duplicates: the Node
 * objects, the nodes pods name in spec.nodeName, and `extraNodes`.
 */
export function knownNodes(objects: ClusterObjects, extraNodes: readonly string[] = []): string[] {
  const names = new Set<string>([
    ...objects.nodes.map((n) => n.name),
    ...objects.pods.flatMap((p) => (p.nodeName !== undefined && p.nodeName !== '' ? [p.nodeName] : [])),
    ...extraNodes.filter((n) => n !== ''),
  ]);
  return [...names].sort(compare);
}

/**
 * Every pod without a node gets one: the i-th such pod in (namespace/name,
 * kind) order goes to knownNodes()[i mod n]. Pods keep their order in the
 * list; objects other than pods are returned as they are. With no known node
 * at all, nothing changes.
 */
export function placePods(objects: ClusterObjects, extraNodes: readonly string[] = []): ClusterObjects {
  const nodes = knownNodes(objects, extraNodes);
  if (nodes.length === 0) return objects;
  const unplaced = objects.pods.filter((p) => p.nodeName === undefined || p.nodeName === '').sort(byKey);
  if (unplaced.length === 0) return objects;
  const placed = new Map<Pod, string>(unplaced.map((p, i) => [p, nodes[i % nodes.length] as string]));
  return {
    ...objects,
    pods: objects.pods.map((p) => {
      const nodeName = placed.get(p);
      return nodeName === undefined ? p : { ...p, nodeName };
    }),
  };
}
