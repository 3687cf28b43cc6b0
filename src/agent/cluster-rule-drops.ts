// Drops by cluster-wide policies' Deny rules, per rule, read from the
// kernel's JSON listing of our table (`nft -j -t list table inet NAME`).
//
// Why per rule and not per pod: a cluster policy has one chain per direction
// on a node (cnp-out/NAME, ...), shared by every local pod it selects (its
// tier chain jumps there for the pods of its subject set), so the counter on
// a Deny rule counts the drops of all of them together. Counting per pod
// would take a rule per pod and Deny rule (the table would grow with pods
// times rules, which its layout avoids) or sets the kernel fills per
// address (which the drift check would read as a changed table). The
// operator asking why a pod's packets are dropped reads its NetworkPolicy
// drops (nftpol_pod_dropped_*), and these for the cluster policies that
// select it (`policy-explain pod` lists them in evaluation order).
//
// A Deny rule renders to one nft rule per (peer, port) alternative and
// family, all with the rule's comment "cnp/NAME spec.egress[2] (name) to[0]
// protocols[1]" (src/compile/cluster-chain.ts); the comment in the kernel is
// cut at 127 bytes, so the listing is read against the IR the agent applied:
// the n-th rule of a policy's chain is the n-th rule of its IR chain, checked
// by its comment (a chain whose rules do not match, a table not yet the IR
// it was read against, is left out of that reading, never guessed).
//
// A policy with errors in itself fails closed (src/sources/cluster-fail-closed.ts):
// its chain holds one synthetic rule denying every peer and port, which its
// comment calls spec.<direction>[0] though the manifest's rule 0 may say
// anything. Its series is labeled FAIL_CLOSED_RULE instead, so an operator
// does not look for the drops in that manifest rule. (A single rule with
// errors keeps its own field: that is the manifest rule that fails closed.)
import type { ClusterPolicyChain } from '../compile/ir.ts';
import { nftName, quotedText } from '../nft/syntax.ts';
import { finalCounter, listedRules, type DropDirection, type ListedRule } from './drop-counters.ts';

export interface ClusterRuleDrop {
  /** clusterPolicyKey: "cnp/name", "anp/name", "banp/default". */
  readonly policy: string;
  readonly direction: DropDirection;
  /** The rule's field: "spec.egress[2]"; FAIL_CLOSED_RULE for a policy failing closed. */
  readonly rule: string;
  readonly packets: number;
  readonly bytes: number;
}

/** The `rule` label of the drops of a policy that fails closed as a whole (its IR chain's failClosed). */
export const FAIL_CLOSED_RULE = '(policy has errors: denies all)';

/** The rule's field, read from the start of its IR comment: "cnp/x spec.egress[2] (name) to[0]" -> "spec.egress[2]". */
function ruleField(chain: ClusterPolicyChain, comment: string): string | undefined {
  if (!comment.startsWith(`${chain.policy} `)) return undefined;
  return /^spec\.(?:ingress|egress)\[\d+\]/.exec(comment.slice(chain.policy.length + 1))?.[0];
}

/**
 * The counters of the Deny rules of the cluster policies' chains of table
 * `inet <table>` in a listing, summed per policy, direction and rule, for
 * the chains of `chains` (the IR in the kernel), from a listing's text or
 * its rules already read. A Deny rule that dropped nothing yet is reported
 * with 0. Throws when the text is not nft's JSON.
 */
export function clusterRuleDrops(listing: string | readonly ListedRule[], table: string, chains: readonly ClusterPolicyChain[]): ClusterRuleDrop[] {
  const rules = typeof listing === 'string' ? listedRules(listing, table) : listing;
  const byName = new Map(chains.map((c) => [nftName(c.name), c]));
  const position = new Map<string, number>();
  const stale = new Set<string>();
  const counted: { chain: string; drop: ClusterRuleDrop }[] = [];
  for (const rule of rules) {
    const chain = byName.get(rule.chain);
    if (chain === undefined) continue;
    const n = position.get(rule.chain) ?? 0;
    position.set(rule.chain, n + 1);
    const expected = chain.rules[n];
    if (expected === undefined || rule.comment !== quotedText(expected.comment)) {
      stale.add(rule.chain);
      continue;
    }
    if (expected.verdict !== 'drop') continue;
    const counter = finalCounter(rule.expr, 'drop');
    const field = ruleField(chain, expected.comment);
    if (counter === undefined || field === undefined) {
      stale.add(rule.chain);
      continue;
    }
    counted.push({ chain: rule.chain, drop: { policy: chain.policy, direction: chain.direction, rule: chain.failClosed === true ? FAIL_CLOSED_RULE : field, ...counter } });
  }
  // A chain the listing holds fewer rules of than the IR is not the IR's either.
  for (const [name, chain] of byName) if ((position.get(name) ?? 0) !== chain.rules.length && position.has(name)) stale.add(name);
  const sums = new Map<string, ClusterRuleDrop>();
  for (const { chain, drop } of counted) {
    if (stale.has(chain)) continue;
    const key = `${drop.policy}\0${drop.direction}\0${drop.rule}`;
    const seen = sums.get(key);
    sums.set(key, seen === undefined ? drop : { ...seen, packets: seen.packets + drop.packets, bytes: seen.bytes + drop.bytes });
  }
  return [...sums.values()];
}
