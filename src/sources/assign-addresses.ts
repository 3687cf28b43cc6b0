// Addresses for pods that have none, so manifest-mode tests and explanations
// can name a concrete address (and ipBlock rules can be tried against pods).
// Deterministic: the same objects always get the same addresses.
//  - Pod-network pods (workloads included) without IPs get IPv4 addresses, in
//    namespace/name order: from their node's pod CIDR when they name a node
//    that has one (from its second host up: the first is the gateway);
//    otherwise from 10.244.0.0/16 (flannel's default) from 10.244.0.1 up,
//    skipping x.x.x.0, x.x.x.255, every node's pod CIDR, and any address
//    already held by a pod or node.
//  - Host-network pods share their node's address: the node's first address
//    when the node is known and has one; otherwise one address per node name
//    (per pod when it names no node) from 192.168.255.0/24, in name order.
//  - Succeeded and Failed pods get none: finished pods hold no address.
// Pods that already have IPs are left as they are. When a range runs out,
// the remaining pods stay without an address.
import { cidrContains, cidrFamily, hostAddresses } from '../model/addresses.ts';
import type { ClusterObjects, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';

/** Host addresses of 10.244.0.0/16, a /24 at a time: no x.x.x.0 or x.x.x.255. */
function* podPool(): Generator<string> {
  for (let third = 0; third < 256; third++) yield* hostAddresses(`10.244.${third}.0/24`);
}

const HOST_POOL = '192.168.255.0/24';

/** Host addresses of IPv4 CIDRs after the first (the node's cni0 gateway). */
function* cidrHosts(cidrs: readonly string[]): Generator<string> {
  for (const cidr of cidrs) {
    const hosts = hostAddresses(cidr);
    hosts.next();
    yield* hosts;
  }
}

function nextFree(gen: Generator<string>, used: Set<string>, allowed: (ip: string) => boolean = () => true): string | undefined {
  for (let r = gen.next(); !r.done; r = gen.next()) {
    if (!used.has(r.value) && allowed(r.value)) {
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

  // A pod on a node with an IPv4 pod CIDR takes an address from it, as the
  // node's IPAM would (the node fails closed on addresses in its CIDR that
  // no pod of its own holds). Other pods take one from the pool outside every
  // node's CIDR.
  const cidrsOf = new Map(objects.nodes.map((n) => [n.name, n.podCIDRs.filter((c) => cidrFamily(c) === 4)]));
  const allCidrs = [...cidrsOf.values()].flat();
  const nodeGens = new Map<string, Generator<string>>();
  const podGen = podPool();
  const outsideCidrs = (ip: string): boolean => !allCidrs.some((c) => cidrContains(c, ip));
  for (const pod of objects.pods.filter((p) => needs(p) && !p.hostNetwork).sort(byKey)) {
    const cidrs = pod.nodeName === undefined ? [] : (cidrsOf.get(pod.nodeName) ?? []);
    let ip: string | undefined;
    if (cidrs.length > 0) {
      const node = pod.nodeName as string;
      const gen = nodeGens.get(node) ?? cidrHosts(cidrs);
      nodeGens.set(node, gen);
      ip = nextFree(gen, used);
    } else {
      ip = nextFree(podGen, used, outsideCidrs);
    }
    if (ip !== undefined) assigned.set(pod, ip);
  }

  const nodeAddress = new Map(objects.nodes.map((n) => [n.name, n.addresses[0]]));
  const hostPods = objects.pods.filter((p) => needs(p) && p.hostNetwork);
  const hostKey = (p: Pod): string => (p.nodeName !== undefined ? `node:${p.nodeName}` : `pod:${podKey(p)}:${p.kind}`);
  const hostGen = hostAddresses(HOST_POOL);
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
