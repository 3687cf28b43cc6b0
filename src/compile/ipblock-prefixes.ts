// An ipBlock as the prefixes it allows: cidr minus every except, so one
// interval-set lookup answers "in cidr and in no except".
import { excludeCidr, normalizeCidr } from 'cidr-tools';
import type { IPBlock } from '../model/types.ts';

/** Canonical prefixes (a single address keeps its /32 or /128), sorted as cidr-tools merges them. */
export function ipBlockPrefixes(block: IPBlock): string[] {
  const rest = block.except.length === 0 ? [normalizeCidr(block.cidr)] : excludeCidr(block.cidr, [...block.except]);
  const host = block.cidr.includes(':') ? '/128' : '/32';
  return rest.map((p) => (p.includes('/') ? p : `${p}${host}`));
}
