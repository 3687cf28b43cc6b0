// except-outside-cidr: an ipBlock except must lie strictly inside its cidr
// (upstream validation rejects it otherwise). The file loader already refuses
// such objects, but lint also sees objects from other sources, and an except
// outside the cidr excludes nothing, which is never what its author meant.
// CIDRs themselves were validated at the source (model IPBlock).
import { cidrContains, cidrOf, cidrStrictlyInside } from '../../model/addresses.ts';
import type { IPBlock } from '../../model/types.ts';
import { policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, peerField, type LintContext } from '../lint-context.ts';

const ID = 'except-outside-cidr';

/** Why the except is not strictly inside the cidr, or undefined when it is. */
function exceptProblem(block: IPBlock, except: string): string | undefined {
  if (cidrStrictlyInside(except, block.cidr)) return undefined;
  if (!cidrContains(block.cidr, cidrOf(except).network)) return `except ${except} is outside cidr ${block.cidr}, so it excludes nothing`;
  return `except ${except} is not smaller than cidr ${block.cidr}: it would exclude the whole block`;
}

export function checkExceptOutsideCidr(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const at of effectiveRules(policy)) {
      at.rule.peers.forEach((peer, j) => {
        if (peer.kind !== 'ipBlock') return;
        const field = `${peerField(at, j)}.ipBlock`;
        peer.ipBlock.except.forEach((e, k) => {
          const why = exceptProblem(peer.ipBlock, e);
          if (why) out.push(policyFinding(ID, 'warning', policy, `${field}.except[${k}]`, why));
        });
      });
    }
  }
  return out;
}
