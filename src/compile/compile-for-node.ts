// A cluster's objects to one node's IR, as `nftpol render` and the agent both
// compute it: pods without a node go round-robin over the known nodes, this
// one and any others named (placePods), unless the pods are a live cluster's,
// which stay where the scheduler put them. With Node objects in the input, a
// node they do not include is refused: a typo would otherwise compile an
// empty table that looks like a valid answer.
import { ClusterState } from '../model/cluster-state.ts';
import type { ClusterObjects } from '../model/types.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { knownNodes, placePods } from '../sources/placement.ts';
import { compileNode } from './compile-node.ts';
import type { NodeIR } from './ir.ts';

export type NodeIRResult =
  | { readonly ok: true; readonly ir: NodeIR }
  /** `unknown`: the nodes asked for that the input does not know; `known`: those it does. */
  | { readonly ok: false; readonly unknown: readonly string[]; readonly known: readonly string[] };

export interface CompileForNodeOptions {
  /** false for a live cluster, whose pods are where the scheduler put them (an unscheduled one has no node yet). */
  readonly place?: boolean;
  /** More nodes to spread unplaced pods over (render's --spread-over). */
  readonly spreadOver?: readonly string[];
}

export function compileForNode(objects: ClusterObjects, node: string, opts: CompileForNodeOptions = {}): NodeIRResult {
  const nodes = [node, ...(opts.spreadOver ?? [])];
  if (objects.nodes.length > 0) {
    const known = knownNodes(objects);
    const unknown = nodes.filter((n) => !known.includes(n));
    if (unknown.length > 0) return { ok: false, unknown, known };
  }
  const placed = opts.place === false ? objects : placePods(objects, nodes);
  return { ok: true, ir: compileNode(new PolicyEngine(new ClusterState(placed)), node) };
}
