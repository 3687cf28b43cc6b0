// ipblock-overlaps-pods: an ipBlock (cidr minus except) that contains pod
// addresses. ipBlock is usually read as "outside the cluster", but it matches
// any address, pods included; pod addresses change with every restart, and
// upstream leaves it implementation-defined whether cluster traffic keeps
// its pod address (SNAT may rewrite it), so selecting pods by address is
// fragile. A catch-all block (prefix length 0, "anywhere") obviously covers
// pods too: that is only info; a narrower block containing pods is a warning,
// since it usually targets pod or node ranges on purpose.
import { cidrOf } from '../../model/addresses.ts';
import { podKey } from '../../model/types.ts';
import { firstFew, policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, peerField, type LintContext } from '../lint-context.ts';

export function checkIpBlockOverlapsPods(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const at of effectiveRules(policy)) {
      at.rule.peers.forEach((peer, j) => {
        if (peer.kind !== 'ipBlock') return;
        const pods = ctx.peerPods(policy, peer);
        if (pods.length === 0) return;
        const catchAll = cidrOf(peer.ipBlock.cidr).prefix === 0;
        const except = peer.ipBlock.except.length > 0 ? ` minus its except` : '';
        out.push(policyFinding('ipblock-overlaps-pods', catchAll ? 'info' : 'warning', policy, `${peerField(at, j)}.ipBlock`,
          `ipBlock ${peer.ipBlock.cidr}${except} contains the addresses of ${pods.length} pod(s) (${firstFew(pods.map(podKey))}): ` +
          `ipBlock matches pods too, by addresses that change, and whether pod traffic keeps its pod address is ` +
          `implementation-defined. Select pods with podSelector/namespaceSelector, or except the pod range.`));
      });
    }
  }
  return out;
}
