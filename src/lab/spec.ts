// The cluster description handed to the lab, and its validation.
// Everything here is plain data: the lab plans and builds a world from it.

import { cidrsOverlap, parseCidr, parseIp, type IPFamily } from '../model/addresses.ts';
import { LINK_GATEWAY, MAX_OUTSIDE_HOSTS, labRanges, podCidr, type PodCidr } from './addresses.ts';

export interface NodeSpec {
  name: string;
  /**
   * Pod CIDRs, at most one per family (e.g. 10.244.1.0/24, fd00:10:244:1::/64). Optional:
   * with one, cni0 gets its first address (the pods' gateway) and the other nodes route
   * the whole CIDR over flannel, as flannel does; pods may hold addresses outside it anyway.
   */
  podCIDRs?: string[];
  /** Shorthands for `podCIDRs` (kept for older descriptions). */
  podCIDR?: string;
  podCIDRv6?: string;
  /** The node's own addresses (a Node's InternalIP, ExternalIP): on its `lo`, reached from other nodes over the underlay. */
  addresses?: string[];
  /** Ports the node netns itself serves (for node <-> pod probes). Default none. */
  tcpPorts?: number[];
  udpPorts?: number[];
}

export interface PodSpec {
  /** `namespace/name`, e.g. `x/a`. */
  id: string;
  node: string;
  /** One address per family at most, anywhere (not only inside the node's pod CIDRs). */
  ips: string[];
  tcpPorts: number[];
  udpPorts: number[];
}

export interface OutsideHostSpec {
  id: string;
  /** Addresses of the host (one per family at most); anything no pod or node holds. */
  ips: string[];
  /** Node whose uplink reaches this host. Default: the first node. */
  via?: string;
  tcpPorts?: number[];
  udpPorts?: number[];
}

/**
 * How pods reach their node and each other:
 *  - `bridge` (default): flannel/canal. A `cni0` bridge per node, pods on veth ports of it,
 *    nodes joined by vxlan (`flannel.1`); same-node pod traffic is bridged (br_netfilter).
 *  - `routed`: kindnet, Calico, the CNI `ptp` plugin. Each pod on its own veth with a /32
 *    (/128) route on the node and no bridge; nodes route pod CIDRs to each other over the
 *    underlay link, no overlay. All pod traffic is routed, so br_netfilter is left off.
 */
export type LabTopology = 'bridge' | 'routed';
export const LAB_TOPOLOGIES: readonly LabTopology[] = ['bridge', 'routed'];

export interface WorldSpec {
  /** Default `bridge`. */
  topology?: LabTopology;
  nodes: NodeSpec[];
  pods: PodSpec[];
  outsideHosts?: OutsideHostSpec[];
}

export type Protocol = 'TCP' | 'UDP';

/** A node's pod CIDRs by family, from `podCIDRs`, `podCIDR` and `podCIDRv6` (unvalidated). */
export function nodePodCidrs(node: NodeSpec): string[] {
  return [...(node.podCIDRs ?? []), ...(node.podCIDR === undefined ? [] : [node.podCIDR]), ...(node.podCIDRv6 === undefined ? [] : [node.podCIDRv6])];
}

/** The pod CIDR of a family, if the node has one (the spec must be valid). */
export function podCidrOf(node: NodeSpec, fam: IPFamily): PodCidr | undefined {
  for (const cidr of nodePodCidrs(node)) {
    const p = parseCidr(cidr);
    if (p.ok && p.family === fam) return podCidr(p.cidr);
  }
  return undefined;
}

