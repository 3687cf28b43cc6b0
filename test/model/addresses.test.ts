// The one address module: the validating parsers (outside input), the
// canonical text, and the CIDR math on validated values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressesIn, canonicalIp, cidrContains, cidrFamily, cidrOf, cidrsOverlap, cidrStrictlyInside, enclosingCidr, familyOf,
  hostAddresses, hostCidr, overlapsWithEarlier, parseCidr, parseIp, subtractCidrs,
} from '../../src/model/addresses.ts';

const take = (g: Iterable<string>, n: number): string[] => {
  const out: string[] = [];
  for (const x of g) {
    if (out.length === n) break;
    out.push(x);
  }
  return out;
};

describe('parseIp', () => {
  it('gives canonical text and the family', () => {
    expect(parseIp('10.1.2.3')).toEqual({ ok: true, ip: '10.1.2.3', family: 4, warnings: [] });
    expect(parseIp('2001:DB8:0:0::0:1')).toEqual({ ok: true, ip: '2001:db8::1', family: 6, warnings: [] });
    // RFC 5952: the longest run of zero groups is compressed, the first of equal ones.
    expect(parseIp('2001:db8:0:0:1:0:0:1')).toMatchObject({ ip: '2001:db8::1:0:0:1' });
  });

  it('reads IPv4 leading zeros as decimal, with a warning', () => {
    expect(parseIp('010.001.0.09')).toEqual({ ok: true, ip: '10.1.0.9', family: 4, warnings: ['"010.001.0.09" has leading zeros; read as 10.1.0.9'] });
  });

  it('refuses what the API server refuses', () => {
    expect(parseIp('256.0.0.1')).toEqual({ ok: false, message: '"256.0.0.1" is not a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)' });
    expect(parseIp('fe80::1%eth0').ok).toBe(false);
    expect(parseIp('10.1').ok).toBe(false);
    expect(parseIp('').ok).toBe(false);
    expect(parseIp('::ffff:10.0.0.1')).toEqual({
      ok: false, ipv4Mapped: true, message: '"::ffff:10.0.0.1" is an IPv4-mapped IPv6 address; write the IPv4 address 10.0.0.1',
    });
  });

  it('refuses text longer than any address before parsing it, and shows only its start', () => {
    const long = `10.0.0.1${' '.repeat(100_000)}`;
    const r = parseIp(long);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message.length).toBeLessThan(200);
    expect(parseCidr(`${long}/8`).ok).toBe(false);
  });
});

