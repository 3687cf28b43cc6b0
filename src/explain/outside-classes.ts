// The addresses outside the cluster, cut into classes that every policy
// treats alike, each with one outside address that stands for it.
//
// An address is outside when it is in no node's pod CIDR and is no pod's or
// node's address (the engine then sees an external end, policy/endpoint.ts).
// The policies' ipBlock cidrs and excepts and the nodes' pod CIDRs are
// intervals of each family's address space; the elementary intervals
// between their edges (each block's first address and the one just past its
// last, as the redundancy lint cuts them) are the classes: within one, every
// ipBlock matches every address or none, so the engine answers alike for all
// of the class's outside addresses. A class inside a pod CIDR holds no
// outside address; elsewhere its first address that is no pod's or node's
// stands for it (a pod or node address outside every pod CIDR is skipped,
// not made a class of its own: it is in the cluster, and the policies treat
// its outside neighbours as they treat the rest of the class). IPv4-mapped
// IPv6 addresses are no flow's end (the sources refuse them): left out.
import ipaddr from 'ipaddr.js';
import { canonicalIp, cidrOf, type IPFamily } from '../model/addresses.ts';
import { participates, type ClusterState } from '../model/cluster-state.ts';

/** One class of outside addresses. */
export interface OutsideClass {
  readonly family: IPFamily;
  /** First and last address of the class (the pod and node addresses in it excluded from `representative` only). */
  readonly first: string;
  readonly last: string;
  /** An outside address of the class: the engine's verdict for it is the class's. */
  readonly representative: string;
}

const BITS: Record<IPFamily, number> = { 4: 32, 6: 128 };

/**
 * ::ffff:0:0/96, IPv4-mapped IPv6 addresses: the sources refuse them as
 * addresses (an IPv4 end is written as IPv4), so no flow has one; their
 * class is cut out and left out.
 */
const V4_MAPPED_FIRST = 0xffffn << 32n;
const V4_MAPPED_LAST = V4_MAPPED_FIRST + (1n << 32n) - 1n;

function toBig(ip: string): bigint {
  return ipaddr.parse(ip).toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function fromBig(n: bigint, family: IPFamily): string {
  const bytes: number[] = [];
  for (let i = 0; i < BITS[family] / 8; i++) bytes.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return canonicalIp(ipaddr.fromByteArray(bytes).toString());
}

function familyOfText(ip: string): IPFamily {
  return ip.includes(':') ? 6 : 4;
}

/** [first, last] of a cidr, as numbers. */
function span(cidr: string): { family: IPFamily; first: bigint; last: bigint } {
  const { network, prefix, family } = cidrOf(cidr);
  const first = toBig(network);
  const hostBits = BigInt(BITS[family] - prefix);
  return { family, first, last: first + (1n << hostBits) - 1n };
}

/**
 * The cidrs every ipBlock of every policy names (cidr and excepts), and
 * every cidr of the cluster-wide policies' networks peers (a fail-closed
 * rule's 0.0.0.0/0 and ::/0 among them). Node addresses need no cut of their
 * own: an outside address is never a node's, so a nodes peer never matches it.
 */
export function policyIpBlockCidrs(state: ClusterState): string[] {
  const out = new Set<string>();
  for (const p of state.clusterPolicies.values()) {
    for (const rule of [...p.ingress, ...p.egress]) {
      for (const peer of rule.peers) if (peer.kind === 'networks') for (const c of peer.cidrs) out.add(c);
    }
  }
  for (const p of state.policies) {
    for (const rule of [...p.ingress, ...p.egress]) {
      for (const peer of rule.peers) {
        if (peer.kind !== 'ipBlock') continue;
        out.add(peer.ipBlock.cidr);
        for (const e of peer.ipBlock.except) out.add(e);
      }
    }
  }
  return [...out];
}

/** The classes of outside addresses that the policies' ipBlocks make, IPv4 first, each family in address order. */
export function outsideClasses(state: ClusterState, cidrs: readonly string[] = policyIpBlockCidrs(state)): OutsideClass[] {
  const podCidrs = [...state.nodes.values()].flatMap((n) => n.podCIDRs).map(span);
  const taken = new Set<string>();
  // A pod's address is taken only while the pod takes part (a finished pod's
  // old address is an outside address to the engine) or as a host-network
  // pod's (a node address).
  for (const pod of state.pods.values()) {
    if (participates(pod) || pod.hostNetwork) for (const ip of pod.ips) taken.add(canonicalIp(ip));
  }
  for (const node of state.nodes.values()) for (const ip of node.addresses) taken.add(canonicalIp(ip));
  const out: OutsideClass[] = [];
  for (const family of [4, 6] as const) {
    const max = (1n << BigInt(BITS[family])) - 1n;
    const edges = new Set<bigint>(family === 6 ? [0n, V4_MAPPED_FIRST, V4_MAPPED_LAST + 1n] : [0n]);
    for (const s of [...cidrs.map(span), ...podCidrs].filter((x) => x.family === family)) {
      edges.add(s.first);
      if (s.last < max) edges.add(s.last + 1n);
    }
    const starts = [...edges].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const takenHere = [...taken].filter((ip) => familyOfText(ip) === family).map(toBig);
    const takenSet = new Set(takenHere);
    starts.forEach((first, i) => {
      const next = starts[i + 1];
      const last = next === undefined ? max : next - 1n;
      // Pod CIDRs are edges, so a class is inside one wholly or not at all.
      if (podCidrs.some((s) => s.family === family && s.first <= first && last <= s.last)) return;
      if (family === 6 && V4_MAPPED_FIRST <= first && last <= V4_MAPPED_LAST) return;
      let rep = first;
      while (rep <= last && takenSet.has(rep)) rep += 1n;
      if (rep > last) return;
      out.push({ family, first: fromBig(first, family), last: fromBig(last, family), representative: fromBig(rep, family) });
    });
  }
  return out;
}

/** The fewest cidrs that cover first..last exactly, in address order. */
export function rangeCidrs(first: string, last: string): string[] {
  const family = familyOfText(first);
  const bits = BigInt(BITS[family]);
  let lo = toBig(first);
  const hi = toBig(last);
  const out: string[] = [];
  while (lo <= hi) {
    // The largest block that starts at lo (aligned) and ends by hi.
    let size = 0n;
    while (size < bits && (lo & ((1n << (size + 1n)) - 1n)) === 0n && lo + (1n << (size + 1n)) - 1n <= hi) size += 1n;
    out.push(`${fromBig(lo, family)}/${bits - size}`);
    lo += 1n << size;
  }
  return out;
}
