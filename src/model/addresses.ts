// The one address module: every IP address and CIDR in nftpol is parsed,
// written and compared here, on ipaddr.js and cidr-tools.
//
// Canonical text, the form the model stores and `ip` and `nft` print:
// IPv4 dotted decimal without leading zeros, IPv6 RFC 5952 (lower case,
// longest run of zero groups compressed); a CIDR is its network address (no
// bits set beyond the prefix), "/", its prefix length.
//
// Two kinds of entry point:
//  - parseIp / parseCidr validate outside input (manifests, the API, the
//    command line, test files) and return a result object: the canonical
//    text and family, with warnings, or a message. They read addresses as
//    the API server's legacy-field validation does (strict IP/CIDR
//    validation is an alpha feature gate, off by default):
//     - IPv4 octets with leading zeros are accepted as decimal, with a
//       warning (ipaddr.js would read them as octal, so they are stripped
//       first);
//     - a CIDR with bits set beyond its prefix ("10.0.0.1/8") is accepted
//       and masked ("10.0.0.0/8"), with a warning;
//     - IPv4-mapped IPv6 ("::ffff:10.0.0.1") is refused: the kernel and the
//       API disagree on its family, and strict validation rejects it too;
//     - IPv6 zones ("fe80::1%eth0") are refused, as net.ParseIP does.
//  - Everything else takes values those parsers produced (canonical text)
//    and never validates again: malformed text there is a bug in the caller,
//    not bad input, and throws. Parses are memoized (bounded), since the
//    engine asks about the same ipBlocks for many addresses.
import { excludeCidr, expandCidr, overlapCidr, parseCidr as cidrRange } from 'cidr-tools';
import ipaddr from 'ipaddr.js';
import { quote } from './problems.ts';

export type IPFamily = 4 | 6;

/** Both families, in the order rules and sets are written. */
export const IP_FAMILIES: readonly IPFamily[] = [4, 6];

/** A CIDR in canonical form, with its parts. */
export interface Cidr {
  /** "10.0.0.0/8", "2001:db8::/32". */
  readonly cidr: string;
  readonly family: IPFamily;
  /** The network address, canonical text. */
  readonly network: string;
  readonly prefix: number;
}

export type IpResult =
  | { readonly ok: true; readonly ip: string; readonly family: IPFamily; readonly warnings: readonly string[] }
  /** `ipv4Mapped`: the text was IPv4-mapped IPv6, and the message says which IPv4 address to write. */
  | { readonly ok: false; readonly message: string; readonly ipv4Mapped?: true };

export type CidrResult =
  | ({ readonly ok: true; readonly warnings: readonly string[] } & Cidr)
  | { readonly ok: false; readonly message: string };

type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

const familyOfParsed = (a: ParsedAddress): IPFamily => (a.kind() === 'ipv4' ? 4 : 6);

/** Canonical text of a parsed address. */
function format(a: ParsedAddress): string {
  return a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

// ---------------------------------------------------------------- outside input

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

// The longest address text is an IPv6 CIDR with an IPv4 suffix, 49 characters
// ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128"): longer input is
// refused before it is parsed (hostile input can be megabytes), and messages
// show only its start.
const LONGEST_ADDRESS_TEXT = 64;

/** Validates one address of outside input; `ip` is its canonical text. */
export function parseIp(text: string): IpResult {
  const bad = { ok: false, message: `${quote(text)} is not a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)` } as const;
  if (text.length > LONGEST_ADDRESS_TEXT) return bad;
  const v4 = IPV4.exec(text);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return bad;
    const ip = octets.join('.');
    const warnings = ip === text ? [] : [`${quote(text)} has leading zeros; read as ${ip}`];
    return { ok: true, ip, family: 4, warnings };
  }
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return bad;
  const addr = ipaddr.IPv6.parse(text);
  if (addr.isIPv4MappedAddress()) {
    return { ok: false, ipv4Mapped: true, message: `${quote(text)} is an IPv4-mapped IPv6 address; write the IPv4 address ${addr.toIPv4Address().toString()}` };
  }
  return { ok: true, ip: format(addr), family: 6, warnings: [] };
}

/** Validates "address/prefix" of outside input; `cidr` is its canonical (masked) form. */
export function parseCidr(text: string): CidrResult {
  const bad = { ok: false, message: `${quote(text)} is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)` } as const;
  if (text.length > LONGEST_ADDRESS_TEXT) return bad;
  const slash = text.lastIndexOf('/');
  if (slash < 0) return { ok: false, message: `${quote(text)} is not a valid CIDR: the /prefix length is missing` };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return bad;
  const ip = parseIp(text.slice(0, slash));
  if (!ip.ok) return ip.ipv4Mapped === true ? ip : bad;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) return bad;
  const { cidr, network } = cidrOf(`${ip.ip}/${prefix}`);
  const warnings = [...ip.warnings];
  if (prefixText !== String(prefix)) warnings.push(`prefix length ${JSON.stringify(prefixText)} has leading zeros`);
  if (network !== ip.ip) {
    warnings.push(`${text} has bits set beyond the prefix length; treated as ${cidr} (the API server masks it the same way)`);
  }
  return { ok: true, cidr, family: ip.family, network, prefix, warnings };
}

/**
 * The canonical text of an address that was checked before but may be
 * written otherwise (a lab description, "2001:DB8::1"); throws when it is
 * not an address.
 */
