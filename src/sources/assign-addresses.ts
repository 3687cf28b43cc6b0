// Addresses for pods that have none, so manifest-mode tests and explanations
// can name a concrete address (and ipBlock rules can be tried against pods).
// Deterministic: the same objects always get the same addresses.
//  - Pod-network pods (workloads included) without IPs get IPv4 addresses
//    from 10.244.0.0/16 (flannel's default), in namespace/name order, from
//    10.244.0.1 up, skipping x.x.x.0 and x.x.x.255 and any address already
//    held by a pod or node.
//  - Host-network pods share their node's address: the node's first address
//    when the node is known and has one; otherwise one address per node name
//    (per pod when it names no node) from 192.168.255.0/24, in name order.
//  - Succeeded and Failed pods get none: finished pods hold no address.
// Pods that already have IPs are left as they are. When a range runs out,
// the remaining pods stay without an address.
import type { ClusterObjects, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';

const POD_RANGE = { base: [10, 244], size: 65536 } as const;
const HOST_RANGE = { base: [192, 168, 255], size: 256 } as const;

function* addresses(base: readonly number[], size: number): Generator<string> {
  for (let i = 0; i < size; i++) {
    const last = i % 256;
    if (last === 0 || last === 255) continue;
    yield base.length === 2 ? `${base.join('.')}.${Math.floor(i / 256)}.${last}` : `${base.join('.')}.${last}`;
  }
}

function nextFree(gen: Generator<string>, used: Set<string>): string | undefined {
  for (let r = gen.next(); !r.done; r = gen.next()) {
    if (!used.has(r.value)) {
      used.add(r.value);
      return r.value;
    }
  }
  return undefined;
}

const compare = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const byKey = (a: Pod, b: Pod): number => compare(podKey(a), podKey(b)) || compare(a.kind, b.kind);

export function assignPodAddresses(objects: ClusterObjects): ClusterObjects {
  const used = new Set<string>([...objects.pods.flatMap((p) => p.ips), ...objects.nodes.flatMap((n) => n.addresses)]);
  const needs = (p: Pod): boolean => p.ips.length === 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed';
  const assigned = new Map<Pod, string>();

  const podGen = addresses(POD_RANGE.base, POD_RANGE.size);
  for (const pod of objects.pods.filter((p) => needs(p) && !p.hostNetwork).sort(byKey)) {
    const ip = nextFree(podGen, used);
    if (ip !== undefined) assigned.set(pod, ip);
  }

  const nodeAddress = new Map(objects.nodes.map((n) => [n.name, n.addresses[0]]));
  const hostPods = objects.pods.filter((p) => needs(p) && p.hostNetwork);
  const hostKey = (p: Pod): string => (p.nodeName !== undefined ? `node:${p.nodeName}` : `pod:${podKey(p)}:${p.kind}`);
  const hostGen = addresses(HOST_RANGE.base, HOST_RANGE.size);
  const hostAddress = new Map<string, string | undefined>();
  for (const key of [...new Set(hostPods.map(hostKey))].sort()) {
    const known = key.startsWith('node:') ? nodeAddress.get(key.slice('node:'.length)) : undefined;
    hostAddress.set(key, known ?? nextFree(hostGen, used));
  }
  for (const pod of hostPods) {
    const ip = hostAddress.get(hostKey(pod));
    if (ip !== undefined) assigned.set(pod, ip);
  }

  return {
    ...objects,
    pods: objects.pods.map((p) => {
      const ip = assigned.get(p);
      return ip === undefined ? p : { ...p, ips: [ip] };
    }),
  };
}
