// The verdict of one flow and the trace of how it was reached. This is the
// shape `policy-explain` and `nftpol test` print, and (serialized as is) the
// `flow` object of their JSON output; change it only compatibly.
import type { ClusterRuleAction, ClusterTier, Direction, Protocol, SourceRef } from '../model/types.ts';

export interface EndpointSummary {
  readonly kind: 'pod' | 'node' | 'external';
  readonly ip: string;
  /** "namespace/name" of the pod (or of the host-network pod). */
  readonly pod?: string;
  readonly node?: string;
  /** For an address in a node's pod CIDR that no known pod holds: that node. */
  readonly unknownPodOn?: string;
}

export interface FlowSummary {
  readonly from: EndpointSummary;
  readonly to: EndpointSummary;
  /** TCP, UDP, SCTP, or another IP protocol such as ICMP. */
  readonly protocol: Protocol | string;
  readonly port?: number;
}

/** A rule that allowed the flow: peer/port are indexes into from|to and ports, null = "all". */
export interface RuleMatch {
  readonly policy: string;
  readonly rule: number;
  readonly peer: number | null;
  readonly port: number | null;
  /** JSON path of the rule, e.g. spec.ingress[0]. */
  readonly field: string;
  readonly source?: SourceRef;
}

/** Why one rule did not allow the flow. */
export interface RuleMiss {
  readonly rule: number;
  readonly peerMatched: boolean;
  readonly portMatched: boolean;
  /** JSON path of the field that failed, e.g. spec.ingress[0].from[1].namespaceSelector. */
  readonly field: string;
  readonly reason: string;
}

export interface PolicyMiss {
  readonly policy: string;
  /** Set when the policy has no rules in this direction (it isolates and allows nothing). */
  readonly reason?: string;
  readonly rules: readonly RuleMiss[];
  readonly source?: SourceRef;
}

/**
 * Which step of the order decided a direction: an Admin-tier rule, the
 * NetworkPolicies that isolate the pod, a Baseline-tier rule, or the default
 * (allow). See docs/cluster-network-policy.md.
 */
export type DirectionTier = 'Admin' | 'NetworkPolicy' | 'Baseline' | 'default';

/** A cluster-wide policy rule that matched the flow: the Accept or Deny that decided, or a Pass taken. */
export interface ClusterRuleHit {
  readonly tier: ClusterTier;
  /** "cnp/name", "anp/name", "banp/default". */
  readonly policy: string;
  readonly priority: number;
  readonly rule: number;
  /** The rule's own name, when it has one. */
  readonly name?: string;
  readonly action: ClusterRuleAction;
  /** Index of the matching peer and port entry (null: the rule lists no ports). */
  readonly peer: number | null;
  readonly port: number | null;
  /** JSON path of the rule, e.g. spec.egress[2]. */
  readonly field: string;
  /** The rule had errors in the input and fails closed (see ClusterRule.failClosed). */
  readonly failClosed?: true;
  readonly source?: SourceRef;
  /** For a Pass: where evaluation went next. */
  readonly next?: Exclude<DirectionTier, 'Admin'>;
}

export interface DirectionVerdict {
  readonly direction: Direction;
  /** The pod whose policies decide this direction; absent when that end is not a pod. */
  readonly pod?: string;
  readonly isolated: boolean;
  /** Policies selecting the pod for this direction ("namespace/name"). */
  readonly policies: readonly string[];
  readonly allowed: boolean;
  readonly allowedBy: readonly RuleMatch[];
  /** For a denial: each selecting policy and why none of its rules matched. */
  readonly misses: readonly PolicyMiss[];
  /** One line saying why this direction allows or denies. */
  readonly summary: string;
  /**
   * Set when NetworkPolicy's own rule that a pod and the node it runs on always
   * talk allowed this direction (the flow's decidedBy is then "node"): the
   * NetworkPolicy rules and misses of the direction did not decide it.
   */
  readonly ownNode?: true;
  // The fields below are present only when cluster-wide policies select the pod.
  /** The step that decided this direction. */
  readonly tier?: DirectionTier;
  /** Cluster policies whose subject is the pod, in evaluation order (Admin tier first). */
  readonly clusterPolicies?: readonly string[];
  /** The Admin or Baseline rule that decided (Accept or Deny). */
  readonly decision?: ClusterRuleHit;
  /** Pass rules taken on the way, in order. */
  readonly passes?: readonly ClusterRuleHit[];
  /** Cluster policies evaluated before the decision, none of whose rules matched, and why each rule missed. */
  readonly clusterMisses?: readonly PolicyMiss[];
}

/**
 * self: a pod reaching itself; node: a pod and its own node; unknown-pod: an
 * end is an address in a node's pod CIDR that no known pod holds (nftpol fails
 * closed on it); policy: the two directions.
 */
export type Decider = 'self' | 'node' | 'unknown-pod' | 'policy';

/**
 * Something the verdict rests on that the reader must know:
 *  - sharedAddress: two or more running pods claim the flow end's address;
 *    `holder` holds it (the newest, see ClusterState) and is the pod the
 *    verdict is about, as it is for the kernel;
 *  - failClosed: a policy with errors in the input isolates an end in this
 *    direction and allows nothing (what the agent enforces for it).
 */
export type FlowNote =
  | { readonly kind: 'sharedAddress'; readonly ip: string; readonly pod: string; readonly holder: string; readonly claimants: readonly string[] }
  | { readonly kind: 'failClosed'; readonly policy: string; readonly direction: Direction; readonly pod: string; readonly source?: SourceRef };

export interface FlowVerdict {
  readonly flow: FlowSummary;
  /** Absent when there is nothing to note. */
  readonly notes?: readonly FlowNote[];
  readonly allowed: boolean;
  readonly decidedBy: Decider;
  /** Egress of the source. */
  readonly egress: DirectionVerdict;
  /** Ingress of the destination. */
  readonly ingress: DirectionVerdict;
}

/** The closest miss of a denial: the rule that came nearest and the field that failed. */
export function closestMiss(d: DirectionVerdict): { policy: string; miss: RuleMiss } | undefined {
  let best: { policy: string; miss: RuleMiss; score: number } | undefined;
  for (const pm of d.misses) {
    for (const miss of pm.rules) {
      // A rule whose peer matched is closer than one whose peer did not, even
      // when the latter has no ports (and so "matched" every port).
      const score = (miss.peerMatched ? 2 : 0) + (miss.portMatched ? 1 : 0);
      if (!best || score > best.score) best = { policy: pm.policy, miss, score };
    }
  }
  return best && { policy: best.policy, miss: best.miss };
}
