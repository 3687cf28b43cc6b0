// named-port-protocol: a named port without a protocol means the TCP port of
// that name. When the destination pods name that port only for UDP or SCTP
// (a DNS server's "dns", a syslog port), the entry resolves on no pod and
// silently matches nothing. Named ports resolve on the destination: the
// selected pods for ingress, the pods the rule's peers match for egress.
import type { NetworkPolicy, Pod, PolicyPort } from '../../model/types.ts';
import { podKey } from '../../model/types.ts';
import { resolveNamedPort } from '../../policy/port-match.ts';
import { firstFew, policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, type LintContext, type RuleAt } from '../lint-context.ts';

function check(policy: NetworkPolicy, at: RuleAt, rp: PolicyPort, k: number, dsts: readonly Pod[]): LintFinding | undefined {
  const name = rp.port;
  if (!rp.protocolDefaulted || typeof name !== 'string') return undefined;
  if (dsts.some((pod) => resolveNamedPort(pod, name, rp.protocol) !== undefined)) return undefined;
  // Only a port the destinations do name, under another protocol, is this mistake;
  // a name no destination has at all is a different problem.
  const named = dsts.filter((pod) => pod.ports.some((p) => p.name === name));
  if (named.length === 0) return undefined;
  const protocols = [...new Set(named.flatMap((pod) => pod.ports.filter((p) => p.name === name).map((p) => p.protocol)))];
  const where = at.direction === 'ingress' ? 'selected pods' : 'pods this rule reaches';
  return policyFinding('named-port-protocol', 'warning', policy, `${at.field}.ports[${k}]`,
    `port ${name} has no protocol, so it means the ${rp.protocol} port named ${name}; the ${where} ` +
    `(${firstFew(named.map(podKey))}) name ${name} only as ${protocols.join('/')}, so this entry matches no traffic. ` +
    `Add protocol: ${protocols[0] ?? 'UDP'}.`);
}

export function checkNamedPortProtocol(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const at of effectiveRules(policy)) {
      if (!at.rule.ports.some((rp) => rp.protocolDefaulted && typeof rp.port === 'string')) continue;
      const dsts = ctx.portDestinations(policy, at);
      at.rule.ports.forEach((rp, k) => {
        const f = check(policy, at, rp, k, dsts);
        if (f) out.push(f);
      });
    }
  }
  return out;
}
