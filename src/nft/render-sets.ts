// Named sets and the dispatch maps.
// Sets are named by a hash of what they select (compile/set-registry.ts), so
// equal selections share one set; the comment says what it selects.
//   set pods/3f2a9c0d1e4b5a67/v4 { type ipv4_addr; elements = { 10.244.1.5 } }                    exact pod addresses
//   set cidr/9b1c2d3e4f5a6b7c/v4 { type ipv4_addr; flags interval; elements = { 10.0.0.0/8 } }   ipBlock prefixes
//   set port/926aa42e28491c23/v4 { type ipv4_addr . inet_proto . inet_service; elements = { 10.244.1.5 . tcp . 8080 } }
//   map ingress-v4 { type ipv4_addr : verdict; elements = { 10.244.1.5 : jump pod-in/x/a, 10.244.1.6 : accept } }
import type { IPFamily } from '../model/addresses.ts';
import { cidrFamily, familyOf } from '../model/addresses.ts';
import type { ClusterTier, Direction } from '../model/types.ts';
import type { AddressPort, LocalPod, NamedSet } from '../compile/ir.ts';
import { addrType, comment, elementsClause, nftName } from './syntax.ts';

const I = '\t\t';

/** One element as nft writes it: an address or prefix, or "address . protocol . port". */
export function elementText(e: string | AddressPort): string {
  return typeof e === 'string' ? e : `${e.address} . ${e.protocol.toLowerCase()} . ${e.port}`;
}

export function setElements(set: NamedSet): string[] {
  return (set.elements as readonly (string | AddressPort)[]).map(elementText);
}

export function setType(set: NamedSet): string {
  return set.type === 'address-port' ? `${addrType(set.family)} . inet_proto . inet_service` : addrType(set.family);
}

export function renderSet(set: NamedSet): string[] {
  const flags = set.type === 'prefix' ? [`${I}flags interval`] : [];
  return [`\tset ${nftName(set.name)} {`, `${I}type ${setType(set)}`, ...flags, `${I}${comment(set.comment)}`, ...elementsClause(setElements(set), I), '\t}'];
}

/** The set of the node's pod CIDRs per family, for failing closed on unknown local addresses. */
export function renderPodCidrSet(family: IPFamily, cidrs: readonly string[]): string[] {
  const mine = cidrs.filter((c) => cidrFamily(c) === family);
  return [`\tset pod-cidrs-v${family} {`, `${I}type ${addrType(family)}`, `${I}flags interval`, ...elementsClause(mine, I), '\t}'];
}

export const dispatchMapName = (direction: Direction, family: IPFamily): string => `${direction}-v${family}`;

/**
 * Verdict for a pod address: jump to its chain when isolated, accept when
 * open. One element per address (nft refuses two). The compiler gives an
 * address two pods claim to its holder only (ClusterState.podAt), so a key
 * comes once; should an IR still list one twice, an isolated pod's chain wins
 * over an open verdict, and the first pod (by key) among isolated ones, so a
 * bad IR can neither open traffic nor block the node's whole table.
 */
export function dispatchElements(pods: readonly LocalPod[], direction: Direction, family: IPFamily): string[] {
  const verdicts = new Map<string, string>();
  for (const pod of pods) {
    const d = pod[direction];
    const verdict = d.isolated ? `jump ${nftName(d.chain)}` : 'accept';
    for (const ip of pod.ips) {
      if (familyOf(ip) !== family) continue;
      const before = verdicts.get(ip);
      if (before === undefined || (before === 'accept' && d.isolated)) verdicts.set(ip, verdict);
    }
  }
  return [...verdicts].map(([ip, verdict]) => `${ip} : ${verdict}`);
}

export function renderDispatchMap(pods: readonly LocalPod[], direction: Direction, family: IPFamily): string[] {
  return [
    `\tmap ${dispatchMapName(direction, family)} {`,
    `${I}type ${addrType(family)} : verdict`,
    ...elementsClause(dispatchElements(pods, direction, family), I),
    '\t}',
  ];
}

const dirWord = (d: Direction): string => (d === 'ingress' ? 'in' : 'out');

/** The set of local pods a tier's policies select in a direction: "admin-out-v4", "baseline-in-v6". */
/** The chain of a tier and direction, which its entries jump (or go) to: "admin-out", "baseline-in". */
export const tierChainName = (tier: ClusterTier, direction: Direction): string => `${tier === 'Admin' ? 'admin' : 'baseline'}-${dirWord(direction)}`;
export const tierSetName = (tier: ClusterTier, direction: Direction, family: IPFamily): string => `${tier === 'Admin' ? 'admin' : 'baseline'}-${dirWord(direction)}-v${family}`;

/**
 * The local pods that enter a tier in a direction: Admin, those an Admin
 * policy selects; Baseline, those a Baseline policy selects and no
 * NetworkPolicy isolates.
 *   set admin-out-v4 { type ipv4_addr; elements = { 10.244.1.5 } }
 */
export function renderTierSet(pods: readonly LocalPod[], tier: ClusterTier, direction: Direction, family: IPFamily): string[] {
  const ips = pods.filter((p) => (tier === 'Admin' ? p.tiers?.[direction].admin : p.tiers?.[direction].baseline) === true)
    .flatMap((p) => p.ips.filter((ip) => familyOf(ip) === family));
  return [`\tset ${tierSetName(tier, direction, family)} {`, `${I}type ${addrType(family)}`, ...elementsClause([...new Set(ips)], I), '\t}'];
}
