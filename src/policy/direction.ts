// One direction of a flow: the egress of the source, or the ingress of the
// destination. Allowed when the pod is not isolated in that direction, or
// when some rule of some isolating policy matches both the peer (any peer
// when the rule lists none) and the port (any port when it lists none).
// Policies are additive: one matching rule anywhere is enough.
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, NetworkPolicy, Pod, PolicyRule } from '../model/types.ts';
import { podKey, policyKey } from '../model/types.ts';
import { policyTypeOf } from './isolation.ts';
import { describeEndpoint, type Endpoint } from './endpoint.ts';
import { checkPeer, peerMatches } from './peer-match.ts';
import { checkPort, portMatches } from './port-match.ts';
import type { DirectionVerdict, PolicyMiss, RuleMatch, RuleMiss } from './trace.ts';

export interface DirectionInput {
  readonly direction: Direction;
  /** The end whose policies apply (source for egress, destination for ingress). */
  readonly subject: Endpoint;
  /** The other end: the peer the rules must match. */
  readonly other: Endpoint;
  readonly protocol: string;
  readonly port: number | undefined;
}

export function peersField(direction: Direction): 'from' | 'to' {
  return direction === 'ingress' ? 'from' : 'to';
}

/** The pod whose container ports named ports resolve against: the destination. */
function destinationPod(input: DirectionInput): Pod | undefined {
  const dst = input.direction === 'ingress' ? input.subject : input.other;
  return dst.kind === 'pod' ? dst.pod : undefined;
}

function firstMatch<T>(list: readonly T[], test: (x: T) => boolean): number | null | undefined {
  if (list.length === 0) return null; // empty = everything
  const i = list.findIndex(test);
  return i >= 0 ? i : undefined;
}

/** [peer index, port index] of the rule's first match (null = "all"), or undefined. */
export function ruleMatch(
  state: ClusterState, policy: NetworkPolicy, rule: PolicyRule, input: DirectionInput,
): [number | null, number | null] | undefined {
  const peer = firstMatch(rule.peers, (p) => peerMatches(state, policy, p, input.other));
  if (peer === undefined) return undefined;
  const dst = destinationPod(input);
  const port = firstMatch(rule.ports, (rp) => portMatches(rp, input.protocol, input.port, dst));
  return port === undefined ? undefined : [peer, port];
}

/** How far a failed check got: the higher, the closer it came to matching. */
function progress(field: string | undefined): number {
  switch (field) {
    case 'ipBlock.cidr': case 'protocol': return 0;
    case 'namespaceSelector': return 1;
    default: return 2; // the podSelector failed after the namespace matched; in an except; the port number
  }
}

/** The index of the check that came closest (first among equals). */
function closest(checks: readonly { field?: string }[]): number {
  let best = 0;
  checks.forEach((c, i) => {
    if (progress(c.field) > progress(checks[best]?.field)) best = i;
  });
  return best;
}

function explainRuleMiss(
  state: ClusterState, policy: NetworkPolicy, rule: PolicyRule, index: number, input: DirectionInput,
): RuleMiss {
  const base = `spec.${input.direction}[${index}]`;
  const peerChecks = rule.peers.map((p) => checkPeer(state, policy, p, input.other));
  const peerMatched = rule.peers.length === 0 || peerChecks.some((c) => c.matched);
  const dst = destinationPod(input);
  const portChecks = rule.ports.map((rp) => checkPort(rp, input.protocol, input.port, dst));
  const portMatched = rule.ports.length === 0 || portChecks.some((c) => c.matched);
  // The field names the peer (or port) that came closest; the reason lists them all.
  if (!peerMatched) {
    const f = peersField(input.direction);
    const j = closest(peerChecks);
    const reasons = peerChecks.map((c, i) => (peerChecks.length > 1 ? `${f}[${i}]: ${c.reason}` : `${c.reason}`));
    return { rule: index, peerMatched, portMatched, field: `${base}.${f}[${j}].${peerChecks[j]?.field ?? ''}`, reason: reasons.join('; ') };
  }
  const k = closest(portChecks);
  const reasons = portChecks.map((c, i) => (portChecks.length > 1 ? `ports[${i}]: ${c.reason}` : `${c.reason}`));
  return { rule: index, peerMatched, portMatched, field: `${base}.ports[${k}].${portChecks[k]?.field ?? ''}`, reason: reasons.join('; ') };
}

function notAPod(input: DirectionInput): DirectionVerdict {
  return {
    direction: input.direction, isolated: false, policies: [], allowed: true, allowedBy: [], misses: [],
    summary: `${describeEndpoint(input.subject)} is not a pod: no ${input.direction} policy applies`,
  };
}

/**
 * The verdict for one direction with its trace: every rule that allows the
 * flow, and for each isolating policy that does not, why none of its rules
 * matched. (PolicyEngine.allows answers the verdict alone, without a trace.)
 */
export function decideDirection(state: ClusterState, policies: readonly NetworkPolicy[], input: DirectionInput): DirectionVerdict {
  if (input.subject.kind !== 'pod') return notAPod(input);
  const pod = podKey(input.subject.pod);
  if (policies.length === 0) {
    return {
      direction: input.direction, pod, isolated: false, policies: [], allowed: true, allowedBy: [], misses: [],
      summary: `${pod} is not isolated for ${input.direction}: no policy selects it with policyTypes ${policyTypeOf(input.direction)}`,
    };
  }
  const names = policies.map(policyKey);
  const allowedBy: RuleMatch[] = [];
  const misses: PolicyMiss[] = [];
  policies.forEach((policy, p) => {
    const rules = policy[input.direction];
    const ruleMisses: RuleMiss[] = [];
    let allows = false;
    rules.forEach((rule, i) => {
      const m = ruleMatch(state, policy, rule, input);
      if (m) {
        allows = true;
        allowedBy.push({
          policy: names[p] as string, rule: i, peer: m[0], port: m[1], field: `spec.${input.direction}[${i}]`,
          ...(policy.source ? { source: policy.source } : {}),
        });
      } else {
        ruleMisses.push(explainRuleMiss(state, policy, rule, i, input));
      }
    });
    if (!allows) {
      misses.push({
        policy: names[p] as string,
        rules: ruleMisses,
        ...(policy.source ? { source: policy.source } : {}),
        ...(rules.length === 0 ? { reason: `it has no ${input.direction} rules: it isolates ${pod} and allows nothing` } : {}),
      });
    }
  });
  const allowed = allowedBy.length > 0;
  const first = allowedBy[0];
  const summary = first
    ? `${pod} ${input.direction} allowed by ${first.policy} ${first.field}`
    : `${pod} is isolated for ${input.direction} by ${names.join(', ')} and no rule matches`;
  return { direction: input.direction, pod, isolated: true, policies: names, allowed, allowedBy, misses: allowed ? [] : misses, summary };
}
