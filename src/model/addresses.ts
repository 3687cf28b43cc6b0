// CIDR and address math on top of ipaddr.js, parsed once and cached, since the
// engine checks the same ipBlocks against many addresses.
import ipaddr from 'ipaddr.js';

export type IPFamily = 4 | 6;
export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type ParsedCidr = [ParsedAddress, number];

export function familyOf(ip: string): IPFamily {
  return parseAddress(ip).kind() === 'ipv4' ? 4 : 6;
}

/** The family of "address/prefix". */
export function cidrFamily(cidr: string): IPFamily {
  return familyOf(cidr.split('/')[0] as string);
}

// Memo of parsed strings. Bounded: a long-running agent sees pod addresses churn.
const CACHE_LIMIT = 100_000;
const addressCache = new Map<string, ParsedAddress>();
/** Parses an address; IPv4-mapped IPv6 is kept as IPv6 (the kernel sees it so). */
export function parseAddress(ip: string): ParsedAddress {
  let a = addressCache.get(ip);
  if (!a) {
    a = ipaddr.parse(ip);
    if (addressCache.size >= CACHE_LIMIT) addressCache.clear();
    addressCache.set(ip, a);
  }
  return a;
}

const cidrCache = new Map<string, ParsedCidr>();
export function parseCidr(cidr: string): ParsedCidr {
  let c = cidrCache.get(cidr);
  if (!c) {
    c = ipaddr.parseCIDR(cidr);
    if (cidrCache.size >= CACHE_LIMIT) cidrCache.clear();
    cidrCache.set(cidr, c);
  }
  return c;
}

/** True when the address lies inside the CIDR; false across families. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [net, bits] = parseCidr(cidr);
  const a = parseAddress(ip);
  if (a.kind() !== net.kind()) return false;
  return a.match(net, bits);
}
