// How a cluster-wide policy with errors fails closed, as upstream says of an
// implementation that cannot read a rule (its peer types' docs: "fail
// closed" is "match no traffic" for an Accept rule, "deny all" for Deny and
// Pass), and as docs/cluster-network-policy.md extends it to the policy:
//  - a rule with errors: Accept matches nothing (no peers); Deny and Pass
//    (or an unreadable action) deny every peer and port;
//  - errors in the policy itself (subject, tier, priority, metadata, the rule
//    lists): its subject (every pod when unreadable) is denied every peer and
//    port in each direction the object has rules in (both when unreadable),
//    at its tier and priority (Admin and 0 when unreadable).
import type { ClusterPeer, ClusterRule, ClusterRuleAction } from '../model/types.ts';

/** Every address of both families: pods, nodes and the outside alike. */
export const EVERY_ADDRESS: ClusterPeer = { kind: 'networks', cidrs: ['0.0.0.0/0', '::/0'] };

/** The rule that denies every peer and port. */
export function denyAllRule(name?: string): ClusterRule {
  return { ...(name !== undefined && { name }), action: 'Deny', peers: [EVERY_ADDRESS], ports: [], failClosed: true };
}

/** A rule with errors, failing closed by its action (undefined: unreadable). */
export function failedRule(action: ClusterRuleAction | undefined, name: string | undefined): ClusterRule {
  if (action === 'Accept') return { ...(name !== undefined && { name }), action, peers: [], ports: [], failClosed: true };
  return denyAllRule(name);
}

/** What a failed rule does, for the warning that says so. */
export function failedRuleEffect(action: ClusterRuleAction | undefined): string {
  if (action === 'Accept') return 'this Accept rule matches nothing';
  return action === undefined ? 'its action is unreadable, so it denies every peer and port' : `this ${action} rule denies every peer and port`;
}
