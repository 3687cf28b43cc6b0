// One direction of a flow in the full order of docs/cluster-network-policy.md:
//  1. Admin tier: the first matching rule of the pod's Admin policies decides
//     (Accept allows, Deny denies); Pass goes on to 2;
//  2. NetworkPolicy: when NetworkPolicies isolate the pod in this direction,
//     they decide (direction.ts), and Baseline does not apply;
//  3. Baseline tier: as 1; Pass goes on to 4;
//  4. allow.
// (That a pod and its own node always talk is NetworkPolicy's rule: the
// engine applies it where step 2 would decide, see engine.ts.)
import type { ClusterState } from '../model/cluster-state.ts';
import type { ClusterPolicy, ClusterRuleAction, NetworkPolicy } from '../model/types.ts';
import { actionWord, clusterPolicyKey, podKey } from '../model/types.ts';
import { ruleHit, tierMatch, TierTrace, type TierMatch } from './cluster-tier.ts';
import { directionAllows, traceDirection, untracedDirection, type DirectionInput } from './direction.ts';
import type { ClusterRuleHit, DirectionTier, DirectionVerdict, PolicyMiss, RuleMatch } from './trace.ts';

/** The cluster policies whose subject is a pod, with rules in one direction, each tier in evaluation order. */
export interface TierPolicies {
  readonly admin: readonly ClusterPolicy[];
  readonly baseline: readonly ClusterPolicy[];
}

export const NO_TIERS: TierPolicies = { admin: [], baseline: [] };

export interface DirectionOutcome {
  readonly allowed: boolean;
  readonly tier: DirectionTier;
}

const ALLOW_DEFAULT: DirectionOutcome = { allowed: true, tier: 'default' };

/**
 * How the steps of one direction are answered for a pod subject: by matching
 * peers and ports rule by rule (directionOutcome), or from the peers of one
 * pair matched beforehand (pair.ts). `C` is what the answers need.
 */
export interface TierSteps<C> {
  /** The action of the first rule of the tier's policies that matches, if any. */
  tier(c: C, tier: 'admin' | 'baseline'): ClusterRuleAction | undefined;
  /** Whether NetworkPolicies isolate the subject in this direction. */
  isolated(c: C): boolean;
  /** Whether some rule of the isolating NetworkPolicies allows the flow. */
  networkPolicyAllows(c: C): boolean;
}

/** A tier's action when it is final for the direction: Pass goes on. */
function final(action: ClusterRuleAction | undefined): 'Accept' | 'Deny' | undefined {
  return action === 'Pass' ? undefined : action;
}

/** The order of the steps (the top of this file), whoever answers them: the one place it is written. */
export function outcomeOfSteps<C>(steps: TierSteps<C>, c: C): DirectionOutcome {
  const admin = final(steps.tier(c, 'admin'));
  if (admin !== undefined) return { allowed: admin === 'Accept', tier: 'Admin' };
  if (steps.isolated(c)) return { allowed: steps.networkPolicyAllows(c), tier: 'NetworkPolicy' };
  const baseline = final(steps.tier(c, 'baseline'));
  if (baseline !== undefined) return { allowed: baseline === 'Accept', tier: 'Baseline' };
  return ALLOW_DEFAULT;
}

/** The outcome of a direction whose subject is not a pod: no policy applies. */
export const NOT_A_POD_OUTCOME = ALLOW_DEFAULT;

interface PlainQuestion {
  readonly state: ClusterState;
  readonly tiers: TierPolicies;
  readonly isolating: readonly NetworkPolicy[];
  readonly input: DirectionInput;
}

function actionOf(m: TierMatch | undefined, direction: DirectionInput['direction']): ClusterRuleAction | undefined {
  return m?.policy[direction][m.rule]?.action;
}

/** The steps answered rule by rule, ports before peers (cluster-tier.ts, direction.ts). */
const MATCHING: TierSteps<PlainQuestion> = {
  tier: (q, tier) => actionOf(tierMatch(q.state, q.tiers[tier], q.input), q.input.direction),
  isolated: (q) => q.isolating.length > 0,
  networkPolicyAllows: (q) => directionAllows(q.state, q.isolating, q.input),
};

