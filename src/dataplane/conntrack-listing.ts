// The kernel's connection tracking table as `conntrack -L` prints it, read
// into typed entries, and the flow each entry is judged as.
// (Deleting chosen ones: conntrack-deletion.ts.)
//
// The listing is outside input: a line that does not read as an entry (a
// protocol without the fields it needs, an address that is not one, a port
// out of range, a line of absurd length) is skipped and counted, never
// thrown on, so one odd entry cannot stop a sweep. A line looks like
//   tcp      6 431999 ESTABLISHED src=10.244.1.2 dst=10.244.1.3 sport=40000 dport=80 src=10.244.1.3 dst=10.244.1.2 sport=80 dport=40000 [ASSURED] mark=0 use=1
//   icmpv6   58 29 src=fd00::1 dst=fd00::2 type=128 code=0 id=9 [UNREPLIED] src=fd00::2 dst=fd00::1 type=129 code=0 id=9 mark=0 use=1
// optionally led by the layer-3 family (`-o extended`: "ipv4     2 tcp ...").
// The first src/dst/sport/dport are the original direction (the packet that
// opened the connection), the second the reply direction (what answers, after
// any NAT).
import { parseIp, type IPFamily } from '../model/addresses.ts';

export interface ConntrackTuple {
  /** Canonical address text (model/addresses.ts), as the ClusterState indexes addresses. */
  readonly src: string;
  readonly dst: string;
  /** Ports, for the protocols that have them (TCP, UDP, SCTP, DCCP, UDP-Lite). */
  readonly sport?: number;
  readonly dport?: number;
}

export interface ConntrackEntry {
  readonly family: IPFamily;
  /** The protocol as the policy engine names it: TCP, UDP, SCTP, ICMP, ICMPv6, or conntrack's name upper-cased. */
  readonly protocol: string;
  /** The IP protocol number (6, 17, 132, 1, 58, ...). */
  readonly protonum: number;
  /** The protocol's own state (TCP: ESTABLISHED, TIME_WAIT, ...), when it has one. */
  readonly state?: string;
  readonly original: ConntrackTuple;
  readonly reply: ConntrackTuple;
  /** Status flags conntrack prints in brackets: ASSURED, UNREPLIED, OFFLOAD, ... */
  readonly flags: readonly string[];
  /** The conntrack zone, when not the default one. */
  readonly zone?: number;
}

export interface ConntrackListing {
  readonly entries: readonly ConntrackEntry[];
  /** Lines that did not read as an entry (blank lines are not counted). */
  readonly skipped: number;
  /** The first few skipped lines, cut short, for a log line. */
  readonly skippedSamples: readonly string[];
}

/** Protocols whose tuples carry ports; their entries must have them. */
const PORTED = new Set([6, 17, 33, 132, 136]);
const ENGINE_NAMES: Readonly<Record<string, string>> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP', icmp: 'ICMP', icmpv6: 'ICMPv6' };
// A real entry line is a few hundred characters (labels and secctx included);
// anything far longer is not an entry and is not worth splitting.
const LONGEST_LINE = 2048;
const SAMPLES = 3;
const PORT = /^\d{1,5}$/;

/** Reads a whole `conntrack -L` listing; never throws on its content. */
export function parseConntrackListing(text: string): ConntrackListing {
  const entries: ConntrackEntry[] = [];
  const samples: string[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = parseConntrackLine(line);
    if (entry) entries.push(entry);
    else {
      skipped++;
      if (samples.length < SAMPLES) samples.push(line.length > 200 ? `${line.slice(0, 200)}…` : line);
    }
  }
  return { entries, skipped, skippedSamples: samples };
}

