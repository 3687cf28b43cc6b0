// The `conntrack -D` lines that delete chosen entries (batch lines for
// `conntrack -R`), and how few lines can do it.
//
// Each `-D` is a filter that conntrack 1.4.7 applies by walking the whole
// table (it has no delete by exact tuple): about 17 ms at 1,000 entries,
// 65 ms at 10,000, 270 ms at 50,000 on the machine of docs/established-connections.md.
// So the cost of a sweep is its number of lines, and the lines are made as
// wide as the listing allows:
//  - an address whose owner changed: every entry with it at a judged end;
//  - an address every listed entry judged to it (or from it) is revoked: one
//    line for all of them (a deny-all ingress on a pod is one line, not one
//    per peer and port);
//  - a pair of addresses all of whose listed entries are revoked: one line;
//  - else one line per judged flow (source, destination, destination port,
//    the backend and its port, protocol, zone: what the verdict depends on,
//    so whatever else it matches has the same verdict; the client's source
//    port is left out, so a client's many connections to one port are one line).
// The wide lines are exact for the table as listed; a connection opened to
// the same address between the listing and the deletion (seconds at most) is
// deleted too, and is judged again by its next packet.
import type { ConntrackEntry } from './conntrack-listing.ts';
import { familyOfText, judgedFlow } from './conntrack-listing.ts';

export interface ConntrackDeletionRequest {
  /** Every entry with the address at a judged end: the original source, or the reply's source. */
  readonly addresses?: readonly string[];
  /** Every entry judged to the address (the reply's source: the destination after DNAT). */
  readonly destinations?: readonly string[];
  /** Every entry judged from the address (the original source). */
  readonly sources?: readonly string[];
  /** Every entry judged from the first address to the second. */
  readonly pairs?: readonly (readonly [string, string])[];
  /** Each entry's judged flow (and the other connections of that flow). */
  readonly flows?: readonly ConntrackEntry[];
}

const familyFlag = (ip: string): string[] => ['-f', familyOfText(ip) === 6 ? 'ipv6' : 'ipv4'];

/** The `-D` arguments of one entry's judged flow. */
export function flowDeletionArgs(e: ConntrackEntry): string[] {
  const { original: o, reply: r } = e;
  return [
    '-D', '-f', e.family === 4 ? 'ipv4' : 'ipv6', '-p', String(e.protonum),
    ...(e.zone !== undefined ? ['-w', String(e.zone)] : []),
    '-s', o.src, '-d', o.dst, ...(o.dport !== undefined ? ['--dport', String(o.dport)] : []),
    '-r', r.src, ...(r.sport !== undefined ? ['--reply-port-src', String(r.sport)] : []),
  ];
}

/** The batch lines of a request, widest first, each once. */
export function deletionLines(req: ConntrackDeletionRequest): string[] {
  const args: string[][] = [
    ...(req.addresses ?? []).flatMap((ip) => [['-D', ...familyFlag(ip), '-s', ip], ['-D', ...familyFlag(ip), '-r', ip]]),
    ...(req.destinations ?? []).map((ip) => ['-D', ...familyFlag(ip), '-r', ip]),
    ...(req.sources ?? []).map((ip) => ['-D', ...familyFlag(ip), '-s', ip]),
    ...(req.pairs ?? []).map(([from, to]) => ['-D', ...familyFlag(from), '-s', from, '-r', to]),
    ...(req.flows ?? []).map(flowDeletionArgs),
  ];
  return [...new Set(args.map((a) => a.join(' ')))];
}

/**
 * The widest lines that delete `chosen` and nothing else the listing holds:
 * an address goes whole when every listed entry judged to it (or from it) is
 * gone, a pair when all of its entries are, else the flow. `gone` is every
 * entry being deleted (default: the chosen ones), so entries another line
 * deletes (an address that changed owner) count as gone.
 */
export function compactDeletion(chosen: readonly ConntrackEntry[], listed: readonly ConntrackEntry[], gone: ReadonlySet<ConntrackEntry> = new Set(chosen)): ConntrackDeletionRequest {
  const keys = (e: ConntrackEntry): { to: string; from: string; pair: string } => {
    const f = judgedFlow(e);
    return { to: f.to, from: f.from, pair: `${f.from} ${f.to}` };
  };
  // Per address and pair: how many listed entries stay.
  const staying = { to: new Map<string, number>(), from: new Map<string, number>(), pair: new Map<string, number>() };
  for (const e of listed) {
    if (gone.has(e)) continue;
    const k = keys(e);
    for (const kind of ['to', 'from', 'pair'] as const) staying[kind].set(k[kind], (staying[kind].get(k[kind]) ?? 0) + 1);
  }
  const destinations = new Set<string>();
  const sources = new Set<string>();
  const pairs = new Map<string, readonly [string, string]>();
  const flows: ConntrackEntry[] = [];
  for (const e of chosen) {
    const k = keys(e);
    if (!staying.to.has(k.to)) destinations.add(k.to);
    else if (!staying.from.has(k.from)) sources.add(k.from);
    else if (!staying.pair.has(k.pair)) pairs.set(k.pair, [k.from, k.to]);
    else flows.push(e);
  }
  return { destinations: [...destinations], sources: [...sources], pairs: [...pairs.values()], flows };
}
