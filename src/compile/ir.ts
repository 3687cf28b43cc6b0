// Node IR: everything one node must enforce, as plain data with no nft
// syntax. The renderer (src/nft) turns it into an nft script; the syncer
// applies that script whole, in one transaction.
// Names in here are the kernel object names, stable across syncs.
import { cidrFamily, familyOf, IP_FAMILIES, type IPFamily } from '../model/addresses.ts';
import type { Direction, Protocol } from '../model/types.ts';

/**
 * A named set.
 *  - address: exact pod addresses (plain set: they change with every pod);
 *  - prefix: ipBlock prefixes (interval set);
 *  - address-port: "address . protocol . port" triples of named ports.
 */
export interface NamedSet {
  readonly name: string;
  readonly family: IPFamily;
  readonly type: 'address' | 'prefix' | 'address-port';
  /** Sorted, canonical. For address-port: { address, protocol, port }. */
  readonly elements: readonly string[] | readonly AddressPort[];
  /** What the set selects, in words ("pods app=api in namespace shop"). */
  readonly comment: string;
}

export interface AddressPort {
  readonly address: string;
  readonly protocol: Protocol;
  readonly port: number;
}

/** Which peers a rule allows: any, or the addresses in a set. */
export type PeerMatch = { readonly kind: 'any' } | { readonly kind: 'set'; readonly set: string; readonly family: IPFamily };

/** Which ports a rule allows. */
export type PortMatch =
  | { readonly kind: 'any' }
  | { readonly kind: 'protocol'; readonly protocol: Protocol }
  | { readonly kind: 'range'; readonly protocol: Protocol; readonly from: number; readonly to: number }
  /** Destination address . protocol . port in a set (named ports resolved per pod). */
  | { readonly kind: 'named'; readonly set: string; readonly family: IPFamily };

/** One accept rule of a policy chain: the peer and the port both match. */
export interface AllowRule {
  readonly peer: PeerMatch;
  readonly port: PortMatch;
  /** Provenance: "ns/policy ingress[0] from[1] ports[0]". */
  readonly comment: string;
}

/** The rules of one policy in one direction, shared by every local pod it selects. */
export interface PolicyChain {
  readonly name: string;
  /** "namespace/name". */
  readonly policy: string;
  readonly direction: Direction;
  readonly rules: readonly AllowRule[];
  /** The policy had errors in the input: it keeps no rules, so the pods it isolates get nothing from it. */
  readonly failClosed?: true;
}

export type PodDirection =
  | { readonly isolated: false }
  | { readonly isolated: true; readonly chain: string; readonly policyChains: readonly string[] };

export interface LocalPod {
  /** "namespace/name". */
  readonly pod: string;
  readonly ips: readonly string[];
  readonly ingress: PodDirection;
  readonly egress: PodDirection;
}

export interface NodeIR {
  readonly node: string;
  /** The node's pod CIDRs: a local address in them that no pod holds is dropped (fail closed). */
  readonly podCidrs: readonly string[];
  /** Sorted by pod key. */
  readonly pods: readonly LocalPod[];
  /** Sorted by name. */
  readonly policyChains: readonly PolicyChain[];
  /** Sorted by name. */
  readonly sets: readonly NamedSet[];
}

/**
 * The address families a node's table covers: those of its pod CIDRs and of
 * its local pods' addresses (a pod may hold an address outside its node's
 * CIDRs). A packet of another family never reaches a pod of this node, so a
 * table carries no sets, rules or dispatch for it: an IPv4-only node has no
 * IPv6 in its table, a dual-stack node has both, a node with neither pod
 * CIDRs nor pods has none.
 */
export function nodeFamilies(ir: { readonly podCidrs: readonly string[]; readonly pods: readonly { readonly ips: readonly string[] }[] }): IPFamily[] {
  const present = new Set<IPFamily>([...ir.podCidrs.map(cidrFamily), ...ir.pods.flatMap((p) => p.ips.map(familyOf))]);
  return IP_FAMILIES.filter((f) => present.has(f));
}
