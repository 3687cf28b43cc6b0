// Small address helpers (on ipaddr.js) and the address ranges the harness keeps for itself.

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

/** Address ranges the harness uses for its own links; a description must not use them. */
export const harnessRanges = {
  underlayV4: '192.168.200.0/24',
  underlayV6: 'fd00:192:168:200::/64',
  transitV4: '100.64.0.0/16',
  transitV6: 'fd00:64::/32',
} as const;

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
