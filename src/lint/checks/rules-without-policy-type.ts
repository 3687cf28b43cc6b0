// rules-without-policy-type: rules in a direction the policy's policyTypes do
// not list. Upstream ignores them entirely, so they allow nothing and do not
// isolate; the author usually forgot to add the type when adding the rules.
// (Egress rules with policyTypes left out cannot trigger this: the default
// then includes Egress.)
import { policyFinding, type LintFinding } from '../finding.ts';
import { DIRECTIONS, type LintContext } from '../lint-context.ts';
import { policyTypeOf } from '../../policy/isolation.ts';

export function checkRulesWithoutPolicyType(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const direction of DIRECTIONS) {
      const type = policyTypeOf(direction);
      const rules = policy[direction].length;
      if (rules === 0 || policy.policyTypes.includes(type)) continue;
      out.push(policyFinding('rules-without-policy-type', 'warning', policy, `spec.${direction}`,
        `the policy has ${rules} ${direction} rule(s) but spec.policyTypes (${policy.policyTypes.join(', ')}) ` +
        `does not list ${type}, so they are ignored. Add ${type} to policyTypes.`));
    }
  }
  return out;
}
