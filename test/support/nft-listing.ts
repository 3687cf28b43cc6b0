// A table as nft reports it (`nft -j list table`), made comparable: two
// tables that enforce the same thing compare equal however they got there (a
// replace, deltas, a repair). Handles count the kernel's history and counter
// values count packets, so both are dropped; sets, maps, chains and elements
// are sorted; a chain's rules keep their order, which is the semantics.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Without handles, counters zeroed, object keys sorted. */
function strip(v: Json): Json {
  if (Array.isArray(v)) return v.map(strip);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).filter((k) => k !== 'handle').sort().map((k) => {
      const x = v[k] as Json;
      // {"counter": {"packets": 12, "bytes": 960}}: the statement stays, its values go.
      if (k === 'counter' && x !== null && typeof x === 'object' && !Array.isArray(x)) return [k, { bytes: 0, packets: 0 }];
      return [k, strip(x)];
    }));
  }
  return v;
}

/**
 * `nft -j list table` as a sorted list of JSON texts: one entry per table,
 * set, map and chain (elements sorted), and one per chain for its rules, in
 * order.
 */
export function normalizeNftJson(json: string): string[] {
  const items = (JSON.parse(json) as { nftables: Record<string, Json>[] }).nftables;
  const rules = new Map<string, Json[]>();
  const objects: string[] = [];
  for (const item of items) {
    const [kind, body] = Object.entries(item)[0] as [string, Json];
    if (kind === 'metainfo') continue;
    const b = strip(body) as Record<string, Json>;
    if (kind === 'rule') {
      const chain = String(b.chain);
      rules.set(chain, [...(rules.get(chain) ?? []), b]);
      continue;
    }
    if (Array.isArray(b.elem)) b.elem = [...b.elem].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
    objects.push(JSON.stringify([kind, b]));
  }
  for (const [chain, rs] of rules) objects.push(JSON.stringify(['rules', chain, rs]));
  return objects.sort();
}
