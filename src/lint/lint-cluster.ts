// `policy-explain lint`: advice about policies that are valid but probably do
// not do what their author meant. Pure: objects in, findings out. Every check
// asks the policy engine's own matching, so lint and enforcement never
// disagree about what a selector, peer or port means.
import type { ClusterObjects } from '../model/types.ts';
import { checkBaselineRuleUnreachable, checkClusterRuleShadowed, checkNetworkPolicyRuleOverridden } from './checks/cluster-shadowed.ts';
import { checkDomainNamesNotEnforced, checkEqualPriorityOverlap, checkPassWithNothingBelow } from './checks/cluster-tiers.ts';
import { checkEgressWithoutDns } from './checks/egress-without-dns.ts';
import { checkExceptOutsideCidr } from './checks/except-outside-cidr.ts';
import { checkIpBlockOverlapsPods } from './checks/ipblock-overlaps-pods.ts';
import { checkNamedPortIpBlockPeers } from './checks/named-port-ipblock-peers.ts';
import { checkNamedPortNotDeclared } from './checks/named-port-not-declared.ts';
import { checkNamedPortProtocol } from './checks/named-port-protocol.ts';
import { checkNamespaceAndPodPeers } from './checks/namespace-and-pod-peers.ts';
import { checkNamespaceNotIsolated } from './checks/namespace-not-isolated.ts';
import { checkRulesWithoutPolicyType } from './checks/rules-without-policy-type.ts';
import { checkRedundant } from './checks/redundant.ts';
import { checkSelectsNothing } from './checks/selects-nothing.ts';
import type { LintFinding } from './finding.ts';
import { LintContext } from './lint-context.ts';

export type { LintFinding, LintObjectRef, LintSeverity } from './finding.ts';

type Check = (ctx: LintContext) => LintFinding[];

/** Every check, in the order their findings appear for one object. */
const CHECKS: readonly Check[] = [
  checkRulesWithoutPolicyType,
  checkSelectsNothing,
  checkNamespaceAndPodPeers,
  checkNamedPortProtocol,
  checkNamedPortNotDeclared,
  checkNamedPortIpBlockPeers,
  checkEgressWithoutDns,
  checkExceptOutsideCidr,
  checkIpBlockOverlapsPods,
  checkNamespaceNotIsolated,
  checkRedundant,
  checkNetworkPolicyRuleOverridden,
  checkEqualPriorityOverlap,
  checkClusterRuleShadowed,
  checkPassWithNothingBelow,
  checkBaselineRuleUnreachable,
  checkDomainNamesNotEnforced,
];

/** The stable check ids lint can report, for documentation and suppression lists. */
export const LINT_CHECK_IDS: readonly string[] = [
  'rules-without-policy-type',
  'selects-nothing',
  'separate-namespace-and-pod-peers',
  'combined-namespace-and-pod-peer',
  'named-port-protocol',
  'named-port-not-declared',
  'named-port-ipblock-peers',
  'egress-without-dns',
  'except-outside-cidr',
  'ipblock-overlaps-pods',
  'namespace-not-isolated',
  'redundant-policy',
  'contained-policy',
  'redundant-rule',
  'networkpolicy-rule-overridden',
  'equal-priority-overlap',
  'cluster-rule-shadowed',
  'pass-with-nothing-below',
  'baseline-rule-unreachable',
  'domain-names-not-enforced',
];

function objectOrder(f: LintFinding): string {
  return `${f.object.namespace}\u0000${f.object.kind}\u0000${f.object.name}`;
}

/**
 * All findings for a cluster (or a set of manifests), grouped by object:
 * sorted by namespace, kind and name, and within one object in check order.
 * Deterministic: the same objects give the same list.
 */
export function lintCluster(objects: ClusterObjects): LintFinding[] {
  const ctx = new LintContext(objects);
  const all = CHECKS.flatMap((check) => check(ctx));
  // Array.prototype.sort is stable, so check order survives within an object.
  return all.sort((a, b) => {
    const ka = objectOrder(a);
    const kb = objectOrder(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
