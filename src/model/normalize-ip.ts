// IP addresses and CIDRs, parsed as the API server's legacy-field validation
// does (strict IP/CIDR validation is an alpha feature gate, off by default):
//  - IPv4 octets with leading zeros are accepted as decimal, with a warning
//    (ipaddr.js would read them as octal, so they are stripped first);
//  - a CIDR with bits set beyond its prefix ("10.0.0.1/8") is accepted and
//    masked ("10.0.0.0/8"), with a warning;
//  - IPv4-mapped IPv6 ("::ffff:10.0.0.1") is refused: the kernel and the API
//    disagree on its family, and strict validation rejects it too;
//  - IPv6 zones ("fe80::1%eth0") are refused, as net.ParseIP does.
import ipaddr from 'ipaddr.js';

export type IPFamily = 4 | 6;

export type IpResult =
  | { readonly ok: true; readonly ip: string; readonly family: IPFamily; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly message: string };

export interface Cidr {
  readonly cidr: string;
  readonly family: IPFamily;
  readonly network: ipaddr.IPv4 | ipaddr.IPv6;
  readonly prefix: number;
}

export type CidrResult =
  | ({ readonly ok: true; readonly warnings: readonly string[] } & Cidr)
  | { readonly ok: false; readonly message: string };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses one address into canonical text (RFC 5952 for IPv6). */
export function parseIp(text: string): IpResult {
  const bad = { ok: false, message: `${JSON.stringify(text)} is not a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)` } as const;
  const v4 = IPV4.exec(text);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return bad;
    const ip = octets.join('.');
    const warnings = ip === text ? [] : [`${JSON.stringify(text)} has leading zeros; read as ${ip}`];
    return { ok: true, ip, family: 4, warnings };
  }
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return bad;
  const addr = ipaddr.IPv6.parse(text);
  if (addr.isIPv4MappedAddress()) {
    return { ok: false, message: `${JSON.stringify(text)} is an IPv4-mapped IPv6 address; write the IPv4 address ${addr.toIPv4Address().toString()}` };
  }
  return { ok: true, ip: addr.toRFC5952String(), family: 6, warnings: [] };
}

/** Parses "address/prefix" into its canonical network form. */
export function parseCidr(text: string): CidrResult {
  const bad = { ok: false, message: `${JSON.stringify(text)} is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)` } as const;
  const slash = text.lastIndexOf('/');
  if (slash < 0) return { ok: false, message: `${JSON.stringify(text)} is not a valid CIDR: the /prefix length is missing` };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return bad;
  const ip = parseIp(text.slice(0, slash));
  if (!ip.ok) return ip.message.includes('IPv4-mapped') ? ip : bad;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) return bad;
  const network = ip.family === 4
    ? ipaddr.IPv4.networkAddressFromCIDR(`${ip.ip}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${ip.ip}/${prefix}`);
  const netText = network.kind() === 'ipv6' ? (network as ipaddr.IPv6).toRFC5952String() : network.toString();
  const cidr = `${netText}/${prefix}`;
  const warnings = [...ip.warnings];
  if (prefixText !== String(prefix)) warnings.push(`prefix length ${JSON.stringify(prefixText)} has leading zeros`);
  if (netText !== ip.ip) {
    warnings.push(`${text} has bits set beyond the prefix length; treated as ${cidr} (the API server masks it the same way)`);
  }
  return { ok: true, cidr, family: ip.family, network, prefix, warnings };
}

/** True when `inner` is a proper subset of `outer` (same family, longer prefix, inside). */
export function cidrStrictlyInside(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.prefix > outer.prefix && inner.network.match(outer.network, outer.prefix);
}
