// selects-nothing: selectors that match nothing. A policy selecting no pod
// enforces nothing; a peer matching no pod allows nothing. Both are usually
// a typo in a label or a selector written for another namespace.
import { describePeer } from '../../explain/describe-rule.ts';
import { formatSelector } from '../../selectors/label-selector.ts';
import { policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, peerField, type LintContext } from '../lint-context.ts';

const ID = 'selects-nothing';

export function checkSelectsNothing(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  // Input with policies only (no pods or workloads) gives nothing to judge against.
  if (ctx.pods.length === 0) return out;
  // Without Namespace objects only kubernetes.io/metadata.name is known, so a
  // namespaceSelector on other labels would look empty when it is not.
  const namespaceLabelsKnown = ctx.state.namespaces.size > 0;
  for (const policy of ctx.state.policies) {
    if (ctx.podsSelectedBy(policy).length === 0) {
      const none = ctx.pods.some((p) => p.namespace === policy.namespace) ? '' : ` (no pod or workload of namespace ${policy.namespace} was given)`;
      out.push(policyFinding(ID, 'warning', policy, 'spec.podSelector',
        `spec.podSelector ${formatSelector(policy.podSelector)} selects no pod in namespace ${policy.namespace}${none}: the policy applies to nothing`));
    }
    for (const at of effectiveRules(policy)) {
      at.rule.peers.forEach((peer, j) => {
        if (peer.kind !== 'pods') return; // ipBlocks match addresses, not pods
        if (peer.namespaceSelector) {
          if (!namespaceLabelsKnown) return;
          if (ctx.namespacesMatching(peer.namespaceSelector).length === 0) {
            out.push(policyFinding(ID, 'warning', policy, `${peerField(at, j)}.namespaceSelector`,
              `namespaceSelector ${formatSelector(peer.namespaceSelector)} matches no namespace, so this peer allows nothing`));
            return; // the peer's pods are necessarily empty too: one finding is enough
          }
        }
        if (ctx.peerPods(policy, peer).length === 0) {
          out.push(policyFinding(ID, 'warning', policy, peerField(at, j),
            `this peer matches no pod (${describePeer(policy, peer)}), so it allows nothing`));
        }
      });
    }
  }
  return out;
}
