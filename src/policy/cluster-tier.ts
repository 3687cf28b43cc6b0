// One tier of cluster-wide policy (Admin or Baseline) for one direction of a
// pod: its policies in evaluation order (priority, see
// compareClusterPolicies), and within a policy its rules of that direction in
// order. The first rule whose peers and ports both match decides: Accept and
// Deny are final for the direction, Pass leaves the tier. No match: the tier
// has nothing to say and evaluation goes on.
//
// As in direction.ts, one walk serves the bare verdict and the trace: with a
// tracer every rule evaluated before the decision records why it missed.
import type { ClusterState } from '../model/cluster-state.ts';
import type { ClusterPolicy, ClusterRule } from '../model/types.ts';
import { clusterPolicyKey } from '../model/types.ts';
import { clusterPeerMiss, clusterPortMiss, clusterPortsMatch } from './cluster-match.ts';
import { closest, destinationPod, type DirectionInput } from './direction.ts';
import type { ClusterRuleHit, PolicyMiss, RuleMiss } from './trace.ts';
import { Tracer, type Miss } from './tracer.ts';

/** The rule that matched: its policy, index and the peer/port entries that matched (null: no ports listed). */
export interface TierMatch {
  readonly policy: ClusterPolicy;
  readonly rule: number;
  readonly peer: number;
  readonly port: number | null;
}

/** The ports field's name in each API version. */
function portsField(policy: ClusterPolicy): string {
  return policy.kind === 'ClusterNetworkPolicy' ? 'protocols' : 'ports';
}


/** Collects, per policy evaluated, why each of its rules missed. */
export class TierTrace extends Tracer {
  readonly misses: PolicyMiss[] = [];
  private current: RuleMiss[] = [];
  readonly peerMisses: Miss[] = [];
  readonly portMisses: Miss[] = [];

  missed(policy: ClusterPolicy, rule: ClusterRule, index: number, direction: DirectionInput['direction']): void {
    const peers = direction === 'ingress' ? 'from' : 'to';
    const peerMatched = rule.peers.length > 0 && this.peerMisses.length < rule.peers.length;
    const portMatched = rule.ports.length === 0 || this.portMisses.length < rule.ports.length;
    const list = peerMatched ? portsField(policy) : peers;
    const misses = peerMatched ? this.portMisses : this.peerMisses;
    const reasons = misses.map((m, i) => (misses.length > 1 ? `${list}[${i}]: ${m.reason ?? ''}` : m.reason ?? ''));
    const j = closest(misses);
    const emptyAccept = rule.peers.length === 0;
    this.current.push({
      rule: index, peerMatched, portMatched,
      field: emptyAccept ? `spec.${direction}[${index}]` : `spec.${direction}[${index}].${list}[${j}].${misses[j]?.field ?? ''}`,
      reason: emptyAccept ? 'the rule has errors in the input: failing closed, this Accept rule matches nothing' : reasons.join('; '),
    });
    this.peerMisses.length = 0;
    this.portMisses.length = 0;
  }

  endPolicy(policy: ClusterPolicy, matched: boolean, direction: DirectionInput['direction']): void {
    const rules = this.current;
    this.current = [];
    // The policy that decided keeps the misses of its rules before the one that matched: why they did not decide.
    if (matched && rules.length === 0) return;
    this.misses.push({
      policy: clusterPolicyKey(policy), rules,
      ...(!matched && policy[direction].length === 0 && { reason: `it has no ${direction} rules` }),
      ...(policy.source && { source: policy.source }),
    });
  }
}

/** [peer index, port index] of the rule's match, or undefined. A traced check also tries the ports when no peer matched. */
function ruleMatch(state: ClusterState, rule: ClusterRule, input: DirectionInput, trace?: TierTrace): [number, number | null] | undefined {
  // Untraced, the ports go first: comparing numbers is cheaper than matching
  // label selectors, and most rules that name ports miss on them.
  if (trace === undefined && !clusterPortsMatch(rule.ports, input.protocol, input.port, destinationPod(input))) return undefined;
  let peer: number | undefined;
  for (let i = 0; i < rule.peers.length && peer === undefined; i++) {
    const miss = clusterPeerMiss(state, rule.peers[i] as ClusterRule['peers'][number], input.other, trace);
    if (miss === undefined) peer = i;
    else trace?.peerMisses.push(miss);
  }
  if (peer === undefined && trace === undefined) return undefined;
  const dstPod = destinationPod(input);
  let port: number | null | undefined = rule.ports.length === 0 ? null : undefined;
  for (let i = 0; i < rule.ports.length && port === undefined; i++) {
    const miss = clusterPortMiss(rule.ports[i] as ClusterRule['ports'][number], input.protocol, input.port, dstPod, trace);
    if (miss === undefined) port = i;
    else trace?.portMisses.push(miss);
  }
  return peer === undefined || port === undefined ? undefined : [peer, port];
}

/** The first rule of the tier's policies (in order) that matches the flow, or undefined. */
export function tierMatch(state: ClusterState, policies: readonly ClusterPolicy[], input: DirectionInput, trace?: TierTrace): TierMatch | undefined {
  for (const policy of policies) {
    const rules = policy[input.direction];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as ClusterRule;
      const m = ruleMatch(state, rule, input, trace);
      if (m) {
        trace?.endPolicy(policy, true, input.direction);
        return { policy, rule: i, peer: m[0], port: m[1] };
      }
      trace?.missed(policy, rule, i, input.direction);
    }
    trace?.endPolicy(policy, false, input.direction);
  }
  return undefined;
}

/** The match as the trace reports it. */
export function ruleHit(m: TierMatch, direction: DirectionInput['direction'], next?: ClusterRuleHit['next']): ClusterRuleHit {
  const rule = m.policy[direction][m.rule] as ClusterRule;
  return {
    tier: m.policy.tier, policy: clusterPolicyKey(m.policy), priority: m.policy.priority, rule: m.rule,
    ...(rule.name !== undefined && { name: rule.name }),
    action: rule.action, peer: m.peer, port: m.port, field: `spec.${direction}[${m.rule}]`,
    ...(rule.failClosed === true && { failClosed: true as const }),
    ...(m.policy.source && { source: m.policy.source }),
    ...(next !== undefined && { next }),
  };
}
