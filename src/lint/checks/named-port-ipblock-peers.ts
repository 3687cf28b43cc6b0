// named-port-ipblock-peers: an egress rule whose peers are all ipBlocks, with
// a named port. A port name resolves on the destination pod's containers;
// an address outside the cluster has no containers, so for it the entry
// matches nothing. It can match only pods whose (changing) addresses fall
// inside the blocks and that declare the name. Valid for the API, and
// almost always meant as the port number.
import { podKey } from '../../model/types.ts';
import { resolveNamedPort } from '../../policy/port-match.ts';
import { firstFew, policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, type LintContext } from '../lint-context.ts';
import { egressToIpBlocksOnly } from './named-port-not-declared.ts';

export function checkNamedPortIpBlockPeers(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const at of effectiveRules(policy)) {
      if (!egressToIpBlocksOnly(at)) continue;
      const peerPods = ctx.rulePeerPods(policy, at.rule);
      at.rule.ports.forEach((rp, k) => {
        const name = rp.port;
        if (typeof name !== 'string') return;
        const resolving = peerPods.filter((pod) => resolveNamedPort(pod, name, rp.protocol) !== undefined);
        const reach = resolving.length === 0
          ? 'so this entry matches no traffic'
          : `so this entry matches only the pods inside them that declare it (${firstFew(resolving.map(podKey))}), by addresses that change`;
        out.push(policyFinding('named-port-ipblock-peers', 'warning', policy, `${at.field}.ports[${k}]`,
          `port ${name} is a name, and a name resolves on the destination pod's containers; the peers of this rule are only ipBlocks, ` +
          `and an address outside the cluster has no named ports, ${reach}. Write the port number.`));
      });
    }
  }
  return out;
}
