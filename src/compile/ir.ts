// Node IR: everything one node must enforce, as plain data with no nft
// syntax. The renderer (src/nft) turns it into an nft script; the syncer
// applies that script whole, in one transaction.
// Names in here are the kernel object names, stable across syncs.
import { cidrFamily, familyOf, IP_FAMILIES, type IPFamily } from '../model/addresses.ts';
import type { ClusterTier, Direction, Protocol } from '../model/types.ts';

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

/**
 * Which cluster tiers a local pod's direction goes through: `admin` when an
 * Admin-tier policy with rules in the direction selects it; `baseline` when
 * a Baseline-tier one does and no NetworkPolicy isolates it (NetworkPolicy
 * decides before Baseline for the pods it isolates).
 */
export interface TierEntry {
  readonly admin: boolean;
  readonly baseline: boolean;
}

export interface LocalPod {
  /** "namespace/name". */
  readonly pod: string;
  readonly ips: readonly string[];
  readonly ingress: PodDirection;
  readonly egress: PodDirection;
  /** Absent when no cluster policy selects the pod in either direction. */
  readonly tiers?: { readonly ingress: TierEntry; readonly egress: TierEntry };
}

/** What a cluster rule does when it matches: Accept, Deny, Pass (leave the tier). */
export type ClusterVerdict = 'accept' | 'drop' | 'return';

/** One (peer, port) alternative of a cluster policy rule, with the rule's action. */
export interface ClusterRuleIR {
  readonly peer: PeerMatch;
  readonly port: PortMatch;
  readonly verdict: ClusterVerdict;
  /** Provenance: "cnp/name spec.egress[2] (rule name) to[0] protocols[1]". */
  readonly comment: string;
}

/**
 * One cluster policy in one direction on this node. Its tier's chain
 * (admin-out, baseline-in, ...) jumps to it for the pods it selects, one
 * rule per policy in evaluation order, so nesting stays two deep however many
 * policies the tier has: Accept and Deny are final, a Pass leaves the whole
 * tier (Admin: goto the chain that holds what the base chains do after the
 * tier; Baseline: accept, as nothing after it denies), and no match returns
 * to the tier chain, which goes on to the next policy.
 */
export interface ClusterPolicyChain {
  readonly name: string;
  /** clusterPolicyKey: "cnp/name", "anp/name", "banp/default". */
  readonly policy: string;
  readonly tier: ClusterTier;
  readonly priority: number;
  readonly direction: Direction;
  /** The sets of this node's pods the policy selects, one per node family. */
  readonly subjects: readonly { readonly family: IPFamily; readonly set: string }[];
  readonly rules: readonly ClusterRuleIR[];
  /** The policy had errors in the input (its rules are what the sources made it fail closed with). */
  readonly failClosed?: true;
}

/** The policy chains of each tier and direction in evaluation order (the tier chain jumps to them in this order). */
export interface ClusterTierChains {
  readonly admin: readonly string[];
  readonly baseline: readonly string[];
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
  /** Cluster policy chains on this node, sorted by name; absent when there are none. */
  readonly clusterChains?: readonly ClusterPolicyChain[];
  /** The entry order of each tier per direction; absent with clusterChains. */
  readonly tiers?: { readonly ingress: ClusterTierChains; readonly egress: ClusterTierChains };
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
