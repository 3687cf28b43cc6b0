// One direction of a flow: the egress of the source, or the ingress of the
// destination. Allowed when the pod is not isolated in that direction, or
// when some rule of some isolating policy matches both the peer (any peer
// when the rule lists none) and the port (any port when it lists none).
// Policies are additive: one matching rule anywhere is enough.
//
// One evaluation serves both the bare verdict and the trace: without a
// tracer the first matching rule ends it; with one every rule of every
// policy is checked, and each rule that misses says which field failed, why.
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, NetworkPolicy, Pod, PolicyRule } from '../model/types.ts';
import { podKey, policyKey } from '../model/types.ts';
import { policyTypeOf } from './isolation.ts';
import { describeEndpoint, type Endpoint } from './endpoint.ts';
import { peerMiss } from './peer-match.ts';
import { portMiss } from './port-match.ts';
import type { DirectionVerdict, PolicyMiss, RuleMatch, RuleMiss } from './trace.ts';
import { Tracer, type Miss } from './tracer.ts';

/** One direction's ends, whatever the port. */
export interface DirectionEnds {
  readonly direction: Direction;
  /** The end whose policies apply (source for egress, destination for ingress). */
  readonly subject: Endpoint;
  /** The other end: the peer the rules must match. */
  readonly other: Endpoint;
}

export interface DirectionInput extends DirectionEnds {
  readonly protocol: string;
  readonly port: number | undefined;
}

export function peersField(direction: Direction): 'from' | 'to' {
  return direction === 'ingress' ? 'from' : 'to';
}

/** The pod whose container ports named ports resolve against: the destination. */
export function destinationPod(ends: DirectionEnds): Pod | undefined {
  const dst = ends.direction === 'ingress' ? ends.subject : ends.other;
  return dst.kind === 'pod' ? dst.pod : undefined;
}

/** A traced rule check: the misses of its peers, then of its ports, in order, up to the first that matched. */
interface RuleTrace extends Tracer {
  readonly peerMisses: Miss[];
  readonly portMisses: Miss[];
}

/** Index of the first entry that matches (null when the list is empty: empty = everything), or undefined. */
function firstMatch<T>(list: readonly T[], check: (x: T) => Miss | undefined, misses: Miss[] | undefined): number | null | undefined {
  if (list.length === 0) return null;
  for (let i = 0; i < list.length; i++) {
    const miss = check(list[i] as T);
    if (miss === undefined) return i;
    misses?.push(miss);
  }
  return undefined;
}

/**
 * [peer index, port index] of the rule's first match (null = "all"), or
 * undefined. A traced check also tries the ports when no peer matched, so
 * that the trace can say whether they did.
 */
export function ruleMatch(
  state: ClusterState, policy: NetworkPolicy, rule: PolicyRule, input: DirectionInput, trace?: RuleTrace,
): [number | null, number | null] | undefined {
  const peer = firstMatch(rule.peers, (p) => peerMiss(state, policy, p, input.other, trace), trace?.peerMisses);
  if (peer === undefined && trace === undefined) return undefined;
  const dst = destinationPod(input);
  const port = firstMatch(rule.ports, (rp) => portMiss(rp, input.protocol, input.port, dst, trace), trace?.portMisses);
  return peer === undefined || port === undefined ? undefined : [peer, port];
}

/** The index of the miss that got furthest (first among equals). */
export function closest(misses: readonly Miss[]): number {
  let best = 0;
  misses.forEach((m, i) => {
    if (m.stage > (misses[best] as Miss).stage) best = i;
  });
  return best;
}

/** False when every entry missed; an empty list matches everything. */
function someMatched(list: readonly unknown[], misses: readonly Miss[]): boolean {
  return list.length === 0 || misses.length < list.length;
}

/**
 * The tracer of one direction. Matchers hand it their reasons and ruleMatch
 * the misses of the rule being checked; it keeps every rule that allows and,
 * for each policy none of whose rules does, why each of them missed.
 */
class DirectionTrace extends Tracer implements RuleTrace {
  readonly allowedBy: RuleMatch[] = [];
  readonly misses: PolicyMiss[] = [];
  readonly peerMisses: Miss[] = [];
  readonly portMisses: Miss[] = [];
  private ruleMisses: RuleMiss[] = [];
  private readonly direction: Direction;
  private readonly pod: string;

  constructor(direction: Direction, pod: string) {
    super();
    this.direction = direction;
    this.pod = pod;
  }

  matched(policy: NetworkPolicy, rule: number, [peer, port]: [number | null, number | null]): void {
    this.allowedBy.push({
      policy: policyKey(policy), rule, peer, port, field: `spec.${this.direction}[${rule}]`,
      ...(policy.source ? { source: policy.source } : {}),
    });
    this.nextRule();
  }