/** One line of the listing, or undefined when it does not read as an entry. */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
  if (line.length > LONGEST_LINE) return undefined;
  const tokens = line.trim().split(/\s+/);
  let i = 0;
  let declared: IPFamily | undefined;
  if (tokens[0] === 'ipv4' || tokens[0] === 'ipv6') {
    declared = tokens[0] === 'ipv4' ? 4 : 6;
    i = 2; // the family's name and number
  }
  const name = tokens[i];
  const protonum = smallInt(tokens[i + 1], 255);
  if (name === undefined || !/^[a-z][a-z0-9-]*$/.test(name) || protonum === undefined) return undefined;
  if (smallInt(tokens[i + 2], 2 ** 32) === undefined) return undefined; // seconds left
  i += 3;
  let state: string | undefined;
  if (tokens[i] !== undefined && /^[A-Z][A-Z_]*$/.test(tokens[i] as string)) state = tokens[i++];

  const tuples: Array<Record<string, string>> = [];
  const flags: string[] = [];
  let zone: number | undefined;
  for (const token of tokens.slice(i)) {
    const flag = /^\[([A-Z_]+)\]$/.exec(token);
    if (flag) {
      flags.push(flag[1] as string);
      continue;
    }
    const eq = token.indexOf('=');
    if (eq <= 0) return undefined;
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (key === 'zone') {
      zone = smallInt(value, 65535);
      if (zone === undefined) return undefined;
      continue;
    }
    // A new src= opens the next tuple; the tuples' keys are the ones that repeat.
    if (key === 'src') {
      if (tuples.length === 2) return undefined; // a third tuple: not an entry line
      tuples.push({});
    }
    const current = tuples[tuples.length - 1];
    if (current === undefined) return undefined; // fields before the first tuple
    if (current[key] === undefined) current[key] = value; // the reply tuple also collects mark=, use=, ...
  }
  const [orig, reply] = tuples;
  if (orig === undefined || reply === undefined) return undefined;
  const ported = PORTED.has(protonum);
  const family = declared ?? familyOfText(orig.src);
  if (family === undefined) return undefined;
  const original = tupleOf(orig, family, ported);
  const answer = tupleOf(reply, family, ported);
  if (original === undefined || answer === undefined) return undefined;
  return {
    family,
    protocol: ENGINE_NAMES[name] ?? name.toUpperCase(),
    protonum,
    ...(state !== undefined && { state }),
    original,
    reply: answer,
    flags,
    ...(zone !== undefined && zone !== 0 && { zone }),
  };
}

/** A tuple whose addresses are both of the family, with its ports when the protocol has them. */
function tupleOf(fields: Record<string, string>, family: IPFamily, ported: boolean): ConntrackTuple | undefined {
  const src = canonical(fields.src, family);
  const dst = canonical(fields.dst, family);
  if (src === undefined || dst === undefined) return undefined;
  if (!ported) return { src, dst };
  const sport = port(fields.sport);
  const dport = port(fields.dport);
  if (sport === undefined || dport === undefined) return undefined;
  return { src, dst, sport, dport };
}

function canonical(text: string | undefined, family: IPFamily): string | undefined {
  if (text === undefined) return undefined;
  const r = parseIp(text);
  return r.ok && r.family === family && r.warnings.length === 0 ? r.ip : undefined; // conntrack prints canonical text
}

export function familyOfText(text: string | undefined): IPFamily | undefined {
  if (text === undefined) return undefined;
  const r = parseIp(text);
  return r.ok ? r.family : undefined;
}

function port(text: string | undefined): number | undefined {
  if (text === undefined || !PORT.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function smallInt(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/**
 * The flow the policy engine judges for an entry: from the original source,
 * to the reply's source (the destination after any DNAT: a Service's backend,
 * a hostPort's pod), on the reply's source port. Without NAT that is the
 * original destination and port. The forward hook, where nftpol filters,
 * sees exactly this pair (DNAT happened before it, SNAT comes after).
 */
export function judgedFlow(e: ConntrackEntry): { from: string; to: string; protocol: string; port?: number } {
  return { from: e.original.src, to: e.reply.src, protocol: e.protocol, ...(e.reply.sport !== undefined && { port: e.reply.sport }) };
}