export function canonicalIp(text: string): string {
  const r = parseIp(text);
  if (!r.ok) throw new Error(r.message);
  return r.ip;
}

// ---------------------------------------------------------------- validated values

// Memo of parsed strings. Bounded: a long-running agent sees pod addresses churn.
const CACHE_LIMIT = 100_000;

function memo<T>(parse: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    let value = cache.get(text);
    if (value === undefined) {
      value = parse(text);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(text, value);
    }
    return value;
  };
}

const parsedAddress = memo((ip): ParsedAddress => ipaddr.parse(ip));

interface ParsedCidr {
  readonly info: Cidr;
  readonly net: ParsedAddress;
}

const parsedCidr = memo((text): ParsedCidr => {
  const [addr, prefix] = ipaddr.parseCIDR(text);
  const net = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  const network = format(net);
  return { info: { cidr: `${network}/${prefix}`, family: familyOfParsed(addr), network, prefix }, net };
});

export function familyOf(ip: string): IPFamily {
  return familyOfParsed(parsedAddress(ip));
}

/** The parts of a CIDR the sources validated. */
export function cidrOf(cidr: string): Cidr {
  return parsedCidr(cidr).info;
}

export function cidrFamily(cidr: string): IPFamily {
  return cidrOf(cidr).family;
}

/** True when the address lies inside the CIDR; false across families. */
export function cidrContains(cidr: string, ip: string): boolean {
  const { net, info } = parsedCidr(cidr);
  const a = parsedAddress(ip);
  return a.kind() === net.kind() && a.match(net, info.prefix);
}

/** True when `inner` is a proper subset of `outer` (same family, longer prefix, inside). */
export function cidrStrictlyInside(inner: string, outer: string): boolean {
  const i = cidrOf(inner);
  const o = cidrOf(outer);
  return i.family === o.family && i.prefix > o.prefix && cidrContains(outer, i.network);
}

/** Whether two CIDRs (or addresses, each its own /32 or /128) share an address; false across families. */
export function cidrsOverlap(a: string, b: string): boolean {
  return overlapCidr(a, b);
}

/**
 * Which CIDRs of a list overlap an earlier one, for lists that must not
 * overlap (nodes' pod CIDRs). In list order, a CIDR is kept unless it
 * overlaps a CIDR kept before it; the answer holds, per position, that kept
 * CIDR (the lowest, should it overlap several), or undefined for a CIDR that
 * is kept. One binary search per CIDR.
 */
export function overlapsWithEarlier(cidrs: readonly string[]): (string | undefined)[] {
  // Kept ranges per family, disjoint, sorted by start. Aligned prefixes
  // overlap only by containment, so a new range can only meet the last
  // kept range starting at or before it, or the first starting inside it.
  const kept: Record<IPFamily, { start: bigint; end: bigint; cidr: string }[]> = { 4: [], 6: [] };
  return cidrs.map((cidr) => {
    const { start, end, version } = cidrRange(cidr);
    const list = kept[version];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as { start: bigint }).start <= start) lo = mid + 1;
      else hi = mid;
    }
    const before = list[lo - 1];
    if (before && before.end >= start) return before.cidr;
    const after = list[lo];
    if (after && after.start <= end) return after.cidr;
    list.splice(lo, 0, { start, end, cidr });
    return undefined;
  });
}

/** "10.0.0.1/32", "2001:db8::1/128": the CIDR of one address. */
export function hostCidr(ip: string): string {
  return `${ip}/${familyOf(ip) === 4 ? 32 : 128}`;
}

/** The smallest CIDR that holds every address of `ips` (one family, at least one address). */
export function enclosingCidr(ips: readonly string[]): string {
  const [first, ...rest] = ips.map(parsedAddress);
  if (!first) throw new Error('enclosingCidr: no addresses');
  let prefix = first.kind() === 'ipv4' ? 32 : 128;
  while (prefix > 0 && !rest.every((a) => a.match(first, prefix))) prefix--;
  return cidrOf(`${format(first)}/${prefix}`).cidr;
}

/** `cidr` minus every CIDR in `except`, as the fewest canonical prefixes, in address order. */
export function subtractCidrs(cidr: string, except: readonly string[]): string[] {
  if (except.length === 0) return [cidrOf(cidr).cidr];
  return excludeCidr(cidr, [...except]).map((c) => cidrOf(c).cidr);
}

/** Every address of a CIDR, in order, canonical text; lazy, so a large CIDR costs what is read. */
export function* addressesIn(cidr: string): Generator<string> {
  const v6 = cidrFamily(cidr) === 6;
  for (const ip of expandCidr(cidr)) yield v6 ? format(ipaddr.IPv6.parse(ip)) : ip;
}

/**
 * The addresses of a CIDR a host may hold, in order: without the network
 * address and, in IPv4, the broadcast address (a /31, /32, /127 or /128 has
 * no such addresses to spare and keeps all).
 */
export function* hostAddresses(cidr: string): Generator<string> {
  const { family, prefix } = cidrOf(cidr);
  const hostBits = (family === 4 ? 32 : 128) - prefix;
  if (hostBits < 2) return yield* addressesIn(cidr);
  const broadcast = family === 4 ? format(ipaddr.IPv4.broadcastAddressFromCIDR(cidr)) : undefined;
  let first = true;
  for (const ip of addressesIn(cidr)) {
    if (ip === broadcast) return;
    if (!first) yield ip;
    first = false;
  }
}
