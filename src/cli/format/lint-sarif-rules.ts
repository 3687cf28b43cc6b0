// What each lint check looks for and what to do about it: the rules of the
// SARIF log (`policy-explain lint -o sarif`), which code-scanning tools show
// beside each alert. One entry per id of LINT_CHECK_IDS (a test holds them
// equal); docs/output-schema.md has the same list in one line each.
import type { LintSeverity } from '../../lint/lint-cluster.ts';

export interface LintRuleText {
  /** One sentence: what the finding is. */
  readonly short: string;
  /** Why it matters and what to do. */
  readonly help: string;
  /** The severity its findings usually have (a check may report either). */
  readonly level: LintSeverity;
}

export const LINT_RULE_TEXT: Readonly<Record<string, LintRuleText>> = {
  'rules-without-policy-type': {
    short: 'Rules in a direction that the policy\'s policyTypes leave out',
    help: 'Kubernetes ignores ingress (egress) rules when spec.policyTypes does not list Ingress (Egress): they allow nothing and do not isolate. Add the type to policyTypes, or remove the rules.',
    level: 'warning',
  },
  'selects-nothing': {
    short: 'A podSelector, namespaceSelector or peer that matches nothing',
    help: 'A policy whose podSelector selects no pod enforces nothing; a peer that matches no pod allows nothing. Usually a typo in a label, or a selector written for another namespace: compare the selector with the pods\' labels.',
    level: 'warning',
  },
  'separate-namespace-and-pod-peers': {
    short: 'A namespaceSelector peer and a podSelector peer side by side (OR) where one peer with both (AND) was likely meant',
    help: 'Two list items (- namespaceSelector: ..., - podSelector: ...) allow every pod of the namespaces OR the selected pods of the policy\'s own namespace. To allow only the selected pods of those namespaces, put both selectors in one item.',
    level: 'warning',
  },
  'combined-namespace-and-pod-peer': {
    short: 'One peer with both selectors (AND) that matches no pod, while each selector alone does',
    help: 'A peer with namespaceSelector and podSelector in one item matches the selected pods of the selected namespaces only. If either set was meant, write two list items.',
    level: 'info',
  },
  'named-port-protocol': {
    short: 'A named port without protocol (so TCP) that the destination pods declare only for UDP or SCTP',
    help: 'A port entry without protocol is TCP; a name resolves only to a container port of that protocol. Set protocol: UDP (or SCTP) on the entry.',
    level: 'warning',
  },
  'named-port-not-declared': {
    short: 'A named port that no destination pod declares for the entry\'s protocol',
    help: 'Named ports resolve on the destination pods\' container ports (ingress: the selected pods; egress: the pods the rule\'s peers match). A name none of them declares allows nothing: check the spelling, or use the number.',
    level: 'warning',
  },
  'named-port-ipblock-peers': {
    short: 'A named port in an egress rule whose peers are all ipBlocks',
    help: 'Names resolve on destination pods, so addresses outside the cluster never match a named port. Use the port number.',
    level: 'warning',
  },
  'egress-without-dns': {
    short: 'Egress isolation with no rule allowing port 53',
    help: 'Pods isolated for egress cannot resolve names unless some rule allows UDP and TCP port 53 to the cluster DNS. Add such a rule (often one policy for the whole namespace).',
    level: 'warning',
  },
  'except-outside-cidr': {
    short: 'An ipBlock except that is not inside its cidr',
    help: 'Every except must be strictly inside the ipBlock\'s cidr; one outside it removes nothing. Fix the address or the prefix length.',
    level: 'warning',
  },
  'ipblock-overlaps-pods': {
    short: 'An ipBlock that contains pod addresses',
    help: 'ipBlocks are meant for addresses outside the cluster; pod addresses change as pods are rescheduled, so an ipBlock that holds them allows or denies pods by chance. Select pods with podSelector and namespaceSelector, and except the pod CIDRs from wide blocks.',
    level: 'warning',
  },
  'namespace-not-isolated': {
    short: 'A namespace with pods that no policy isolates in some direction',
    help: 'Without a policy selecting them, pods accept (or send) every connection. A default-deny policy (podSelector: {}) per namespace makes every other policy an explicit allow list.',
    level: 'info',
  },
  'redundant-policy': {
    short: 'A policy that allows nothing beyond what other policies already allow to the pods it selects',
    help: 'Removing the policy changes no verdict for the pods of the input: the other policies that select each of its pods keep them isolated and allow everything it allows. Remove it, or keep it on purpose for pods to come.',
    level: 'info',
  },
  'contained-policy': {
    short: 'A policy contained in another: the other selects each of its pods and allows everything it allows',
    help: 'The union of the two policies is the wider one, so removing the contained one changes no verdict for the pods of the input. Remove it, or merge what it documents into the wider policy.',
    level: 'info',
  },
  'redundant-rule': {
    short: 'A rule that allows nothing other rules do not already allow to the same pods',
    help: 'Other rules of this or other policies selecting the same pods allow every connection this rule allows, so removing it changes no verdict for the pods of the input. Of several equal rules, the later ones are reported.',
    level: 'info',
  },
  'networkpolicy-rule-overridden': {
    short: 'A NetworkPolicy rule that never takes effect: an Admin-tier cluster policy decides all its flows first',
    help: 'Admin-tier rules (ClusterNetworkPolicy tier Admin, AdminNetworkPolicy) are evaluated before NetworkPolicy; an Accept or Deny there is final. Every flow this rule allows is decided by the Admin rules named in the message, so the rule changes nothing. Ask the cluster administrators for a Pass, or remove the rule.',
    level: 'warning',
  },
  'equal-priority-overlap': {
    short: 'Two cluster-wide policies of one tier with equal priority that select a common pod',
    help: 'The network-policy-api leaves the order of equal priorities undefined, so implementations may evaluate them differently. nftpol evaluates them by name, then ClusterNetworkPolicy before AdminNetworkPolicy. Give each policy its own priority.',
    level: 'warning',
  },
  'cluster-rule-shadowed': {
    short: 'A cluster-wide policy rule that never matches first: earlier rules of its tier decide every flow it matches',
    help: 'Within a tier, policies are evaluated by priority and rules in order; the first matching rule decides (Pass leaves the tier). Every flow this rule matches is decided earlier by the rules named in the message, so it changes no verdict. Move it before them, or give its policy a lower priority number.',
    level: 'warning',
  },
  'pass-with-nothing-below': {
    short: 'A Pass rule with nothing to pass to, so it allows as Accept would',
    help: 'An Admin Pass hands the flow to NetworkPolicy (or, for pods no NetworkPolicy isolates, to the Baseline tier); with neither present for the pods the policy selects, the default allows. A Baseline Pass always goes to the default, which allows. Write Accept (Allow in v1alpha1) if allowing is meant; otherwise add the NetworkPolicies or Baseline rules meant to decide.',
    level: 'info',
  },
  'baseline-rule-unreachable': {
    short: 'A Baseline-tier rule that is never reached: the Admin tier or NetworkPolicy decides all its flows first',
    help: 'The Baseline tier applies only to pods no NetworkPolicy isolates in the direction, and only to flows the Admin tier did not decide. Every flow this rule matches is decided before it, so it changes no verdict.',
    level: 'warning',
  },
  'domain-names-not-enforced': {
    short: 'A domainNames peer, which nftpol does not enforce',
    help: 'domainNames (experimental in the network-policy-api) need DNS-aware enforcement; nftpol reads and validates them but the peer matches nothing: an Accept through it allows nothing, a Deny denies nothing. Use networks with the addresses instead.',
    level: 'warning',
  },
};