/** The verdict of one direction and the step that gave it, without a trace. */
export function directionOutcome(
  state: ClusterState, tiers: TierPolicies, isolating: readonly NetworkPolicy[], input: DirectionInput,
): DirectionOutcome {
  if (input.subject.kind !== 'pod') return ALLOW_DEFAULT;
  return outcomeOfSteps(MATCHING, { state, tiers, isolating, input });
}

/** A cluster rule that matched, in words: `cnp/x spec.ingress[1] "name" (Deny, Admin tier, priority 20)`; the action as its API writes it (Allow for anp/, banp/). */
export function clusterRuleText(h: ClusterRuleHit): string {
  const name = h.name !== undefined ? ` "${h.name}"` : '';
  const closed = h.failClosed === true ? ', failing closed: the rule has errors in the input' : '';
  return `${h.policy} ${h.field}${name} (${actionWord(h.policy, h.action)}, ${h.tier} tier, priority ${h.priority}${closed})`;
}

function asRuleMatch(h: ClusterRuleHit): RuleMatch {
  return { policy: h.policy, rule: h.rule, peer: h.peer, port: h.port, field: h.field, ...(h.source && { source: h.source }) };
}

/**
 * The verdict of one direction with its trace across tiers. Without cluster
 * policies selecting the pod it is exactly traceDirection's (no tier fields).
 */
export function traceTiers(
  state: ClusterState, tiers: TierPolicies, isolating: readonly NetworkPolicy[], input: DirectionInput,
): DirectionVerdict {
  if (input.subject.kind !== 'pod' || (tiers.admin.length === 0 && tiers.baseline.length === 0)) return traceDirection(state, isolating, input);
  const subject = input.subject.pod;
  const pod = podKey(subject);
  const dir = input.direction;
  const clusterPolicies = [...tiers.admin, ...tiers.baseline].map(clusterPolicyKey);
  const clusterMisses: PolicyMiss[] = [];
  const passes: ClusterRuleHit[] = [];
  const common = { clusterPolicies, clusterMisses, passes };

  const decided = (base: DirectionVerdict, m: TierMatch, tier: 'Admin' | 'Baseline', prefix: string): DirectionVerdict => {
    const hit = ruleHit(m, dir);
    const allowed = hit.action === 'Accept';
    return {
      ...base, ...common, allowed, tier, decision: hit,
      allowedBy: allowed ? [asRuleMatch(hit)] : [], misses: [],
      summary: `${prefix}${pod} ${dir} ${allowed ? 'allowed' : 'denied'} by ${clusterRuleText(hit)}`,
    };
  };

  const adminTrace = new TierTrace();
  const admin = tierMatch(state, tiers.admin, input, adminTrace);
  clusterMisses.push(...adminTrace.misses);
  // An Admin decision leaves NetworkPolicy's rules untraced: the verdict keeps only who its policies are.
  if (admin && final(actionOf(admin, dir)) !== undefined) return decided(untracedDirection(isolating, dir, subject), admin, 'Admin', '');
  const base = traceDirection(state, isolating, input);
  let prefix = '';
  if (admin) {
    // Pass leaves the Admin tier for the next step, NetworkPolicy (which, when it does not isolate the pod, hands on to Baseline).
    const hit = ruleHit(admin, dir, 'NetworkPolicy');
    passes.push(hit);
    prefix = `${clusterRuleText(hit)} passes to NetworkPolicy; `;
  }
  if (isolating.length > 0) return { ...base, ...common, tier: 'NetworkPolicy', summary: `${prefix}${base.summary}` };

  const baselineTrace = new TierTrace();
  const baseline = tierMatch(state, tiers.baseline, input, baselineTrace);
  clusterMisses.push(...baselineTrace.misses);
  const notIsolated = `${prefix}${pod} is not isolated for ${dir} by any NetworkPolicy; `;
  if (baseline && final(actionOf(baseline, dir)) !== undefined) return decided(base, baseline, 'Baseline', notIsolated);
  if (baseline) {
    const hit = ruleHit(baseline, dir, 'default');
    passes.push(hit);
    return { ...base, ...common, tier: 'default', allowed: true, summary: `${notIsolated}${clusterRuleText(hit)} passes: allowed by default` };
  }
  const none = admin ? 'no Baseline rule matches' : 'no Admin or Baseline rule matches';
  return { ...base, ...common, tier: 'default', allowed: true, summary: `${notIsolated}${none}: allowed by default` };
}
