// What the agent reports of a node's IR: its size, for metrics and /status.
// (Compiling it is compile/compile-for-node.ts, shared with `nftpol render`.)
import type { ClusterTierChains, NodeIR } from '../compile/ir.ts';

export interface IRCounts {
  readonly localPods: number;
  /**
   * The table's chains but its base chains (those on a hook: egress, ingress,
   * egress-to-node, ingress-from-node): policy chains, the chains of isolated
   * pods (per direction), cluster-wide policies' chains, and the cluster
   * tiers' chains (admin-out, admin-out-pass, baseline-out, and the same -in).
   */
  readonly chains: number;
  /** Allow rules of the policy chains, and the rules of cluster-wide policies' chains. */
  readonly rules: number;
  readonly sets: number;
  readonly elements: number;
}

/**
 * The chains a direction's cluster tiers add (src/nft/render-tiers.ts): a
 * tier chain for each tier with a policy in the direction, and admin-*-pass,
 * where an Admin Pass goes, beside the Admin one.
 */
function tierChains(t: ClusterTierChains): number {
  return (t.admin.length > 0 ? 2 : 0) + (t.baseline.length > 0 ? 1 : 0);
}

export function countIR(ir: NodeIR): IRCounts {
  const podChains = ir.pods.reduce((n, p) => n + (p.ingress.isolated ? 1 : 0) + (p.egress.isolated ? 1 : 0), 0);
  const tiers = ir.tiers === undefined ? 0 : tierChains(ir.tiers.ingress) + tierChains(ir.tiers.egress);
  return {
    localPods: ir.pods.length,
    chains: ir.policyChains.length + podChains + (ir.clusterChains?.length ?? 0) + tiers,
    rules: ir.policyChains.reduce((n, c) => n + c.rules.length, 0) + (ir.clusterChains ?? []).reduce((n, c) => n + c.rules.length, 0),
    sets: ir.sets.length,
    elements: ir.sets.reduce((n, s) => n + s.elements.length, 0),
  };
}
