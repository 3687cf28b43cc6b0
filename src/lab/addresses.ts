// The address ranges the lab keeps for itself and how it hands them out.
// Parsing, canonical text, families and CIDR math are the model's
// (src/model/addresses.ts).

import { cidrOf, enclosingCidr, hostAddresses, type IPFamily } from '../model/addresses.ts';

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
export const LINK_GATEWAY: Readonly<Record<IPFamily, string>> = { 4: '169.254.1.1', 6: 'fe80::1' };

/** The flannel.1 / flannel-v6.1 address of node `index` when it has no pod CIDR of the family. */
export function overlayAddress(nodeIndex: number, fam: IPFamily): string {
  return fam === 4 ? `100.64.254.${nodeIndex + 1}` : `fd00:64:ffff::${(nodeIndex + 1).toString(16)}`;
}

/** Most outside hosts a world may have (the transit /30s are 100.64.K.0, K < this). */
export const MAX_OUTSIDE_HOSTS = 250;

/** A pod CIDR as the lab wires it: cni0 takes its first host address (the pods' gateway). */
export interface PodCidr {
  readonly cidr: string;
  readonly family: IPFamily;
  readonly prefix: number;
  /** The network address (flannel.1's address, as flannel has it). */
  readonly network: string;
  /** The first host address (the gateway), e.g. 10.244.1.1. */
  readonly firstHost: string;
}

/** A validated pod CIDR (at most /30 or /126, so it has a first host) as the lab wires it. */
export function podCidr(cidr: string): PodCidr {
  const c = cidrOf(cidr);
  const firstHost = hostAddresses(c.cidr).next().value;
  if (firstHost === undefined) throw new Error(`pod CIDR ${cidr} has no host addresses`);
  return { ...c, firstHost };
}

/**
 * The prefixes that make `ips` (one family) on-link: their longest common
 * prefix, or, when that is the whole address space, its two halves (a /0
 * route would be the default route).
 */
export function onLinkPrefixes(ips: readonly string[]): string[] {
  if (ips.length === 0) return [];
  const common = cidrOf(enclosingCidr(ips));
  if (common.prefix > 0) return [common.cidr];
  return common.family === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
}

export function underlayAddress(nodeIndex: number, fam: IPFamily): string {
  return fam === 4 ? `192.168.200.${10 + nodeIndex}` : `fd00:192:168:200::${10 + nodeIndex}`;
}

/** The /30 (or /64) between a node's uplink and outside host `hostIndex`: [node side, host side]. */
export function transitAddresses(hostIndex: number, fam: IPFamily): [string, string] {
  return fam === 4
    ? [`100.64.${hostIndex}.1`, `100.64.${hostIndex}.2`]
    : [`fd00:64:${hostIndex.toString(16)}::1`, `fd00:64:${hostIndex.toString(16)}::2`];
}
