// Checks on cluster-wide policies that need no flows:
//  - pass-with-nothing-below: an Admin Pass hands a flow to NetworkPolicy,
//    or to the Baseline tier for a pod no NetworkPolicy isolates; when
//    neither is there for any pod the policy selects, the Pass allows, as
//    Accept would (namespace owners may add NetworkPolicies later: info). A
//    Baseline Pass always goes to the default, which allows: it is an Accept
//    that also skips the Baseline rules after it (warning);
//  - equal-priority-overlap: two policies of one tier with one priority that
//    select a common pod in a direction both have rules in: upstream leaves
//    their order undefined; nftpol evaluates them by name, then
//    ClusterNetworkPolicy before AdminNetworkPolicy (compareClusterPolicies);
//  - domain-names-not-enforced: a domainNames peer matches nothing in nftpol.
import type { ClusterPolicy, ClusterRuleAction, Direction, Pod } from '../../model/types.ts';
import { actionWord, clusterPolicyKey, compareClusterPolicies, podKey } from '../../model/types.ts';
import { subjectSelects } from '../../policy/cluster-match.ts';
import { clusterPolicyFinding, firstFew, type LintFinding } from '../finding.ts';
import { DIRECTIONS, type LintContext } from '../lint-context.ts';

function subjectsOf(ctx: LintContext, policy: ClusterPolicy): Pod[] {
  return ctx.pods.filter((p) => subjectSelects(ctx.state, policy, p));
}

/** Whether something below the Admin tier decides for the pod in the direction: NetworkPolicy isolating it, or a Baseline policy selecting it. */
function somethingBelowAdmin(ctx: LintContext, pod: Pod, direction: Direction): boolean {
  return ctx.engine.isIsolated(pod, direction) || ctx.engine.tierPolicies(pod, direction).baseline.length > 0;
}

export function checkPassWithNothingBelow(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.clusterPolicies.values()) {
    for (const direction of DIRECTIONS) {
      const passes = policy[direction].map((rule, index) => ({ rule, index })).filter((r) => r.rule.action === 'Pass' && r.rule.failClosed !== true);
      if (passes.length === 0) continue;
      const accept = actionWord(policy, 'Accept');
      if (policy.tier === 'Baseline') {
        for (const { index } of passes) {
          out.push(clusterPolicyFinding('pass-with-nothing-below', 'warning', policy, `spec.${direction}[${index}].action`,
            `a Baseline Pass goes on to the default, which allows: it allows what it matches, as ${accept} would (and skips the Baseline rules after it); write ${accept} to say so`));
        }
        continue;
      }
      const subjects = subjectsOf(ctx, policy);
      if (subjects.length === 0 || subjects.some((p) => somethingBelowAdmin(ctx, p, direction))) continue;
      for (const { index } of passes) {
        out.push(clusterPolicyFinding('pass-with-nothing-below', 'info', policy, `spec.${direction}[${index}].action`,
          `no NetworkPolicy isolates, and no Baseline policy selects, any of the pods this policy selects for ${direction} ` +
          `(${firstFew(subjects.map(podKey))}): this Pass allows what it matches, as ${accept} would, until namespace owners add NetworkPolicies`));
      }
    }
  }
  return out;
}

export function checkEqualPriorityOverlap(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const tier of ['Admin', 'Baseline'] as const) {
    const list = ctx.state.clusterPoliciesIn(tier);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i] as ClusterPolicy, list[j] as ClusterPolicy];
        if (a.priority !== b.priority) break; // evaluation order: equal priorities are adjacent
        const directions = DIRECTIONS.filter((d) => a[d].length > 0 && b[d].length > 0);
        if (directions.length === 0) continue;
        const both = subjectsOf(ctx, a).filter((p) => subjectSelects(ctx.state, b, p));
        if (both.length === 0) continue;
        const [first, second] = compareClusterPolicies(a, b) <= 0 ? [a, b] : [b, a];
        out.push(clusterPolicyFinding('equal-priority-overlap', 'warning', second, second.kind === 'BaselineAdminNetworkPolicy' ? '' : 'spec.priority',
          `has priority ${second.priority} in the ${tier} tier, as ${clusterPolicyKey(first)} does, and both select ${firstFew(both.map(podKey))} ` +
          `for ${directions.join(' and ')}: upstream leaves the order of equal priorities undefined (implementations differ); nftpol evaluates ` +
          `${clusterPolicyKey(first)} first (by name, then ClusterNetworkPolicy before AdminNetworkPolicy). Give them different priorities`));
      }
    }
  }
  return out;
}

const NOT_ENFORCED: Readonly<Record<ClusterRuleAction, string>> = { Accept: 'allows', Deny: 'denies', Pass: 'passes' };

export function checkDomainNamesNotEnforced(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.clusterPolicies.values()) {
    policy.egress.forEach((rule, i) => rule.peers.forEach((peer, j) => {
      if (peer.kind !== 'domainNames') return;
      out.push(clusterPolicyFinding('domain-names-not-enforced', 'warning', policy, `spec.egress[${i}].to[${j}].domainNames`,
        `domainNames (${firstFew(peer.domainNames)}) are not enforced by nftpol: the peer matches nothing, so this ${actionWord(policy, rule.action)} ${NOT_ENFORCED[rule.action]} nothing through it; ` +
        'use networks with the addresses instead'));
    }));
  }
  return out;
}