describe('parseCidr', () => {
  it('masks bits beyond the prefix, with a warning, as the API server does', () => {
    expect(parseCidr('10.0.0.1/8')).toEqual({
      ok: true, cidr: '10.0.0.0/8', family: 4, network: '10.0.0.0', prefix: 8,
      warnings: ['10.0.0.1/8 has bits set beyond the prefix length; treated as 10.0.0.0/8 (the API server masks it the same way)'],
    });
    expect(parseCidr('2001:DB8::1/32')).toMatchObject({ ok: true, cidr: '2001:db8::/32', family: 6, network: '2001:db8::', prefix: 32 });
  });

  it('warns on leading zeros in the prefix length', () => {
    expect(parseCidr('10.0.0.0/08')).toMatchObject({ ok: true, cidr: '10.0.0.0/8', warnings: ['prefix length "08" has leading zeros'] });
  });

  it('refuses a missing prefix, a prefix too long, IPv4-mapped networks and garbage', () => {
    expect(parseCidr('10.0.0.0')).toEqual({ ok: false, message: '"10.0.0.0" is not a valid CIDR: the /prefix length is missing' });
    expect(parseCidr('10.0.0.0/33')).toEqual({ ok: false, message: '"10.0.0.0/33" is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)' });
    expect(parseCidr('::/129').ok).toBe(false);
    expect(parseCidr('ten/8').ok).toBe(false);
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ ok: false, message: expect.stringMatching(/IPv4-mapped/) });
  });

  it('round-trips: the canonical form parses to itself without warnings (property)', () => {
    const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
    const v6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`);
    fc.assert(fc.property(fc.oneof(v4, v6), (text) => {
      const first = parseCidr(text);
      if (!first.ok) return; // e.g. IPv4-mapped
      expect(parseCidr(first.cidr)).toEqual({ ...first, warnings: [] });
      expect(cidrOf(first.cidr)).toEqual({ cidr: first.cidr, family: first.family, network: first.network, prefix: first.prefix });
    }));
  });
});

describe('canonicalIp', () => {
  it('is parseIp\'s text, and throws on what is not an address', () => {
    expect(canonicalIp('FD00::0:10')).toBe('fd00::10');
    expect(() => canonicalIp('nope')).toThrow(/not a valid IP address/);
  });
});

describe('validated values', () => {
  it('families', () => {
    expect(familyOf('10.0.0.1')).toBe(4);
    expect(familyOf('fd00::1')).toBe(6);
    expect(cidrFamily('0.0.0.0/0')).toBe(4);
    expect(cidrFamily('::/0')).toBe(6);
  });

  it('containment is false across families', () => {
    expect(cidrContains('10.0.0.0/8', '10.255.0.1')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(cidrContains('0.0.0.0/0', 'fd00::1')).toBe(false);
    expect(cidrContains('::/0', '10.0.0.1')).toBe(false);
  });

  it('strictly inside: same family, longer prefix, inside', () => {
    expect(cidrStrictlyInside('10.1.0.0/16', '10.0.0.0/8')).toBe(true);
    expect(cidrStrictlyInside('10.0.0.0/8', '10.0.0.0/8')).toBe(false);
    expect(cidrStrictlyInside('11.0.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrStrictlyInside('fd00::/64', '0.0.0.0/0')).toBe(false);
  });

  it('overlap: CIDRs or single addresses, never across families', () => {
    expect(cidrsOverlap('10.0.0.0/8', '10.1.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/8', '10.3.4.5')).toBe(true);
    expect(cidrsOverlap('0.0.0.0/0', '::/0')).toBe(false);
  });

  it('hostCidr', () => {
    expect(hostCidr('10.0.0.1')).toBe('10.0.0.1/32');
    expect(hostCidr('fd00::1')).toBe('fd00::1/128');
  });

  it('subtracts CIDRs into the fewest canonical prefixes', () => {
    expect(subtractCidrs('10.0.0.0/8', [])).toEqual(['10.0.0.0/8']);
    expect(subtractCidrs('10.0.0.0/30', ['10.0.0.1/32'])).toEqual(['10.0.0.0/32', '10.0.0.2/31']);
    expect(subtractCidrs('2001:db8::/126', ['2001:db8::/127'])).toEqual(['2001:db8::2/127']);
  });

  it('addresses and host addresses of a CIDR, in order', () => {
    expect([...addressesIn('10.0.0.0/30')]).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect([...hostAddresses('10.0.0.0/30')]).toEqual(['10.0.0.1', '10.0.0.2']);
    expect([...hostAddresses('10.0.0.0/31')]).toEqual(['10.0.0.0', '10.0.0.1']);
    expect([...hostAddresses('10.0.0.7/32')]).toEqual(['10.0.0.7']);
    expect(take(hostAddresses('10.244.0.0/16'), 2)).toEqual(['10.244.0.1', '10.244.0.2']);
    // IPv6 has no broadcast address; text is RFC 5952.
    expect(take(hostAddresses('2001:db8:0:0:1::/80'), 2)).toEqual(['2001:db8::1:0:0:1', '2001:db8::1:0:0:2']);
    expect([...hostAddresses('fd00::/126')]).toEqual(['fd00::1', 'fd00::2', 'fd00::3']);
  });

  it('the smallest CIDR holding some addresses', () => {
    expect(enclosingCidr(['10.244.1.10', '10.244.2.12'])).toBe('10.244.0.0/22');
    expect(enclosingCidr(['10.244.1.10'])).toBe('10.244.1.10/32');
    expect(enclosingCidr(['10.0.0.1', '192.168.0.1'])).toBe('0.0.0.0/0');
    expect(enclosingCidr(['fd00:10:244::10', 'fd00:10:244:9::5'])).toBe('fd00:10:244::/60');
  });
});

describe('overlapsWithEarlier', () => {
  it('names, for each CIDR overlapping one kept before it, that CIDR', () => {
    expect(overlapsWithEarlier(['10.0.0.0/24', '10.0.1.0/24', '10.0.0.0/16', '10.0.0.128/25', 'fd00::/64', 'fd00::/48', '10.0.2.0/24']))
      .toEqual([undefined, undefined, '10.0.0.0/24', '10.0.0.0/24', undefined, 'fd00::/64', undefined]);
  });

  it('agrees with pairwise overlap against the kept ones (property)', () => {
    const cidr = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 14, max: 24 }))
      .map(([b, c, p]) => cidrOf(`10.${b}.${c}.0/${p}`).cidr);
    fc.assert(fc.property(fc.array(cidr, { maxLength: 30 }), (cidrs) => {
      const kept: string[] = [];
      const start = (c: string): number => cidrOf(c).network.split('.').reduce((n, o) => n * 256 + Number(o), 0);
      const expected = cidrs.map((c) => {
        // Of the kept CIDRs it overlaps, the one lowest in the address space.
        const hit = kept.filter((k) => cidrsOverlap(k, c)).sort((x, y) => start(x) - start(y))[0];
        if (hit === undefined) kept.push(c);
        return hit;
      });
      expect(overlapsWithEarlier(cidrs)).toEqual(expected);
    }));
  });
});
