// The `conntrack -D` lines of a deletion, and how few can do it
// (src/dataplane/conntrack-deletion.ts). Entries are real listing lines
// (test/dataplane/fixtures/conntrack-list.txt) and lines of the same form.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactDeletion, deletionLines, flowDeletionArgs } from '../../src/dataplane/conntrack-deletion.ts';
import { parseConntrackLine, parseConntrackListing, type ConntrackEntry } from '../../src/dataplane/conntrack-listing.ts';

const PLAIN = parseConntrackListing(readFileSync(path.join(import.meta.dirname, 'fixtures', 'conntrack-list.txt'), 'utf8')).entries;
const DNAT = 'tcp      6 999 ESTABLISHED src=10.0.0.1 dst=10.96.0.10 sport=1000 dport=80 src=10.244.1.5 dst=10.0.0.1 sport=8080 dport=1000 [ASSURED] mark=0 use=1';

const line = (l: string): ConntrackEntry => {
  const e = parseConntrackLine(l);
  if (e === undefined) throw new Error(`did not parse: ${l}`);
  return e;
};
/** An established TCP connection from:sport -> to:port, no NAT. */
const conn = (from: string, to: string, port: number, sport = 40000): ConntrackEntry =>
  line(`tcp 6 100 ESTABLISHED src=${from} dst=${to} sport=${sport} dport=${port} src=${to} dst=${from} sport=${port} dport=${sport} [ASSURED]`);

describe('deletion lines', () => {
  it('deletes a flow by family, protocol, zone, original source and destination, the destination ports and the backend', () => {
    expect(flowDeletionArgs(line(DNAT)).join(' ')).toBe('-D -f ipv4 -p 6 -s 10.0.0.1 -d 10.96.0.10 --dport 80 -r 10.244.1.5 --reply-port-src 8080');
    const zoned = PLAIN.find((e) => e.zone !== undefined) as ConntrackEntry;
    expect(flowDeletionArgs(zoned).join(' ')).toBe('-D -f ipv4 -p 17 -w 5 -s 10.0.0.1 -d 10.0.0.2 --dport 9 -r 10.0.0.2 --reply-port-src 9');
    const icmp6 = PLAIN.find((e) => e.protocol === 'ICMPv6') as ConntrackEntry;
    expect(flowDeletionArgs(icmp6).join(' ')).toBe('-D -f ipv6 -p 58 -s fd00::1 -d fd00::2 -r fd00::2');
  });

  it('writes one line per judged flow: connections of one flow share it, two backends do not', () => {
    const other = DNAT.replaceAll('1000', '1001');
    const backend2 = DNAT.replace('src=10.244.1.5', 'src=10.244.1.6');
    expect(deletionLines({ flows: [line(DNAT), line(other), line(backend2)] })).toHaveLength(2);
  });

  it('writes addresses (two lines: judged source, judged destination), destinations, sources, pairs, then flows', () => {
    expect(deletionLines({
      addresses: ['fd00::1'], destinations: ['10.244.1.5'], sources: ['10.244.1.6'], pairs: [['10.244.1.7', '10.244.1.8']], flows: [line(DNAT)],
    })).toEqual([
      '-D -f ipv6 -s fd00::1', '-D -f ipv6 -r fd00::1', '-D -f ipv4 -r 10.244.1.5', '-D -f ipv4 -s 10.244.1.6', '-D -f ipv4 -s 10.244.1.7 -r 10.244.1.8',
      '-D -f ipv4 -p 6 -s 10.0.0.1 -d 10.96.0.10 --dport 80 -r 10.244.1.5 --reply-port-src 8080',
    ]);
  });
});

describe('compactDeletion: the widest lines that delete the chosen entries and nothing else listed', () => {
  const B = '10.244.1.3';
  const toB = [conn('10.244.1.2', B, 80), conn('10.244.1.2', B, 80, 40001), conn('10.244.2.2', B, 5432), conn('10.244.2.3', B, 80)];
  const fromB = conn(B, '10.244.2.2', 443);

  it('one line for a destination all of whose listed entries go (a pod now denying all ingress)', () => {
    expect(compactDeletion(toB, [...toB, fromB])).toEqual({ destinations: [B], sources: [], pairs: [], flows: [] });
  });

  it('a source when its destination keeps entries; a pair when both keep others; else the flow', () => {
    const keep = conn('10.244.2.9', B, 80); // B keeps an allowed peer
    const aOther = conn('10.244.1.2', '10.244.2.2', 53); // 10.244.1.2 keeps another connection
    const bFrom2 = conn('10.244.2.2', '10.244.2.3', 80); // 10.244.2.2 keeps another connection
    const listed = [...toB, keep, aOther, bFrom2];
    // From 10.244.2.3: its only entry goes, so the source goes whole.
    // From 10.244.1.2 to B: two connections of one flow, the pair's only entries.
    // From 10.244.2.2 to B:5432: both ends keep others, and the pair has one flow: a pair line.
    expect(compactDeletion(toB, listed)).toEqual({
      destinations: [], sources: ['10.244.2.3'], pairs: [['10.244.1.2', B], ['10.244.2.2', B]], flows: [],
    });
    // A pair with an entry that stays: flow by flow.
    const b443 = conn('10.244.1.2', B, 443);
    expect(compactDeletion([toB[0] as ConntrackEntry], [...listed, b443]).flows).toEqual([toB[0]]);
  });

  it('counts entries another line deletes (an address whose owner changed) as gone', () => {
    const reused = conn('10.244.1.9', B, 80);
    const listed = [...toB, reused];
    expect(compactDeletion(toB, listed).destinations).toEqual([]);
    expect(compactDeletion(toB, listed, new Set([...toB, reused])).destinations).toEqual([B]);
  });

  it('judges DNAT\'d entries by their backend: a Service address is never a destination line', () => {
    const viaService = line(DNAT);
    expect(compactDeletion([viaService], [viaService])).toEqual({ destinations: ['10.244.1.5'], sources: [], pairs: [], flows: [] });
  });
});
