// The classes that the redundancy checks ask the engine about, so that a
// handful of questions covers every port and every address exactly, without
// enumerating either blindly.
//
// Ports: within one protocol, the policies' port entries (a number, a range
// port..endPort, a name resolved on the destination pod) are intervals, and
// two ports that lie in the same intervals are allowed by the same entries.
// The elementary intervals between the entries' edges are the classes; the
// first port of each stands for it (explain's portClassStarts, which exact
// connection sets use too). Flows of other protocols (ICMP, ...) have no
// port and match only rules without ports: one more class.
//
// Addresses: likewise for the ipBlocks' cidrs and excepts over each family's
// address space: the first address of each block, the address just past its
// end, and the family's first address meet every class.
import ipaddr from 'ipaddr.js';
import { cidrOf } from '../../model/addresses.ts';
import type { Pod, PolicyPort, Protocol } from '../../model/types.ts';
import { OTHER_PROTOCOL_PROBE, portClassStarts } from '../../explain/connection-set.ts';
import { resolveNamedPort } from '../../policy/port-match.ts';

export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export interface PortClass {
  /** TCP, UDP, SCTP, or OTHER_PROTOCOL_PROBE standing for every protocol without ports. */
  readonly protocol: string;
  /** The port that stands for the class; undefined for portless protocols. */
  readonly port: number | undefined;
}

/** One port of every class that `entries` make on the destination `dst`, per protocol, plus the portless class (explain's port classes, as connection sets use them). */
export function portClasses(entries: readonly PolicyPort[], dst: Pod | undefined): PortClass[] {
  const rules = [{ peers: [], ports: entries }];
  const out: PortClass[] = PROTOCOLS.flatMap((protocol) => portClassStarts(rules, protocol, dst ? [dst] : []).map((port) => ({ protocol, port })));
  out.push({ protocol: OTHER_PROTOCOL_PROBE, port: undefined });
  return out;
}

/** A named-port destination's key: the ports its names resolve to, so pods that resolve alike share their classes. */
export function namedPortKey(entries: readonly PolicyPort[], dst: Pod | undefined): string {
  const named = entries.filter((rp) => typeof rp.port === 'string');
  if (named.length === 0) return '';
  if (!dst) return 'not a pod';
  return named.map((rp) => resolveNamedPort(dst, rp.port as string, rp.protocol) ?? '-').join(',');
}

/** The addresses that meet every class the cidrs make: each family's first address, each cidr's first, and the one past its last. */
export function addressClassRepresentatives(cidrs: readonly string[]): string[] {
  const out = new Set<string>(['0.0.0.0', '::']);
  for (const cidr of cidrs) {
    const { network, prefix } = cidrOf(cidr);
    out.add(network);
    const past = addressPastEnd(network, prefix);
    if (past !== undefined) out.add(past);
  }
  return [...out];
}

/** The address just past the last one of network/prefix; undefined when the block ends the address space. */
function addressPastEnd(network: string, prefix: number): string | undefined {
  const parsed = ipaddr.parse(network);
  const bytes = parsed.toByteArray();
  // Set the host bits, then add one with carry.
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] === 0xff) {
      bytes[i] = 0;
      continue;
    }
    bytes[i] = (bytes[i] as number) + 1;
    return ipaddr.fromByteArray(bytes).toString();
  }
  return undefined;
}
