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
import { cidrContains, cidrFamily, parseCidr } from '../model/addresses.ts';
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

/** Host addresses of IPv4 CIDRs, skipping the network address and the first host (the node's cni0 gateway). */
function* cidrHosts(cidrs: readonly string[]): Generator<string> {
  for (const cidr of cidrs) {
    const [net, bits] = parseCidr(cidr);
    const base = net.toByteArray().reduce((acc, b) => acc * 256 + b, 0);
    const size = 2 ** (32 - bits);
    for (let i = 2; i < size - 1; i++) {
      const n = base + i;
      yield [24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join('.');
    }
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
  const podGen = addresses(POD_RANGE.base, POD_RANGE.size);
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
