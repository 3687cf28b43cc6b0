// The cluster description a kernel test hands to the harness, and its validation.
// Everything here is plain data: the harness plans and builds a world from it.

import { canonical, family, harnessRanges, inCidr, overlaps, parseCidr, type Family } from './addresses.ts';

export interface NodeSpec {
  name: string;
  /** IPv4 pod CIDR, e.g. 10.244.1.0/24. The gateway (cni0) gets its first address. */
  podCIDR: string;
  /** IPv6 pod CIDR, e.g. fd00:10:244:1::/64. */
  podCIDRv6?: string;
  /** Ports the node netns itself serves (for node <-> pod probes). Default none. */
  tcpPorts?: number[];
  udpPorts?: number[];
}

export interface PodSpec {
  /** `namespace/name`, e.g. `x/a`. */
  id: string;
  node: string;
  /** One address per family at most, inside the node's pod CIDRs. */
  ips: string[];
  tcpPorts: number[];
  udpPorts: number[];
}

export interface OutsideHostSpec {
  id: string;
  /** Addresses of the host (one per family at most), outside every pod CIDR. */
  ips: string[];
  /** Node whose uplink reaches this host. Default: the first node. */
  via?: string;
  tcpPorts?: number[];
  udpPorts?: number[];
}

export interface WorldSpec {
  nodes: NodeSpec[];
  pods: PodSpec[];
  outsideHosts?: OutsideHostSpec[];
}

export type Protocol = 'TCP' | 'UDP';

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
  const claimAddress = (owner: string, ip: string): void => {
    const key = canonical(ip);
    const other = addresses.get(key);
    if (other !== undefined) problems.push(`${owner}: address ${ip} already belongs to ${other}`);
    addresses.set(key, owner);
  };
  const checkPorts = (owner: string, ports: number[] | undefined): void => {
    for (const p of ports ?? []) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) problems.push(`${owner}: port ${p} is not in 1..65535`);
    }
  };
  const checkIps = (owner: string, ips: string[]): Family[] => {
    const families: Family[] = [];
    for (const ip of ips) {
      const f = family(ip);
      if (f === undefined) {
        problems.push(`${owner}: ${JSON.stringify(ip)} is not an IP address`);
        continue;
      }
      if (families.includes(f)) problems.push(`${owner}: more than one ${f} address`);
      families.push(f);
      claimAddress(owner, ip);
    }
    return families;
  };

  if (spec.nodes.length === 0) problems.push('no nodes');
  if (spec.nodes.length > 200) problems.push('more than 200 nodes');
  const nodes = new Map<string, NodeSpec>();
  const cidrs: { owner: string; cidr: string }[] = [];
  for (const node of spec.nodes) {
    claim('node', node.name);
    nodes.set(node.name, node);
    checkPorts(`node ${node.name}`, node.tcpPorts);
    checkPorts(`node ${node.name}`, node.udpPorts);
    const v4 = parseCidr(node.podCIDR);
    if (v4?.family !== 'ipv4') problems.push(`node ${node.name}: podCIDR ${node.podCIDR} is not an IPv4 CIDR`);
    else if (v4.prefix > 30) problems.push(`node ${node.name}: podCIDR ${node.podCIDR} is too small`);
    else cidrs.push({ owner: node.name, cidr: node.podCIDR });
    if (node.podCIDRv6 !== undefined) {
      const v6 = parseCidr(node.podCIDRv6);
      if (v6?.family !== 'ipv6') problems.push(`node ${node.name}: podCIDRv6 ${node.podCIDRv6} is not an IPv6 CIDR`);
      else if (v6.prefix > 126) problems.push(`node ${node.name}: podCIDRv6 ${node.podCIDRv6} is too small`);
      else cidrs.push({ owner: node.name, cidr: node.podCIDRv6 });
    }
  }
  const reserved = Object.values(harnessRanges);
  const overlapsReserved = (cidrOrIp: string): string | undefined => reserved.find((r) => overlaps(r, cidrOrIp));
  for (const c of cidrs) {
    const r = overlapsReserved(c.cidr);
    if (r !== undefined) problems.push(`node ${c.owner}: pod CIDR ${c.cidr} overlaps ${r}, which the harness uses for its own links`);
  }
  for (const [i, a] of cidrs.entries()) {
    for (const b of cidrs.slice(i + 1)) {
      if (overlaps(a.cidr, b.cidr)) problems.push(`pod CIDRs ${a.cidr} (${a.owner}) and ${b.cidr} (${b.owner}) overlap`);
    }
  }

  for (const pod of spec.pods) {
    const owner = `pod ${pod.id}`;
    claim('pod', pod.id);
    checkPorts(owner, pod.tcpPorts);
    checkPorts(owner, pod.udpPorts);
    const node = nodes.get(pod.node);
    if (node === undefined) {
      problems.push(`${owner}: unknown node ${pod.node}`);
      continue;
    }
    if (pod.ips.length === 0) problems.push(`${owner}: no addresses`);
    checkIps(owner, pod.ips);
    for (const ip of pod.ips) {
      const f = family(ip);
      const cidr = f === 'ipv4' ? node.podCIDR : f === 'ipv6' ? node.podCIDRv6 : undefined;
      const parsed = cidr === undefined ? undefined : parseCidr(cidr);
      if (f !== undefined && (cidr === undefined || !inCidr(ip, cidr))) {
        problems.push(`${owner}: ${ip} is not inside a pod CIDR of node ${node.name}`);
      } else if (parsed && (ip === parsed.network || ip === parsed.firstHost)) {
        problems.push(`${owner}: ${ip} is the network or gateway address of ${cidr}`);
      }
    }
  }

  for (const host of spec.outsideHosts ?? []) {
    const owner = `outside host ${host.id}`;
    claim('outside host', host.id);
    checkPorts(owner, host.tcpPorts);
    checkPorts(owner, host.udpPorts);
    if (host.via !== undefined && !nodes.has(host.via)) problems.push(`${owner}: unknown node ${host.via}`);
    if (host.ips.length === 0) problems.push(`${owner}: no addresses`);
    checkIps(owner, host.ips);
    for (const ip of host.ips) {
      for (const c of cidrs) if (family(ip) !== undefined && inCidr(ip, c.cidr)) problems.push(`${owner}: ${ip} is inside pod CIDR ${c.cidr}`);
      const r = family(ip) === undefined ? undefined : overlapsReserved(ip);
      if (r !== undefined) problems.push(`${owner}: ${ip} is inside ${r}, which the harness uses for its own links`);
    }
  }

  if (problems.length > 0) throw new Error(`invalid world description:\n  - ${problems.join('\n  - ')}`);
}
