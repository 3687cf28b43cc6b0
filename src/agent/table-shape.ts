// The shape of our table in the kernel against the shape we last wrote: the
// same sets and maps with as many elements (interval sets: present), the
// same chains with as many rules. It needs no prediction of nft's formatting
// (names and counts only), so it can judge a listing taken any time after an
// apply: the applier checks the listing it keeps as its drift reference, and
// a table someone changed before that listing was taken (a flushed chain, a
// deleted set) is found, not adopted as the reference.
import type { TableObjects } from '../compile/diff-ir.ts';

type Json = Record<string, unknown>;

interface Shape {
  readonly sets: Map<string, number | 'interval'>;
  readonly chains: Map<string, number>;
}

function shapeOfListing(json: string): Shape {
  const parsed = JSON.parse(json) as { nftables?: unknown };
  if (!Array.isArray(parsed.nftables)) throw new Error('nft -j list table: no "nftables" array');
  const sets = new Map<string, number | 'interval'>();
  const chains = new Map<string, number>();
  for (const item of parsed.nftables as Json[]) {
    const [kind, body] = Object.entries(item)[0] as [string, Json];
    const name = String(body.name ?? '');
    if (kind === 'set' || kind === 'map') {
      const interval = Array.isArray(body.flags) && body.flags.includes('interval');
      sets.set(name, interval ? 'interval' : Array.isArray(body.elem) ? body.elem.length : 0);
    } else if (kind === 'chain') chains.set(name, chains.get(name) ?? 0);
    else if (kind === 'rule') chains.set(String(body.chain), (chains.get(String(body.chain)) ?? 0) + 1);
  }
  return { sets, chains };
}

/** What differs between the kernel's listing (`nft -j list table`) and the table we wrote, in words; undefined when the shapes agree. */
export function shapeDifference(listing: string, expected: TableObjects): string | undefined {
  const got = shapeOfListing(listing);
  for (const s of expected.sets) {
    const have = got.sets.get(s.name);
    if (have === undefined) return `${s.kind} ${s.name} is missing`;
    if (have !== 'interval' && have !== s.elements.length) return `${s.kind} ${s.name} has ${have} elements, not ${s.elements.length}`;
  }
  for (const c of expected.chains) {
    const have = got.chains.get(c.name);
    if (have === undefined) return `chain ${c.name} is missing`;
    if (have !== c.rules.length) return `chain ${c.name} has ${have} rules, not ${c.rules.length}`;
  }
  const ours = new Set([...expected.sets.map((s) => s.name), ...expected.chains.map((c) => c.name)]);
  const extra = [...got.sets.keys(), ...got.chains.keys()].find((n) => !ours.has(n));
  return extra === undefined ? undefined : `${extra} is not ours`;
}

/** A listing without what changes by itself: counters' values, and handles (a rule deleted and added back as it was is no drift). */
export function normalizeJsonListing(json: string): string {
  return json.replace(/"packets":\s*\d+,\s*"bytes":\s*\d+/g, '"packets":0,"bytes":0').replace(/"handle":\s*\d+,?/g, '');
}
