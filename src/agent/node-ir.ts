// What the agent reports of a node's IR: its size, for metrics and /status.
// (Compiling it is compile/compile-for-node.ts, shared with `nftpol render`.)
import type { NodeIR } from '../compile/ir.ts';

export interface IRCounts {
  readonly localPods: number;
  /** Policy chains, the chains of isolated pods (per direction), and cluster-wide policies' chains. */
  readonly chains: number;
  /** Allow rules of the policy chains, and the rules of cluster-wide policies' chains. */
  readonly rules: number;
  readonly sets: number;
  readonly elements: number;
}

export function countIR(ir: NodeIR): IRCounts {
  const podChains = ir.pods.reduce((n, p) => n + (p.ingress.isolated ? 1 : 0) + (p.egress.isolated ? 1 : 0), 0);
  return {
    localPods: ir.pods.length,
    chains: ir.policyChains.length + podChains + (ir.clusterChains?.length ?? 0),
    rules: ir.policyChains.reduce((n, c) => n + c.rules.length, 0) + (ir.clusterChains ?? []).reduce((n, c) => n + c.rules.length, 0),
    sets: ir.sets.length,
    elements: ir.sets.reduce((n, s) => n + s.elements.length, 0),
  };
}
