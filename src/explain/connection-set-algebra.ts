// A set of connections between two endpoints, as NetworkPolicy can express
// them: for each protocol with ports (TCP, UDP, SCTP) a set of destination
// ports 1-65535, kept as sorted, disjoint, non-adjacent inclusive ranges;
// and whether every other IP protocol (ICMP, GRE, ...) is in it. Policies
// cannot tell those other protocols apart (a port entry names TCP, UDP or
// SCTP; only a rule without ports admits the rest, and then all of them), so
// one flag stands for all of them.
//
// Immutable value: the set operations return new sets; equal sets format to
// the same text ("TCP 80-81,5432; UDP 53", "all", "none").
import { PROTOCOLS, type Protocol } from '../model/types.ts';

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** Inclusive port range [first, last]. */
export type PortRange = readonly [number, number];

export type PortRanges = Readonly<Record<Protocol, readonly PortRange[]>>;

/** How the set names the protocols without ports, as one member. */
export const OTHER_PROTOCOLS_TEXT = 'ICMP and other protocols';

const FULL: readonly PortRange[] = [[MIN_PORT, MAX_PORT]];

/** Ranges sorted, clipped to 1-65535, overlapping and adjacent ones merged. */
function normalize(ranges: readonly PortRange[]): PortRange[] {
  const sorted = ranges
    .map(([a, b]): PortRange => [Math.max(a, MIN_PORT), Math.min(b, MAX_PORT)])
    .filter(([a, b]) => Number.isInteger(a) && Number.isInteger(b) && a <= b)
    .sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function contains(ranges: readonly PortRange[], port: number): boolean {
  // Binary search: the matrix's cells and the diff ask often.
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid] as PortRange;
    if (port < a) hi = mid - 1;
    else if (port > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Ranges of the ports p where keep(p in a, p in b): the ports are cut at
 * every range edge of either list, and each piece is in both lists or in
 * neither as a whole, so one test per piece decides it.
 */
function combine(a: readonly PortRange[], b: readonly PortRange[], keep: (inA: boolean, inB: boolean) => boolean): PortRange[] {
  const cuts = new Set<number>([MIN_PORT, MAX_PORT + 1]);
  for (const [x, y] of [...a, ...b]) {
    cuts.add(x);
    cuts.add(y + 1);
  }
  const edges = [...cuts].sort((x, y) => x - y);
  const out: PortRange[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const start = edges[i] as number;
    if (keep(contains(a, start), contains(b, start))) out.push([start, (edges[i + 1] as number) - 1]);
  }
  return normalize(out);
}

function sameRanges(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  return a.length === b.length && a.every(([x, y], i) => b[i]?.[0] === x && b[i]?.[1] === y);
}

function formatRanges(ranges: readonly PortRange[]): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

export class ConnectionSet {
  private readonly portRanges: PortRanges;
  /** Whether every IP protocol other than TCP, UDP and SCTP is in the set (ICMP among them). */
  readonly otherProtocols: boolean;

  private constructor(portRanges: PortRanges, otherProtocols: boolean) {
    this.portRanges = portRanges;
    this.otherProtocols = otherProtocols;
  }

  static readonly NONE = new ConnectionSet({ TCP: [], UDP: [], SCTP: [] }, false);
  static readonly ALL = new ConnectionSet({ TCP: FULL, UDP: FULL, SCTP: FULL }, true);

  /** A set from port ranges per protocol (missing = none; any order, overlaps allowed) and the other-protocols flag. */
  static of(ranges: Partial<Record<Protocol, readonly PortRange[]>>, otherProtocols = false): ConnectionSet {
    return new ConnectionSet(
      { TCP: normalize(ranges.TCP ?? []), UDP: normalize(ranges.UDP ?? []), SCTP: normalize(ranges.SCTP ?? []) },
      otherProtocols,
    );
  }

  /** The ports of a protocol in the set, as sorted disjoint inclusive ranges. */
  ranges(protocol: Protocol): readonly PortRange[] {
    return this.portRanges[protocol];
  }

  /**
   * Whether the set holds a connection: a protocol with ports needs a port
   * in 1-65535; any other protocol name (ICMP, ...) is "other protocols".
   */
  has(protocol: string, port?: number): boolean {
    const p = protocol.toUpperCase();
    if (!(PROTOCOLS as readonly string[]).includes(p)) return this.otherProtocols;
    return port !== undefined && contains(this.portRanges[p as Protocol], port);
  }

  private zip(other: ConnectionSet, keep: (inA: boolean, inB: boolean) => boolean): ConnectionSet {
    const r = (p: Protocol): PortRange[] => combine(this.portRanges[p], other.portRanges[p], keep);
    return new ConnectionSet({ TCP: r('TCP'), UDP: r('UDP'), SCTP: r('SCTP') }, keep(this.otherProtocols, other.otherProtocols));
  }

  union(other: ConnectionSet): ConnectionSet {
    return this.zip(other, (a, b) => a || b);
  }

  intersection(other: ConnectionSet): ConnectionSet {
    return this.zip(other, (a, b) => a && b);
  }

  /** What this set holds and `other` does not (a diff's "added" is after.difference(before)). */
  difference(other: ConnectionSet): ConnectionSet {
    return this.zip(other, (a, b) => a && !b);
  }

  complement(): ConnectionSet {
    return ConnectionSet.ALL.difference(this);
  }

  equals(other: ConnectionSet): boolean {
    return this.otherProtocols === other.otherProtocols && PROTOCOLS.every((p) => sameRanges(this.portRanges[p], other.portRanges[p]));
  }

  /** Whether every connection of this set is in `other`. */
  isSubsetOf(other: ConnectionSet): boolean {
    return this.difference(other).isEmpty();
  }

  isEmpty(): boolean {
    return !this.otherProtocols && PROTOCOLS.every((p) => this.portRanges[p].length === 0);
  }

  isAll(): boolean {
    return this.equals(ConnectionSet.ALL);
  }

  /** How many ports of protocols with ports the set holds (other protocols not counted): to rank sets by width. */
  portCount(): number {
    return PROTOCOLS.reduce((n, p) => n + this.portRanges[p].reduce((m, [a, b]) => m + b - a + 1, 0), 0);
  }

  /**
   * "all", "none", or the members joined by "; ": each protocol with ports
   * that has any, as "TCP 80-81,5432" (every port: "TCP 1-65535"), then
   * "ICMP and other protocols" when they are in.
   */
  format(): string {
    if (this.isEmpty()) return 'none';
    if (this.isAll()) return 'all';
    const parts = PROTOCOLS.filter((p) => this.portRanges[p].length > 0).map((p) => `${p} ${formatRanges(this.portRanges[p])}`);
    if (this.otherProtocols) parts.push(OTHER_PROTOCOLS_TEXT);
    return parts.join('; ');
  }

  toString(): string {
    return this.format();
  }

  /** JSON writes a set as its text, the form every output uses. */
  toJSON(): string {
    return this.format();
  }
}

/** Text that is no connection set, with what is wrong in it. */
export class ConnectionSetSyntaxError extends Error {}

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new ConnectionSetSyntaxError(`${whole}: ${text} is not a port number`);
  const n = Number(text);
  if (n < MIN_PORT || n > MAX_PORT) throw new ConnectionSetSyntaxError(`${whole}: port ${n} is out of range 1-65535`);
  return n;
}

/** The set that format() wrote as `text` (format(parse(t)) = t for every t format writes). */
export function parseConnectionSet(text: string): ConnectionSet {
  const whole = text.trim();
  if (whole === 'all') return ConnectionSet.ALL;
  if (whole === 'none') return ConnectionSet.NONE;
  const ranges: Partial<Record<Protocol, PortRange[]>> = {};
  let other = false;
  for (const part of whole.split(';').map((s) => s.trim())) {
    if (part === OTHER_PROTOCOLS_TEXT) {
      other = true;
      continue;
    }
    const m = /^(TCP|UDP|SCTP) (\S+)$/.exec(part);
    if (m === null) throw new ConnectionSetSyntaxError(`${whole}: "${part}" is neither PROTOCOL PORTS (TCP, UDP, SCTP) nor "${OTHER_PROTOCOLS_TEXT}"`);
    const protocol = m[1] as Protocol;
    const list = (ranges[protocol] ??= []);
    for (const item of (m[2] as string).split(',')) {
      const [a, b, extra] = item.split('-');
      if (extra !== undefined || a === undefined) throw new ConnectionSetSyntaxError(`${whole}: ${item} is not a port or range`);
      const first = parsePort(a, whole);
      const last = b === undefined ? first : parsePort(b, whole);
      if (last < first) throw new ConnectionSetSyntaxError(`${whole}: range ${item} ends before it starts`);
      list.push([first, last]);
    }
  }
  return ConnectionSet.of(ranges, other);
}
