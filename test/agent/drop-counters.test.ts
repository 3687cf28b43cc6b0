// podDropCounters on a listing captured from nft 1.0.6: `nftpol render -f
// fixtures/drop-counters/cluster.yaml --node node-1`, its `counter drop` rules
// given known values (`counter packets 3 bytes 180 drop ...`), applied with
// `nft -f` in a throwaway netns and listed with `nft -j list table inet nftpol`.
// shop/db-0 (dual-stack, ingress isolated), shop/web-… (egress isolated), a
// shop pod whose name is too long for its chain name (shortened with a hash),
// and kube-system/coredns-1 (not isolated: no chain).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { podDropCounters } from '../../src/agent/drop-counters.ts';

const LISTING = readFileSync(path.join(import.meta.dirname, 'fixtures/drop-counters/table.json'), 'utf8');

/** The listing with its items changed by `edit`. */
function edited(edit: (items: unknown[]) => unknown[]): string {
  const doc = JSON.parse(LISTING) as { nftables: unknown[] };
  return JSON.stringify({ nftables: edit(doc.nftables) });
}

describe('podDropCounters', () => {
  it('reads each isolated pod\'s drop counter by direction; a shortened chain name is counted, not guessed', () => {
    expect(podDropCounters(LISTING, 'nftpol')).toEqual({
      counters: [
        { namespace: 'shop', pod: 'db-0', direction: 'ingress', packets: 3, bytes: 180 },
        { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x4q', direction: 'egress', packets: 12, bytes: 960 },
      ],
      unnamed: 1,
    });
  });

  it('reads only the table asked for, and only pod chains (not the base chains\' invalid or unknown-pod drops)', () => {
    expect(podDropCounters(LISTING, 'other')).toEqual({ counters: [], unnamed: 0 });
    const base = podDropCounters(LISTING, 'nftpol').counters.length;
    expect(LISTING.match(/"drop": null/g)?.length).toBeGreaterThan(base + 1);
  });

  it('sums a chain\'s drop rules when there are several (one added by hand)', () => {
    const doubled = edited((items) => items.flatMap((i) => (JSON.stringify(i).includes('"ingress denied shop/db-0"') ? [i, i] : [i])));
    expect(podDropCounters(doubled, 'nftpol').counters[0]).toEqual({ namespace: 'shop', pod: 'db-0', direction: 'ingress', packets: 6, bytes: 360 });
  });

  it('skips rules of a shape it does not expect, and refuses text that is not an nft listing', () => {
    const odd = edited((items) => items.map((i) => JSON.parse(JSON.stringify(i)
      .replace('{"counter":{"packets":3,"bytes":180}}', '{"counter":{"packets":-3,"bytes":"180"}}')
      .replace('"pod-out/shop/web-7d9f8c6b5-x2x4q"', '"pod-out/shop/web/extra"')) as unknown));
    expect(podDropCounters(odd, 'nftpol')).toEqual({ counters: [], unnamed: 2 });
    expect(() => podDropCounters('table inet nftpol {}', 'nftpol')).toThrow();
    expect(() => podDropCounters('{"tables": []}', 'nftpol')).toThrow(/no "nftables" array/);
    expect(podDropCounters('{"nftables": [null, 3, {"rule": "x"}, {"rule": {"family": "inet", "table": "nftpol", "chain": 7}}]}', 'nftpol'))
      .toEqual({ counters: [], unnamed: 0 });
  });
});
