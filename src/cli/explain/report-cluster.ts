// The report's cluster-wide policies (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy): each tier in evaluation order, each policy's
// rules in words with the pods its subject selects (the engine's own
// subjectSelects), and the lines that head the page when one fails closed.
import { describeClusterRuleTarget, describeClusterSelection } from '../../explain/describe-rule.ts';
import type { ClusterState } from '../../model/cluster-state.ts';
import { formatSourceRef } from '../../model/problems.ts';
import type { ClusterPolicy, ClusterRule, Direction, Pod } from '../../model/types.ts';
import { actionWord, clusterPolicyKey, podKey } from '../../model/types.ts';
import { subjectSelects } from '../../policy/cluster-match.ts';
import type { ReportClusterPolicy, ReportClusterRule } from '../format/report-html.ts';

function reportRule(policy: ClusterPolicy, direction: Direction, rule: ClusterRule, i: number): ReportClusterRule {
  return {
    field: `spec.${direction}[${i}]`,
    ...(rule.name !== undefined && { name: rule.name }),
    action: rule.action,
    actionWord: actionWord(policy, rule.action),
    // The page writes the action before the rule, and marks a rule with errors ("fails closed"): the rule's words without either.
    text: describeClusterRuleTarget(direction, rule),
    failClosed: rule.failClosed === true,
    domainNames: rule.peers.some((p) => p.kind === 'domainNames'),
  };
}

/**
 * Admin policies by priority, then Baseline ones (the page puts the
 * NetworkPolicies between them), each with the pods of `pods` its subject
 * selects. With a namespace (-n), only those that select a pod in it: a
 * direction is decided by the policies whose subject is the pod at its end,
 * so the others decide no pair of the page.
 */
export function reportClusterPolicies(state: ClusterState, pods: readonly Pod[], namespace: string | null): ReportClusterPolicy[] {
  return (['Admin', 'Baseline'] as const).flatMap((tier) => state.clusterPoliciesIn(tier).flatMap((p): ReportClusterPolicy[] => {
    const selects = pods.filter((pod) => subjectSelects(state, p, pod)).map(podKey);
    if (namespace !== null && selects.length === 0) return [];
    return [{
      key: clusterPolicyKey(p), kind: p.kind, tier: p.tier, priority: p.priority, subject: describeClusterSelection(p.subject),
      rules: [...p.ingress.map((r, i) => reportRule(p, 'ingress', r, i)), ...p.egress.map((r, i) => reportRule(p, 'egress', r, i))],
      failClosed: p.failClosed === true, selects,
    }];
  }));
}

/**
 * One line per cluster-wide policy with errors, as the NetworkPolicies' "fail
 * closed:" lines: what the page's verdicts take it to do (upstream: an Accept
 * rule with errors matches nothing, a Deny or Pass rule denies everything; a
 * policy whose own fields have errors denies its subject everything).
 */
export function clusterFailClosedLines(policies: readonly ClusterPolicy[]): string[] {
  return policies.flatMap((p) => {
    const head = `fail closed: ${clusterPolicyKey(p)}${p.source ? ` (${formatSourceRef(p.source)})` : ''} has errors in the input`;
    if (p.failClosed === true) return [`${head}: its subject (${describeClusterSelection(p.subject)}) is denied every peer and port, at the ${p.tier} tier, priority ${p.priority}`];
    const rules = [
      ...p.ingress.map((r, i) => ({ r, field: `spec.ingress[${i}]` })),
      ...p.egress.map((r, i) => ({ r, field: `spec.egress[${i}]` })),
    ].filter((x) => x.r.failClosed === true);
    if (rules.length === 0) return [];
    const what = rules.map((x) => `${x.field}${x.r.name === undefined ? '' : ` "${x.r.name}"`} ${x.r.action === 'Accept' ? 'matches nothing' : 'denies every peer and port'}`);
    return [`${head}: ${what.join('; ')}`];
  });
}
