// Rules that never take effect because something earlier always decides,
// found exactly on the flow classes of cluster-flows.ts:
//  - cluster-rule-shadowed: a cluster rule that never matches first in its
//    tier: every flow it matches is decided (or passed) by an earlier rule
//    of its policy or by a policy of the same tier evaluated before it
//    (lower priority number; equal priorities by name, then kind);
//  - networkpolicy-rule-overridden: a NetworkPolicy rule every flow of which
//    an Admin Accept or Deny decides first, so NetworkPolicy never gets to it
//    (the "Deny rules that NetworkPolicy can never reach", read as the
//    operator meets it: the namespace owner's rule that the admin overrides);
//  - baseline-rule-unreachable: a Baseline rule every flow of which the Admin
//    tier or NetworkPolicy (isolating the pods it selects) decides first.
// A rule that matches no flow at all is none of these (nothing decides it).
import { actionWord, clusterPolicyKey } from '../../model/types.ts';
import { clusterPolicyFinding, firstFew, policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, type LintContext } from '../lint-context.ts';
import { fatesOf, networkRuleKey, ruleKey, type ClusterFlowFates, type ClusterRuleAt } from './cluster-flows.ts';

/** `cnp/a spec.ingress[0] "name" (Deny, Admin tier, priority 10)`, the action as the policy's API writes it (Allow for anp/, banp/) */
export function describeClusterRuleAt(at: ClusterRuleAt): string {
  const name = at.rule.name !== undefined ? ` "${at.rule.name}"` : '';
  return `${clusterPolicyKey(at.policy)} spec.${at.direction}[${at.index}]${name} (${actionWord(at.policy, at.rule.action)}, ${at.policy.tier} tier, priority ${at.policy.priority})`;
}

function deciders(fates: ClusterFlowFates, keys: Iterable<string>): string {
  const names = [...keys].map((k) => (k === 'NetworkPolicy' ? 'NetworkPolicy (it isolates the pods this policy selects)' : fates.places.get(k))).map((x) =>
    (typeof x === 'string' ? x : x === undefined ? '?' : describeClusterRuleAt(x)));
  return firstFew(names);
}

function everyClusterRule(ctx: LintContext): ClusterRuleAt[] {
  const out: ClusterRuleAt[] = [];
  for (const policy of ctx.state.clusterPolicies.values()) {
    for (const direction of ['ingress', 'egress'] as const) policy[direction].forEach((rule, index) => out.push({ policy, direction, index, rule }));
  }
  return out;
}

export function checkClusterRuleShadowed(ctx: LintContext): LintFinding[] {
  const fates = fatesOf(ctx);
  return everyClusterRule(ctx).flatMap((at) => {
    const f = fates.cluster.get(ruleKey(at));
    if (f === undefined || !f.matched || f.first) return [];
    const sameTier = at.policy.tier;
    return [clusterPolicyFinding('cluster-rule-shadowed', 'warning', at.policy, `spec.${at.direction}[${at.index}]`,
      `this ${actionWord(at.policy, at.rule.action)} rule never decides: every flow it matches is decided first, in the ${sameTier} tier, by ${deciders(fates, f.shadowedBy)}; ` +
      'removing it changes no verdict (move it up, or lower its policy\'s priority number)')];
  });
}

export function checkNetworkPolicyRuleOverridden(ctx: LintContext): LintFinding[] {
  const fates = fatesOf(ctx);
  if (fates.network.size === 0) return [];
  return ctx.state.policies.flatMap((policy) => effectiveRules(policy).flatMap((at) => {
    const f = fates.network.get(networkRuleKey(policy, at.direction, at.index));
    if (f === undefined || !f.matched || f.reached) return [];
    return [policyFinding('networkpolicy-rule-overridden', 'warning', policy, at.field,
      `this rule never takes effect: the Admin tier decides every flow it allows before NetworkPolicy is asked (${deciders(fates, f.overriddenBy)}); ` +
      'removing it changes no verdict while those cluster policies stand')];
  }));
}

export function checkBaselineRuleUnreachable(ctx: LintContext): LintFinding[] {
  const fates = fatesOf(ctx);
  return everyClusterRule(ctx).filter((at) => at.policy.tier === 'Baseline').flatMap((at) => {
    const f = fates.cluster.get(ruleKey(at));
    if (f === undefined || !f.matched || f.reached || !f.first) return [];
    return [clusterPolicyFinding('baseline-rule-unreachable', 'warning', at.policy, `spec.${at.direction}[${at.index}]`,
      `this ${actionWord(at.policy, at.rule.action)} rule is never reached: for every flow it matches, ${deciders(fates, f.overriddenBy)} decides first ` +
      '(the Baseline tier applies only to pods no NetworkPolicy isolates in that direction, after the Admin tier)')];
  });
}