/** A world description the lab cannot build; `problems` lists each reason. */
export class InvalidWorldError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid world description:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Throws one error listing every problem in the description. */
export function validateSpec(spec: WorldSpec): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  const claim = (kind: string, id: string): void => {
    if (id === '') problems.push(`${kind} with an empty id`);
    if (ids.has(id)) problems.push(`${kind} ${id}: id already used by another node, pod or outside host`);
    ids.add(id);
  };
  const addresses = new Map<string, string>();
  const claimAddress = (owner: string, ip: string, key: string): void => {
    const other = addresses.get(key);
    if (other !== undefined) problems.push(`${owner}: address ${ip} already belongs to ${other}`);
    addresses.set(key, owner);
  };
  const checkPorts = (owner: string, ports: number[] | undefined): void => {
    for (const p of ports ?? []) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) problems.push(`${owner}: port ${p} is not in 1..65535`);
    }
  };
  const reserved = Object.values(labRanges);
  const overlapsReserved = (cidrOrIp: string): string | undefined => reserved.find((r) => cidrsOverlap(r, cidrOrIp));
  const gateways = new Map<string, string>();
  const checkIps = (owner: string, ips: string[], onePerFamily = true): IPFamily[] => {
    const families: IPFamily[] = [];
    for (const ip of ips) {
      const parsed = parseIp(ip);
      if (!parsed.ok) {
        problems.push(`${owner}: ${parsed.message}`);
        continue;
      }
      const f = parsed.family;
      if (onePerFamily && families.includes(f)) problems.push(`${owner}: more than one IPv${f} address`);
      families.push(f);
      claimAddress(owner, ip, parsed.ip);
      const r = overlapsReserved(parsed.ip);
      if (r !== undefined) problems.push(`${owner}: ${ip} is inside ${r}, which the lab uses for its own links`);
      const gw = gateways.get(parsed.ip);
      if (gw !== undefined) problems.push(`${owner}: ${ip} is ${gw}`);
    }
    return families;
  };

  if (spec.topology !== undefined && !LAB_TOPOLOGIES.includes(spec.topology)) {
    problems.push(`topology ${JSON.stringify(spec.topology)}: want ${LAB_TOPOLOGIES.join(' or ')}`);
  }
  if (spec.nodes.length === 0) problems.push('no nodes');
  if (spec.nodes.length > 200) problems.push('more than 200 nodes');
  if ((spec.outsideHosts ?? []).length > MAX_OUTSIDE_HOSTS) problems.push(`more than ${MAX_OUTSIDE_HOSTS} outside hosts`);
  const nodes = new Map<string, NodeSpec>();
  const cidrs: { owner: string; cidr: string }[] = [];
  for (const node of spec.nodes) {
    claim('node', node.name);
    nodes.set(node.name, node);
    checkPorts(`node ${node.name}`, node.tcpPorts);
    checkPorts(`node ${node.name}`, node.udpPorts);
    const seen: IPFamily[] = [];
    for (const cidr of nodePodCidrs(node)) {
      const p = parseCidr(cidr);
      if (!p.ok) {
        problems.push(`node ${node.name}: pod CIDR ${p.message}`);
        continue;
      }
      if (seen.includes(p.family)) problems.push(`node ${node.name}: more than one IPv${p.family} pod CIDR`);
      seen.push(p.family);
      if (p.prefix > (p.family === 4 ? 30 : 126)) problems.push(`node ${node.name}: pod CIDR ${cidr} is too small`);
      else cidrs.push({ owner: node.name, cidr: p.cidr });
    }
  }
  for (const c of cidrs) {
    const r = overlapsReserved(c.cidr);
    if (r !== undefined) problems.push(`node ${c.owner}: pod CIDR ${c.cidr} overlaps ${r}, which the lab uses for its own links`);
  }
  for (const [i, a] of cidrs.entries()) {
    for (const b of cidrs.slice(i + 1)) {
      if (cidrsOverlap(a.cidr, b.cidr)) problems.push(`pod CIDRs ${a.cidr} (${a.owner}) and ${b.cidr} (${b.owner}) overlap`);
    }
  }
  gateways.set(LINK_GATEWAY[4], 'the cni0 gateway of nodes without an IPv4 pod CIDR (or whose first address a pod holds)');
  for (const node of spec.nodes) checkIps(`node ${node.name}`, node.addresses ?? [], false);

  for (const pod of spec.pods) {
    const owner = `pod ${pod.id}`;
    claim('pod', pod.id);
    checkPorts(owner, pod.tcpPorts);
    checkPorts(owner, pod.udpPorts);
    if (!nodes.has(pod.node)) problems.push(`${owner}: unknown node ${pod.node}`);
    if (pod.ips.length === 0) problems.push(`${owner}: no addresses`);
    checkIps(owner, pod.ips);
  }

  for (const host of spec.outsideHosts ?? []) {
    const owner = `outside host ${host.id}`;
    claim('outside host', host.id);
    checkPorts(owner, host.tcpPorts);
    checkPorts(owner, host.udpPorts);
    if (host.via !== undefined && !nodes.has(host.via)) problems.push(`${owner}: unknown node ${host.via}`);
    if (host.ips.length === 0) problems.push(`${owner}: no addresses`);
    checkIps(owner, host.ips);
  }

  if (problems.length > 0) throw new InvalidWorldError(problems);
}
