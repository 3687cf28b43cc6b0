// The cluster tiers' chains (docs/dataplane.md, "Cluster-wide policy: the
// tiers"). The kernel refuses a table whose chains nest more than 16 deep
// (jump and goto both count: "Too many links"), so a tier is not a chain of
// chains but one tier chain that jumps to each policy's chain in turn:
//
//   base chain  --jump-->  admin-out  --jump-->  cnp-out/NAME   (two deep, whatever the number of policies)
//
// In a policy's chain Accept is `accept` and Deny `drop` (final for the
// packet); no match falls off the chain back to the tier chain, which goes on
// to the next policy, and falling off the tier chain returns to the base
// chain. A Pass skips the rest of its tier:
//  - Admin: `goto admin-out-pass`, a chain holding what the base chains do
//    after the Admin tier (the Baseline entry, NetworkPolicy's dispatch, the
//    fail-closed drop) and ending in their final verdict, accept;
//  - Baseline: `accept`: after the Baseline tier nothing denies (it is
//    entered only for pods NetworkPolicy does not isolate), so the base chain
//    would accept. The Baseline tier chain ends in `accept` for the same
//    reason, so that entered from admin-out-pass it does not fall back into
//    the Admin tier chain.
// No packet mark is used: marks belong to other software on the node.
import type { ClusterTier, Direction } from '../model/types.ts';
import type { ClusterPolicyChain, ClusterRuleIR, ClusterTierChains } from '../compile/ir.ts';
import { dispatchTail, renderMatch, tierEntries, type BaseChainOptions } from './render-chains.ts';
import { tierChainName } from './render-sets.ts';
import { comment, ipKeyword, nftName } from './syntax.ts';

const I = '\t\t';

const podSide = (d: Direction): string => (d === 'ingress' ? 'daddr' : 'saddr');
const dirWord = (d: Direction): string => (d === 'ingress' ? 'in' : 'out');

/** Where an Admin Pass goes: what the base chains do after the Admin tier. */
export const passChainName = (direction: Direction): string => `admin-${dirWord(direction)}-pass`;

const tierKey = (tier: ClusterTier): keyof ClusterTierChains => (tier === 'Admin' ? 'admin' : 'baseline');

/**
 * chain admin-out {                                        the node's Admin policies with egress rules, in evaluation order
 *   ip saddr @subj/efa4d60d30cb4435/v4 jump cnp-out/deny-metadata      its subject pods: the policy decides, or returns here
 *   ip saddr @subj/5fe6c4b1401b9ced/v4 jump anp-out/monitoring
 * }
 * chain baseline-out {
 *   ip saddr @subj/efa4d60d30cb4435/v4 jump banp-out/default
 *   accept comment "Baseline: nothing denied"                          what the base chain would do after the tier
 * }
 */
export function renderTierChains(tiers: { readonly ingress: ClusterTierChains; readonly egress: ClusterTierChains }, chains: readonly ClusterPolicyChain[]): string[] {
  const byName = new Map(chains.map((c) => [c.name, c]));
  const lines: string[] = [];
  for (const direction of ['egress', 'ingress'] as const) {
    for (const tier of ['Admin', 'Baseline'] as const) {
      const order = tiers[direction][tierKey(tier)];
      if (order.length === 0) continue;
      lines.push(`\tchain ${tierChainName(tier, direction)} {`);
      for (const name of order) {
        const chain = byName.get(name);
        if (chain === undefined) throw new Error(`tier ${tierChainName(tier, direction)} lists missing chain ${name}`);
        for (const s of chain.subjects) lines.push(`${I}${ipKeyword(s.family)} ${podSide(direction)} @${nftName(s.set)} jump ${nftName(chain.name)}`);
      }
      if (tier === 'Baseline') lines.push(`${I}accept ${comment('Baseline: nothing denied')}`);
      lines.push('\t}');
    }
  }
  return lines;
}

/**
 * What the base chains do after the Admin tier, for a packet an Admin Pass
 * sent on (present when the node has an Admin policy in the direction). Both
 * the forward base chain and the own-node one (input for egress, output for
 * ingress) reach it, and only forward has NetworkPolicy's dispatch: a forward
 * packet has both an input and an output interface, an egress packet to the
 * node itself (input hook) no output interface, an ingress packet from the
 * node (output hook) no input interface. Where the device is missing the
 * kernel reads its index as 0 (older kernels: the rule does not match), so
 * `meta oif != 0` holds on the forward hook only.
 *
 * chain admin-out-pass {
 *   ip saddr @baseline-out-v4 goto baseline-out                 the Baseline entry, as in the base chains
 *   meta oif != 0 ip saddr vmap @egress-v4                 forward only: NetworkPolicy's dispatch
 *   meta oif != 0 ip saddr @pod-cidrs-v4 counter drop comment "egress unknown local pod"
 *   accept comment "Admin passed: allowed"                      the base chains' policy
 * }
 */
export function renderPassChain(direction: Direction, opts: BaseChainOptions): string[] {
  if ((opts.tiers?.[direction].admin.length ?? 0) === 0) return [];
  const forward = direction === 'egress' ? 'meta oif != 0' : 'meta iif != 0';
  return [
    `\tchain ${passChainName(direction)} {`,
    ...tierEntries(direction, opts, false),
    ...dispatchTail(direction, opts).map((line) => `${I}${forward} ${line.trimStart()}`),
    `${I}accept ${comment('Admin passed: allowed')}`,
    '\t}',
  ];
}

function verdictOf(chain: ClusterPolicyChain, v: ClusterRuleIR['verdict']): string {
  if (v !== 'return') return `counter ${v}`;
  return chain.tier === 'Admin' ? `counter goto ${passChainName(chain.direction)}` : 'counter accept';
}

/**
 * chain cnp-out/deny-metadata {
 *   comment "cnp/deny-metadata has errors: failing closed"                   only for a policy with errors
 *   ip daddr @cidr/9b1c2d3e4f5a6b7c/v4 counter drop comment "cnp/deny-metadata spec.egress[0] (imds) to[0]"
 *   ip daddr @pods/... meta l4proto tcp th dport 53 counter goto admin-out-pass comment "... spec.egress[1] to[0] protocols[0]"   Pass
 * }
 * Its tier chain jumps here for its subjects only; no match returns there.
 */
export function renderClusterChain(chain: ClusterPolicyChain): string[] {
  const head = chain.failClosed === true ? [`${I}${comment(`${chain.policy} has errors: failing closed`)}`] : [];
  const rules = chain.rules.map((r) => `${I}${[...renderMatch(r.peer, r.port, chain.direction), verdictOf(chain, r.verdict), comment(r.comment)].join(' ')}`);
  return [`\tchain ${nftName(chain.name)} {`, ...head, ...rules, '\t}'];
}

