// named-port-not-declared: a rule's port is a name (port: http) that no
// container of the destination pods declares, for the entry's protocol. The
// API accepts any IANA_SVC_NAME, and a name resolves per destination pod, so
// a typo (htpp) or a name from another chart matches no traffic, silently.
// Destinations, as the engine resolves names: for ingress the pods the policy
// selects; for egress the pods the rule's peers match (every pod for a rule
// without peers). Nothing is said when those pods are not in the input (the
// name may be declared by pods nftpol was not shown), nor where another check
// says it better: a protocol left to default to TCP for a name declared only
// for UDP/SCTP (named-port-protocol), and egress rules whose peers are all
// ipBlocks (named-port-ipblock-peers).
import type { NetworkPolicy, Pod, PolicyPort } from '../../model/types.ts';
import { podKey } from '../../model/types.ts';
import { resolveNamedPort } from '../../policy/port-match.ts';
import { firstFew, policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, type LintContext, type RuleAt } from '../lint-context.ts';

const ID = 'named-port-not-declared';

/** True when every peer of an egress rule is an ipBlock: named-port-ipblock-peers speaks for it. */
export function egressToIpBlocksOnly(at: RuleAt): boolean {
  return at.direction === 'egress' && at.rule.peers.length > 0 && at.rule.peers.every((p) => p.kind === 'ipBlock');
}

function declaredNames(dsts: readonly Pod[], protocol: string): string[] {
  return [...new Set(dsts.flatMap((pod) => pod.ports.filter((p) => p.protocol === protocol && p.name !== undefined).map((p) => p.name as string)))].sort();
}

function check(policy: NetworkPolicy, at: RuleAt, rp: PolicyPort, k: number, dsts: readonly Pod[]): LintFinding | undefined {
  const name = rp.port;
  if (typeof name !== 'string' || dsts.length === 0) return undefined;
  if (dsts.some((pod) => resolveNamedPort(pod, name, rp.protocol) !== undefined)) return undefined;
  const otherProtocols = [...new Set(dsts.flatMap((pod) => pod.ports.filter((p) => p.name === name).map((p) => p.protocol)))].sort();
  // A defaulted TCP for a name declared for UDP/SCTP is named-port-protocol's finding.
  if (rp.protocolDefaulted && otherProtocols.length > 0) return undefined;
  const where = `${at.direction === 'ingress' ? 'pods this policy selects' : 'pods this rule reaches'} (${firstFew(dsts.map(podKey))})`;
  const field = `${at.field}.ports[${k}]`;
  if (otherProtocols.length > 0) {
    return policyFinding(ID, 'warning', policy, field,
      `port ${name} is ${rp.protocol}, but the ${where} declare ${name} only for ${otherProtocols.join('/')}, so this entry matches no traffic.`);
  }
  const names = declaredNames(dsts, rp.protocol);
  const declared = names.length > 0 ? ` They declare ${rp.protocol} ${names.length === 1 ? 'port' : 'ports'} ${firstFew(names, 5)}.` : '';
  return policyFinding(ID, 'warning', policy, field,
    `no container of the ${where} declares a ${rp.protocol} port named ${name}, so this entry matches no traffic ` +
    `(a named port resolves on each destination pod's containers).${declared}`);
}

export function checkNamedPortNotDeclared(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  for (const policy of ctx.state.policies) {
    for (const at of effectiveRules(policy)) {
      if (egressToIpBlocksOnly(at) || !at.rule.ports.some((rp) => typeof rp.port === 'string')) continue;
      const dsts = ctx.portDestinations(policy, at);
      at.rule.ports.forEach((rp, k) => {
        const f = check(policy, at, rp, k, dsts);
        if (f) out.push(f);
      });
    }
  }
  return out;
}
