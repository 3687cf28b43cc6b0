// ConnectionSet as a value: normal form, set operations, text and its parse.
// The laws are checked on random sets against a plain membership model (one
// boolean per port), so that range merging and cutting cannot hide a port.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConnectionSet, ConnectionSetSyntaxError, OTHER_PROTOCOLS_TEXT, parseConnectionSet, type PortRange,
} from '../../src/explain/connection-set-algebra.ts';
import { PROTOCOLS, type Protocol } from '../../src/model/types.ts';

const tcp = (...ranges: PortRange[]): ConnectionSet => ConnectionSet.of({ TCP: ranges });

describe('ConnectionSet normal form and text', () => {
  it('merges overlapping and adjacent ranges, sorts them, and clips to 1-65535', () => {
    const s = ConnectionSet.of({ TCP: [[5432, 5432], [81, 90], [80, 80], [85, 100], [0, 3], [65530, 70000]] });
    expect(s.ranges('TCP')).toEqual([[1, 3], [80, 100], [5432, 5432], [65530, 65535]]);
    expect(s.format()).toBe('TCP 1-3,80-100,5432,65530-65535');
  });

  it('writes protocols in the order TCP, UDP, SCTP, then the protocols without ports', () => {
    const s = ConnectionSet.of({ SCTP: [[9, 9]], UDP: [[53, 53]], TCP: [[80, 81], [5432, 5432]] }, true);
    expect(s.format()).toBe(`TCP 80-81,5432; UDP 53; SCTP 9; ${OTHER_PROTOCOLS_TEXT}`);
    expect(ConnectionSet.of({ UDP: [[53, 53]] }).format()).toBe('UDP 53');
    expect(ConnectionSet.of({}, true).format()).toBe('ICMP and other protocols');
  });

  it('says all and none, and every port of a protocol as 1-65535', () => {
    expect(ConnectionSet.ALL.format()).toBe('all');
    expect(ConnectionSet.NONE.format()).toBe('none');
    expect(ConnectionSet.of({ TCP: [[1, 65535]], UDP: [[1, 65535]], SCTP: [[1, 65535]] }, true).format()).toBe('all');
    // Every port of every protocol, but not ICMP: not all.
    expect(ConnectionSet.of({ TCP: [[1, 65535]], UDP: [[1, 65535]], SCTP: [[1, 65535]] }).format()).toBe('TCP 1-65535; UDP 1-65535; SCTP 1-65535');
    expect(JSON.stringify({ set: tcp([80, 80]) })).toBe('{"set":"TCP 80"}');
  });

  it('answers membership: ports of protocols with ports, and any other protocol by the one flag', () => {
    const s = ConnectionSet.of({ TCP: [[80, 81], [5432, 5432]] }, true);
    expect([79, 80, 81, 82, 5431, 5432, 5433].map((p) => s.has('TCP', p))).toEqual([false, true, true, false, false, true, false]);
    expect(s.has('UDP', 80)).toBe(false);
    expect(s.has('TCP')).toBe(false); // a protocol with ports needs a port
    expect(s.has('ICMP')).toBe(true);
    expect(s.has('gre')).toBe(true);
    expect(tcp([80, 80]).has('ICMP')).toBe(false);
  });

  it('reads back what it writes, and refuses text that is no set', () => {
    for (const text of ['all', 'none', 'TCP 80-81,5432; UDP 53', `SCTP 1-65535; ${OTHER_PROTOCOLS_TEXT}`, OTHER_PROTOCOLS_TEXT]) {
      expect(parseConnectionSet(text).format()).toBe(text);
    }
    for (const bad of ['', 'TCP', 'TCP 0', 'TCP 70000', 'TCP 90-80', 'ICMP', 'TCP 80-81-82', 'tcp 80', 'TCP 80,', 'TCP 8a']) {
      expect(() => parseConnectionSet(bad), bad).toThrow(ConnectionSetSyntaxError);
    }
  });
});

// ---------------------------------------------------------------- laws on random sets

/** A membership model small enough to enumerate: ports of interest per protocol, and the flag. */
const PROBE_PORTS = [1, 2, 52, 53, 54, 79, 80, 81, 82, 443, 444, 8079, 8080, 8081, 65534, 65535];
const rangeArb = fc.tuple(fc.constantFrom(...PROBE_PORTS), fc.constantFrom(...PROBE_PORTS)).map(([a, b]): PortRange => (a <= b ? [a, b] : [b, a]));
const setArb = fc.record({
  TCP: fc.array(rangeArb, { maxLength: 4 }),
  UDP: fc.array(rangeArb, { maxLength: 3 }),
  SCTP: fc.array(rangeArb, { maxLength: 2 }),
  other: fc.boolean(),
}).map(({ other, ...ranges }) => ConnectionSet.of(ranges, other));

function members(s: ConnectionSet): boolean[] {
  return [...PROTOCOLS.flatMap((p: Protocol) => PROBE_PORTS.map((port) => s.has(p, port))), s.has('ICMP')];
}

describe('ConnectionSet laws', () => {
  it('union, intersection and difference hold exactly the ports the model says', () => {
    fc.assert(fc.property(setArb, setArb, (a, b) => {
      const [ma, mb] = [members(a), members(b)];
      expect(members(a.union(b))).toEqual(ma.map((x, i) => x || (mb[i] as boolean)));
      expect(members(a.intersection(b))).toEqual(ma.map((x, i) => x && (mb[i] as boolean)));
      expect(members(a.difference(b))).toEqual(ma.map((x, i) => x && !(mb[i] as boolean)));
      expect(members(a.complement())).toEqual(ma.map((x) => !x));
    }));
  });

  it('keeps one normal form: equal sets are equal and write the same text, and the text reads back', () => {
    fc.assert(fc.property(setArb, setArb, (a, b) => {
      expect(a.union(b).equals(b.union(a))).toBe(true);
      expect(a.union(b).format()).toBe(b.union(a).format());
      expect(a.difference(b).union(a.intersection(b)).equals(a)).toBe(true);
      expect(a.difference(a).isEmpty()).toBe(true);
      expect(a.union(a.complement()).isAll()).toBe(true);
      expect(a.isSubsetOf(a.union(b))).toBe(true);
      expect(parseConnectionSet(a.format()).equals(a)).toBe(true);
      expect(a.equals(b)).toBe(members(a).every((x, i) => x === members(b)[i]));
      // Ranges stay sorted, disjoint and apart (adjacent ones are merged).
      for (const p of PROTOCOLS) {
        const r = a.ranges(p);
        r.forEach(([x, y], i) => {
          expect(x).toBeLessThanOrEqual(y);
          if (i > 0) expect(x).toBeGreaterThan((r[i - 1] as PortRange)[1] + 1);
        });
      }
    }));
  });

  it('counts the ports it holds', () => {
    expect(tcp([80, 81], [5432, 5432]).portCount()).toBe(3);
    expect(ConnectionSet.ALL.portCount()).toBe(3 * 65535);
  });
});
