// An ipBlock as the prefixes it allows: cidr minus every except, so one
// interval-set lookup answers "in cidr and in no except".
import { subtractCidrs } from '../model/addresses.ts';
import type { IPBlock } from '../model/types.ts';

/** Canonical prefixes, in address order (a single address keeps its /32 or /128). */
export function ipBlockPrefixes(block: IPBlock): string[] {
  return subtractCidrs(block.cidr, block.except);
}
