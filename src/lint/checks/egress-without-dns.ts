// egress-without-dns: a policy that isolates pods for egress, where no egress
// rule of any policy isolating them allows port 53 (UDP or TCP) to anyone.
// Name lookups then time out, the most common surprise of a first egress
// policy.
//
// Deliberately generous about what counts as allowing DNS, so it only
// speaks when lookups surely fail: any peer counts, even a selector that
// matches no pod in the input (offline input rarely includes kube-system;
// selects-nothing reports peers that are empty), and a named port counts
// when it resolves to 53 on a pod the rule reaches, or when no such pod
// defines that name (its real number is then unknown).
import type { NetworkPolicy, Pod, PolicyPort, PolicyRule } from '../../model/types.ts';
import { podKey, policyKey } from '../../model/types.ts';
import { portMatches } from '../../policy/port-match.ts';
import { firstFew, policyFinding, type LintFinding } from '../finding.ts';
import type { LintContext } from '../lint-context.ts';

const DNS_PORT = 53;
const DNS_PROTOCOLS = ['UDP', 'TCP'] as const;

function portAllowsDns(ctx: LintContext, policy: NetworkPolicy, rule: PolicyRule, rp: PolicyPort): boolean {
  return DNS_PROTOCOLS.some((protocol) => {
    if (typeof rp.port !== 'string') return portMatches(rp, protocol, DNS_PORT, undefined);
    const name = rp.port;
    const defining = ctx.rulePeerPods(policy, rule).filter((p) => p.ports.some((cp) => cp.name === name));
    if (defining.length === 0) return rp.protocol === protocol;
    return defining.some((dst) => portMatches(rp, protocol, DNS_PORT, dst));
  });
}

function ruleAllowsDns(ctx: LintContext, policy: NetworkPolicy, rule: PolicyRule): boolean {
  return rule.ports.length === 0 || rule.ports.some((rp) => portAllowsDns(ctx, policy, rule, rp));
}

export function checkEgressWithoutDns(ctx: LintContext): LintFinding[] {
  const allowsDns = new Map<string, boolean>();
  const policyAllowsDns = (p: NetworkPolicy): boolean => {
    const key = policyKey(p);
    let v = allowsDns.get(key);
    if (v === undefined) allowsDns.set(key, (v = p.egress.some((r) => ruleAllowsDns(ctx, p, r))));
    return v;
  };
  const podHasDns = (pod: Pod): boolean => ctx.engine.isolatingPolicies(pod, 'egress').some(policyAllowsDns);
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    if (!policy.policyTypes.includes('Egress')) continue;
    const affected = ctx.podsSelectedBy(policy).filter((pod) => !podHasDns(pod));
    if (affected.length === 0) continue;
    out.push(policyFinding('egress-without-dns', 'warning', policy, 'spec.egress',
      `this policy isolates egress of ${affected.length} pod(s) (${firstFew(affected.map(podKey))}) and no egress rule ` +
      `of any policy selecting them allows port 53 (UDP or TCP), so their DNS lookups will fail. ` +
      `Add an egress rule to the cluster DNS, e.g. to kube-system pods k8s-app=kube-dns on UDP and TCP 53.`));
  }
  return out;
}
