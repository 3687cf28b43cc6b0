// except-outside-cidr: an ipBlock except must lie strictly inside its cidr
// (upstream validation rejects it otherwise). The file loader already refuses
// such objects, but lint also sees objects from other sources, and an except
// outside the cidr excludes nothing, which is never what its author meant.
// A cidr or except that does not parse is reported here too: it would make
// every other ipBlock question meaningless.
import { cidrContains, parseCidr } from '../../model/addresses.ts';
import type { IPBlock } from '../../model/types.ts';
import { policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, peerField, type LintContext } from '../lint-context.ts';

const ID = 'except-outside-cidr';

function parses(cidr: string): boolean {
  try {
    parseCidr(cidr);
    return true;
  } catch {
    return false;
  }
}

/** Why the except is not strictly inside the cidr, or undefined when it is. */
function exceptProblem(block: IPBlock, except: string): string | undefined {
  if (!parses(except)) return `except ${except} is not a valid CIDR`;
  const [net, bits] = parseCidr(except);
  const [, cidrBits] = parseCidr(block.cidr);
  if (!cidrContains(block.cidr, net.toString())) return `except ${except} is outside cidr ${block.cidr}, so it excludes nothing`;
  if (bits <= cidrBits) return `except ${except} is not smaller than cidr ${block.cidr}: it would exclude the whole block`;
  return undefined;
}

export function checkExceptOutsideCidr(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const at of effectiveRules(policy)) {
      at.rule.peers.forEach((peer, j) => {
        if (peer.kind !== 'ipBlock') return;
        const field = `${peerField(at, j)}.ipBlock`;
        if (!parses(peer.ipBlock.cidr)) {
          out.push(policyFinding(ID, 'warning', policy, `${field}.cidr`, `cidr ${peer.ipBlock.cidr} is not a valid CIDR`));
          return;
        }
        peer.ipBlock.except.forEach((e, k) => {
          const why = exceptProblem(peer.ipBlock, e);
          if (why) out.push(policyFinding(ID, 'warning', policy, `${field}.except[${k}]`, why));
        });
      });
    }
  }
  return out;
}
