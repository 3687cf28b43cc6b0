// Reading `conntrack -L` and writing the `-D` lines. The fixtures are real
// listings (conntrack v1.4.7, Linux 6.18) of a network namespace holding
// loopback TCP and UDP connections of both families and inserted entries:
// a DNAT'd TCP connection (a Service address to a backend), ICMP, ICMPv6,
// SCTP, UDP in zone 5. `conntrack-list.txt` is `-L -f ipv4` then
// `-L -f ipv6` (what execConntrack runs), `conntrack-list-extended.txt` is
// `-L -o extended` of the same table. (Deletion lines: conntrack-deletion.test.ts.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  judgedFlow, parseConntrackLine, parseConntrackListing, type ConntrackEntry,
} from '../../src/dataplane/conntrack-listing.ts';

const fixture = (name: string): string => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const PLAIN = fixture('conntrack-list.txt');
const EXTENDED = fixture('conntrack-list-extended.txt');
const DNAT = 'tcp      6 999 ESTABLISHED src=10.0.0.1 dst=10.96.0.10 sport=1000 dport=80 src=10.244.1.5 dst=10.0.0.1 sport=8080 dport=1000 [ASSURED] mark=0 use=1';

const line = (l: string): ConntrackEntry => {
  const e = parseConntrackLine(l);
  if (e === undefined) throw new Error(`did not parse: ${l}`);
  return e;
};

describe('parseConntrackListing on real listings', () => {
  it('reads every entry of both families, nothing skipped', () => {
    const got = parseConntrackListing(PLAIN);
    expect(got.skipped).toBe(0);
    expect(got.entries).toHaveLength(10);
    expect(got.entries.map((e) => `${e.family} ${e.protocol}`).sort()).toEqual([
      '4 ICMP', '4 SCTP', '4 TCP', '4 TCP', '4 TCP', '4 UDP', '4 UDP', '6 ICMPv6', '6 TCP', '6 UDP',
    ]);
  });

  it('reads the extended form (led by the family) as the same entries', () => {
    const key = (e: ConntrackEntry): string => JSON.stringify(e);
    const ext = parseConntrackListing(EXTENDED);
    expect(ext.skipped).toBe(0);
    expect(ext.entries.map(key).sort()).toEqual(parseConntrackListing(PLAIN).entries.map(key).sort());
  });

  it('types a TCP entry: protocol, state, both tuples, flags', () => {
    expect(line(DNAT)).toEqual({
      family: 4, protocol: 'TCP', protonum: 6, state: 'ESTABLISHED',
      original: { src: '10.0.0.1', dst: '10.96.0.10', sport: 1000, dport: 80 },
      reply: { src: '10.244.1.5', dst: '10.0.0.1', sport: 8080, dport: 1000 },
      flags: ['ASSURED'],
    });
  });

  it('types portless protocols without ports, and keeps a zone', () => {
    const entries = parseConntrackListing(PLAIN).entries;
    const icmp6 = entries.find((e) => e.protocol === 'ICMPv6');
    expect(icmp6).toEqual({
      family: 6, protocol: 'ICMPv6', protonum: 58, original: { src: 'fd00::1', dst: 'fd00::2' }, reply: { src: 'fd00::2', dst: 'fd00::1' }, flags: ['UNREPLIED'],
    });
    expect(entries.find((e) => e.zone !== undefined)).toMatchObject({ protocol: 'UDP', zone: 5, original: { sport: 7, dport: 9 } });
  });

  it('writes addresses canonically, as the cluster state indexes them', () => {
    const e = line('tcp 6 10 ESTABLISHED src=FD00:0:0::1 dst=fd00::2 sport=1 dport=2 src=fd00::2 dst=fd00::1 sport=2 dport=1 [ASSURED]');
    expect(e.original.src).toBe('fd00::1');
  });
});

describe('hostile listings', () => {
  const BAD: Array<[string, string]> = [
    ['not an entry', 'conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.'],
    ['a TCP entry without ports', 'tcp 6 10 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1'],
    ['one tuple only', 'udp 17 10 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2'],
    ['a port out of range', 'udp 17 10 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=65536 src=10.0.0.2 dst=10.0.0.1 sport=65536 dport=1'],
    ['a port that is not a number', 'udp 17 10 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=0x50 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1'],
    ['an address that is not one', 'icmp 1 10 src=10.0.0.256 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1'],
    ['mixed families', 'icmp 1 10 src=10.0.0.1 dst=fd00::2 src=fd00::2 dst=10.0.0.1'],
    ['a declared family the addresses contradict', 'ipv6 10 icmp 1 10 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1'],
    ['an IPv4-mapped address', 'icmpv6 58 10 src=::ffff:10.0.0.1 dst=fd00::2 src=fd00::2 dst=::ffff:10.0.0.1'],
    ['leading zeros', 'icmp 1 10 src=010.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=010.0.0.1'],
    ['a third tuple', 'icmp 1 10 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 src=10.0.0.3 dst=10.0.0.4'],
    ['a field before the tuples', 'icmp 1 10 mark=0 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1'],
    ['a bare word among the fields', 'icmp 1 10 src=10.0.0.1 dst=10.0.0.2 ; src=10.0.0.2 dst=10.0.0.1'],
    ['a protocol number out of range', 'icmp 256 10 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1'],
    ['a bad zone', 'icmp 1 10 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 zone=x'],
    ['an absurd length', `icmp 1 10 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 ${'x=y '.repeat(1000)}`],
  ];
  it.each(BAD)('skips %s', (_what, text) => {
    expect(parseConntrackLine(text)).toBeUndefined();
  });

  it('counts skipped lines beside the entries, with samples cut short', () => {
    const text = [PLAIN, ...BAD.map(([, t]) => t), '', '   '].join('\n');
    const got = parseConntrackListing(text);
    expect(got.entries).toHaveLength(10);
    expect(got.skipped).toBe(BAD.length);
    expect(got.skippedSamples).toHaveLength(3);
    expect(got.skippedSamples.every((s) => s.length <= 201)).toBe(true);
  });

  it('never throws: random text, and real lines cut or spliced anywhere', () => {
    const lines = PLAIN.trim().split('\n');
    const mangled = fc.tuple(fc.constantFrom(...lines), fc.nat(), fc.nat(), fc.string()).map(([l, a, b, s]) => l.slice(0, a % (l.length + 1)) + s + l.slice(b % (l.length + 1)));
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), mangled), (text) => {
      const got = parseConntrackListing(text);
      expect(got.entries.length + got.skipped).toBeLessThanOrEqual(text.split('\n').length);
    }), { numRuns: 2000, seed: 8 });
  });
});

describe('the judged flow', () => {
  it('judges a DNAT\'d connection by its backend and the backend\'s port', () => {
    expect(judgedFlow(line(DNAT))).toEqual({ from: '10.0.0.1', to: '10.244.1.5', protocol: 'TCP', port: 8080 });
    expect(judgedFlow(parseConntrackListing(PLAIN).entries.find((e) => e.protocol === 'ICMP') as ConntrackEntry))
      .toEqual({ from: '10.0.0.1', to: '10.0.0.2', protocol: 'ICMP' });
  });
});
