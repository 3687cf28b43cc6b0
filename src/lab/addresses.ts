// Small address helpers (on ipaddr.js) and the address ranges the lab keeps for itself.

import ipaddr from 'ipaddr.js';

export type Family = 'ipv4' | 'ipv6';

export interface ParsedCidr {
  family: Family;
  prefix: number;
  /** Network address, e.g. 10.244.1.0. */
  network: string;
  /** First host address (the gateway), e.g. 10.244.1.1. */
  firstHost: string;
}

export function family(ip: string): Family | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(ip)) return 'ipv4';
  if (ipaddr.IPv6.isValid(ip) && !ip.includes('%')) return 'ipv6';
  return undefined;
}

export function parseCidr(cidr: string): ParsedCidr | undefined {
  if (!ipaddr.isValidCIDR(cidr)) return undefined;
  const [addr, prefix] = ipaddr.parseCIDR(cidr);
  const fam: Family = addr.kind() === 'ipv4' ? 'ipv4' : 'ipv6';
  const network = fam === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  const bytes = network.toByteArray();
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = (bytes[i] ?? 0) + 1;
    bytes[i] = b & 0xff;
    if (b <= 0xff) break;
  }
  return { family: fam, prefix, network: canonical(network.toString()), firstHost: canonical(ipaddr.fromByteArray(bytes).toString()) };
}

export function inCidr(ip: string, cidr: string): boolean {
  if (family(ip) === undefined || !ipaddr.isValidCIDR(cidr)) return false;
  const addr = ipaddr.parse(ip);
  const range = ipaddr.parseCIDR(cidr);
  return addr.kind() === range[0].kind() && addr.match(range);
}

/** The form `ip` and the kernel print: lower case, shortest IPv6 (RFC 5952). */
export function canonical(ip: string): string {
  const addr = ipaddr.parse(ip);
  return addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString();
}

/** Address ranges the lab uses for its own links; a description must not use them. */
export const labRanges = {
  underlayV4: '192.168.200.0/24',
  underlayV6: 'fd00:192:168:200::/64',
  transitV4: '100.64.0.0/16',
  transitV6: 'fd00:64::/32',
  /** The cni0 gateway of a node without an IPv4 pod CIDR (as Calico's 169.254.1.1). */
  gatewayV4: '169.254.1.1/32',
  /** Link-local: the IPv6 cni0 gateway of a node without an IPv6 pod CIDR is fe80::1. */
  linkLocalV6: 'fe80::/10',
} as const;

/** cni0's address on a node without a pod CIDR of the family: the pods' default gateway. */
export const LINK_GATEWAY = { ipv4: '169.254.1.1', ipv6: 'fe80::1' } as const;

/** The flannel.1 / flannel-v6.1 address of node `index` when it has no pod CIDR of the family. */
export function overlayAddress(nodeIndex: number, fam: Family): string {
  return fam === 'ipv4' ? `100.64.254.${nodeIndex + 1}` : `fd00:64:ffff::${(nodeIndex + 1).toString(16)}`;
}

/** Most outside hosts a world may have (the transit /30s are 100.64.K.0, K < this). */
export const MAX_OUTSIDE_HOSTS = 250;

/**
 * The prefixes that make `ips` (one family) on-link: their longest common
 * prefix, or, when that is the whole address space, its two halves (a /0
 * route would be the default route).
 */
export function onLinkPrefixes(ips: readonly string[], fam: Family): string[] {
  if (ips.length === 0) return [];
  const arrays = ips.map((ip) => ipaddr.parse(ip).toByteArray());
  const bits = fam === 'ipv4' ? 32 : 128;
  let common = bits;
  const first = arrays[0] as number[];
  for (const a of arrays.slice(1)) {
    for (let b = 0; b < common; b++) {
      const byte = b >> 3;
      const mask = 0x80 >> (b & 7);
      if (((first[byte] ?? 0) & mask) !== ((a[byte] ?? 0) & mask)) {
        common = b;
        break;
      }
    }
  }
  if (common === 0) return fam === 'ipv4' ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
  const net = first.map((v, i) => {
    const keep = Math.max(0, Math.min(8, common - i * 8));
    return v & (0xff << (8 - keep)) & 0xff;
  });
  return [`${canonical(ipaddr.fromByteArray(net).toString())}/${common}`];
}

export function underlayAddress(nodeIndex: number, fam: Family): string {
  return fam === 'ipv4' ? `192.168.200.${10 + nodeIndex}` : `fd00:192:168:200::${10 + nodeIndex}`;
}

/** The /30 (or /64) between a node's uplink and outside host `hostIndex`: [node side, host side]. */
export function transitAddresses(hostIndex: number, fam: Family): [string, string] {
  return fam === 'ipv4'
    ? [`100.64.${hostIndex}.1`, `100.64.${hostIndex}.2`]
    : [`fd00:64:${hostIndex.toString(16)}::1`, `fd00:64:${hostIndex.toString(16)}::2`];
}

/** Whether two CIDRs (or plain addresses, taken as /32 or /128) share an address. */
export function overlaps(a: string, b: string): boolean {
  const pa = parseCidr(asCidr(a));
  const pb = parseCidr(asCidr(b));
  if (!pa || !pb || pa.family !== pb.family) return false;
  return inCidr(pa.network, asCidr(b)) || inCidr(pb.network, asCidr(a));
}

function asCidr(s: string): string {
  if (s.includes('/')) return s;
  return `${s}/${family(s) === 'ipv4' ? 32 : 128}`;
}
