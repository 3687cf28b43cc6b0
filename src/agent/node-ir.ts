// A snapshot to this node's IR, exactly as `nftpol render -f DIR --node NAME`
// computes it (the sources placed and addressed the pods; pods still without
// a node then go round-robin over the known nodes and this one), so what the
// agent applies can be reviewed beforehand with render. A node the input
// does not know, while it has Node objects, is refused as render refuses
// it: a typo would otherwise enforce an empty table that looks valid.
import { compileNode } from '../compile/compile-node.ts';
import type { NodeIR } from '../compile/ir.ts';
import { ClusterState } from '../model/cluster-state.ts';
import type { ClusterObjects } from '../model/types.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { knownNodes, placePods } from '../sources/placement.ts';

export type NodeIRResult = { readonly ok: true; readonly ir: NodeIR } | { readonly ok: false; readonly problem: string };

/** place: false for a live cluster, whose pods are where the scheduler put them (an unscheduled one has no node yet). */
export function compileForNode(objects: ClusterObjects, node: string, { place = true }: { readonly place?: boolean } = {}): NodeIRResult {
  if (objects.nodes.length > 0) {
    const known = knownNodes(objects);
    if (!known.includes(node)) return { ok: false, problem: `node "${node}" is not in the input; it knows ${known.join(', ')}` };
  }
  const engine = new PolicyEngine(new ClusterState(place ? placePods(objects, [node]) : objects));
  return { ok: true, ir: compileNode(engine, node) };
}

export interface IRCounts {
  readonly localPods: number;
  /** Policy chains plus the chains of isolated pods (per direction). */
  readonly chains: number;
  /** Allow rules of the policy chains. */
  readonly rules: number;
  readonly sets: number;
  readonly elements: number;
}

export function countIR(ir: NodeIR): IRCounts {
  const podChains = ir.pods.reduce((n, p) => n + (p.ingress.isolated ? 1 : 0) + (p.egress.isolated ? 1 : 0), 0);
  return {
    localPods: ir.pods.length,
    chains: ir.policyChains.length + podChains,
    rules: ir.policyChains.reduce((n, c) => n + c.rules.length, 0),
    sets: ir.sets.length,
    elements: ir.sets.reduce((n, s) => n + s.elements.length, 0),
  };
}