  missed(rule: PolicyRule, index: number): void {
    const peerMatched = someMatched(rule.peers, this.peerMisses);
    const portMatched = someMatched(rule.ports, this.portMisses);
    // The field names the peer (or port) that came closest; the reason lists them all.
    const list = peerMatched ? 'ports' : peersField(this.direction);
    const misses = peerMatched ? this.portMisses : this.peerMisses;
    const j = closest(misses);
    const reasons = misses.map((m, i) => (misses.length > 1 ? `${list}[${i}]: ${m.reason}` : `${m.reason}`));
    this.ruleMisses.push({
      rule: index, peerMatched, portMatched, field: `spec.${this.direction}[${index}].${list}[${j}].${misses[j]?.field ?? ''}`, reason: reasons.join('; '),
    });
    this.nextRule();
  }

  private nextRule(): void {
    this.peerMisses.length = 0;
    this.portMisses.length = 0;
  }

  endPolicy(policy: NetworkPolicy, allows: boolean): void {
    const rules = this.ruleMisses;
    this.ruleMisses = [];
    if (allows) return;
    this.misses.push({
      policy: policyKey(policy),
      rules,
      ...(policy.source ? { source: policy.source } : {}),
      ...(policy.failClosed === true
        ? { reason: `it has errors in the input: failing closed, it isolates ${this.pod} and allows nothing` }
        : policy[this.direction].length === 0 ? { reason: `it has no ${this.direction} rules: it isolates ${this.pod} and allows nothing` } : {}),
    });
  }
}

/**
 * The verdict for one direction, given the policies that isolate its subject
 * (none when it is not a pod, or not isolated). Without a tracer the first
 * rule that allows answers; with one every rule of every policy is checked
 * and recorded.
 */
export function directionAllows(
  state: ClusterState, policies: readonly NetworkPolicy[], input: DirectionInput, trace?: DirectionTrace,
): boolean {
  if (policies.length === 0) return true;
  let allowed = false;
  for (const policy of policies) {
    const rules = policy[input.direction];
    let allows = false;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as PolicyRule;
      const m = ruleMatch(state, policy, rule, input, trace);
      if (m && !trace) return true; // one matching rule is enough; only a trace wants the others
      if (m) {
        allows = true;
        trace?.matched(policy, i, m);
      } else {
        trace?.missed(rule, i);
      }
    }
    trace?.endPolicy(policy, allows);
    allowed ||= allows;
  }
  return allowed;
}

function notAPod(input: DirectionInput): DirectionVerdict {
  // A host-network pod is a pod, but one that shares its node's address and
  // network: policies never select it (upstream leaves it out of NetworkPolicy).
  const subject = input.subject;
  const why = subject.kind === 'node' && subject.hostPod !== undefined
    ? `uses its node's network: no ${input.direction} policy applies to host-network pods`
    : `is not a pod: no ${input.direction} policy applies`;
  return {
    direction: input.direction, isolated: false, policies: [], allowed: true, allowedBy: [], misses: [],
    summary: `${describeEndpoint(subject)} ${why}`,
  };
}

/**
 * The verdict for one direction with its trace: every rule that allows the
 * flow, and for each isolating policy that does not, why none of its rules
 * matched. (directionAllows without a tracer is PolicyEngine.allows.)
 */
export function traceDirection(state: ClusterState, policies: readonly NetworkPolicy[], input: DirectionInput): DirectionVerdict {
  if (input.subject.kind !== 'pod') return notAPod(input);
  const pod = podKey(input.subject.pod);
  if (policies.length === 0) {
    return {
      direction: input.direction, pod, isolated: false, policies: [], allowed: true, allowedBy: [], misses: [],
      summary: `${pod} is not isolated for ${input.direction}: no policy selects it with policyTypes ${policyTypeOf(input.direction)}`,
    };
  }
  const trace = new DirectionTrace(input.direction, pod);
  const allowed = directionAllows(state, policies, input, trace);
  const names = policies.map(policyKey);
  const first = trace.allowedBy[0];
  const summary = first
    ? `${pod} ${input.direction} allowed by ${first.policy} ${first.field}`
    : `${pod} is isolated for ${input.direction} by ${names.join(', ')} and no rule matches`;
  return { direction: input.direction, pod, isolated: true, policies: names, allowed, allowedBy: trace.allowedBy, misses: allowed ? [] : trace.misses, summary };
}

/**
 * A pod's direction as traceDirection says it, before any rule is traced:
 * whether NetworkPolicies isolate it and which; the fields a trace fills in
 * (allowed, allowedBy, misses, summary) empty, in their places, for the
 * verdict of a tier that decided before NetworkPolicy to fill.
 */
export function untracedDirection(policies: readonly NetworkPolicy[], direction: Direction, pod: Pod): DirectionVerdict {
  return {
    direction, pod: podKey(pod), isolated: policies.length > 0, policies: policies.map(policyKey),
    allowed: true, allowedBy: [], misses: [], summary: '',
  };
}
