// The YAML pitfall of peers: one "-" more or less turns AND into OR.
//
//   - namespaceSelector: {team: a}     two peers: every pod of team=a
//   - podSelector: {app: x}            namespaces, OR app=x pods here
//
//   - namespaceSelector: {team: a}     one peer: app=x pods of team=a
//     podSelector: {app: x}            namespaces only
//
// separate-namespace-and-pod-peers warns on the first form whenever it
// appears: it is legal, but it opens whole namespaces, and the fix for a
// mistake is one character. combined-namespace-and-pod-peer is the reverse
// mistake, and there the combined form is the usual intended one, so it
// speaks only on evidence (info): the combined peer matches no pod, while
// each selector alone matches pods, the podSelector's in the policy's own
// namespace (which the namespaceSelector therefore cannot select). That is
// what "app=x here, or all of team=a" written without the second "-" looks
// like. A namespaceSelector that merely names the policy's own namespace is
// redundant but harmless and explicit, so it is not reported.
import type { LabelSelector, NetworkPolicy } from '../../model/types.ts';
import { podKey } from '../../model/types.ts';
import { peersField } from '../../policy/direction.ts';
import { formatSelector } from '../../selectors/label-selector.ts';
import { firstFew, policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, peerField, type LintContext, type RuleAt } from '../lint-context.ts';

function separatePeers(policy: NetworkPolicy, at: RuleAt): LintFinding | undefined {
  const peers = at.rule.peers;
  const nsOnly = peers.findIndex((p) => p.kind === 'pods' && p.podSelector === null && p.namespaceSelector !== null);
  const podOnly = peers.findIndex((p) => p.kind === 'pods' && p.namespaceSelector === null && p.podSelector !== null);
  const ns = peers[nsOnly];
  const pod = peers[podOnly];
  if (ns?.kind !== 'pods' || pod?.kind !== 'pods' || !ns.namespaceSelector || !pod.podSelector) return undefined;
  const nsSel = formatSelector(ns.namespaceSelector);
  const podSel = formatSelector(pod.podSelector);
  const f = peersField(at.direction);
  return policyFinding('separate-namespace-and-pod-peers', 'warning', policy, peerField(at, nsOnly),
    `${f}[${nsOnly}] (namespaceSelector ${nsSel} only) and ${f}[${podOnly}] (podSelector ${podSel} only) are separate peers: ` +
    `as written this rule allows ALL pods of namespaces matching ${nsSel}, OR pods matching ${podSel} in namespace ${policy.namespace}. ` +
    `To allow only pods matching ${podSel} in namespaces matching ${nsSel}, put both selectors in one peer (one list item).`);
}

function combinedPeer(ctx: LintContext, policy: NetworkPolicy, at: RuleAt, j: number): LintFinding | undefined {
  const peer = at.rule.peers[j];
  if (peer?.kind !== 'pods' || !peer.podSelector || !peer.namespaceSelector) return undefined;
  if (ctx.peerPods(policy, peer).length > 0) return undefined;
  const nsSel: LabelSelector = peer.namespaceSelector;
  const here = ctx.peerPods(policy, { kind: 'pods', podSelector: peer.podSelector, namespaceSelector: null });
  const there = ctx.peerPods(policy, { kind: 'pods', podSelector: null, namespaceSelector: nsSel });
  if (here.length === 0 || there.length === 0) return undefined;
  const nsNames = [...new Set(there.map((p) => p.namespace))];
  return policyFinding('combined-namespace-and-pod-peer', 'info', policy, peerField(at, j),
    `this one peer allows only pods matching ${formatSelector(peer.podSelector)} in namespaces matching ${formatSelector(nsSel)} (AND), ` +
    `and no pod is both; yet the podSelector alone matches ${firstFew(here.map(podKey))} in namespace ${policy.namespace} ` +
    `and the namespaceSelector alone matches pods in ${firstFew(nsNames)}. ` +
    `If you meant either one (OR), write them as two peers (two list items).`);
}

export function checkNamespaceAndPodPeers(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const at of effectiveRules(policy)) {
      const sep = separatePeers(policy, at);
      if (sep) out.push(sep);
      at.rule.peers.forEach((_, j) => {
        const comb = combinedPeer(ctx, policy, at, j);
        if (comb) out.push(comb);
      });
    }
  }
  return out;
}
