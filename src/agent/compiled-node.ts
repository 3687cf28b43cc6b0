// The agent's view of its node: the cluster state it last read and the IR
// compiled from it, moved forward read by read. A source that lists its
// changes (the API server's watch, SourceChanges) moves it by exactly those;
// one that hands over whole states (a folder re-read) is compared object by
// object with the state before (changesBetween), which costs a comparison of
// the objects but no recompilation. Either way the NodeCompiler applies only
// what changed (src/compile/node-compiler.ts). A fresh build happens on the
// first read, and when a read's changes do not start where this view is.
import { NodeCompiler } from '../compile/node-compiler.ts';
import type { NodeIRResult } from '../compile/compile-for-node.ts';
import { changesBetween, type ClusterChange } from '../model/cluster-change.ts';
import { ClusterState } from '../model/cluster-state.ts';
import type { ClusterObjects } from '../model/types.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { placePods } from '../sources/placement.ts';
import type { ClusterSnapshot, SourceChanges } from './cluster-source.ts';

/** How a read moved the view: built afresh, by changes (how many), or not at all (the same revision). */
export type Advance = { readonly how: 'fresh' } | { readonly how: 'changes'; readonly changes: number } | { readonly how: 'same' };

export class CompiledNode {
  private readonly node: string;
  private readonly place: boolean;
  private compiler: NodeCompiler | undefined;
  private revision: string | undefined;
  /** The objects compiled, when whole states are compared (files). */
  private objects: ClusterObjects | undefined;

  /** place: give pods without a node one, as `nftpol render` does (a folder of manifests; never a live cluster's pods). */
  constructor(node: string, opts: { readonly place: boolean }) {
    this.node = node;
    this.place = opts.place;
  }

  /** The engine of the state last read (undefined before the first read). */
  get engine(): PolicyEngine | undefined {
    return this.compiler?.engine;
  }

  /** Moves the view to the snapshot; the node's IR, or the nodes known when this one is not among them. */
  advance(snapshot: ClusterSnapshot, changes?: SourceChanges): NodeIRResult & { readonly advance: Advance } {
    const advance = this.move(snapshot, changes);
    this.revision = snapshot.revision;
    const compiler = this.compiler as NodeCompiler;
    const nodes = compiler.engine.state.nodes;
    // With Node objects known, a node they do not include is refused: a typo
    // would otherwise compile an empty table that looks like a valid answer.
    if (nodes.size > 0 && !nodes.has(this.node)) return { ok: false, unknown: [this.node], known: [...nodes.keys()].sort(), advance };
    return { ok: true, ir: compiler.ir(), advance };
  }

  private move(snapshot: ClusterSnapshot, changes: SourceChanges | undefined): Advance {
    if (this.compiler !== undefined && this.revision === snapshot.revision) return { how: 'same' };
    if (this.compiler !== undefined && changes !== undefined && changes.since === this.revision) return this.apply(changes.list);
    const objects = this.place ? placePods(snapshot.objects, [this.node]) : snapshot.objects;
    if (this.compiler !== undefined && this.objects !== undefined) {
      const list = changesBetween(this.objects, objects);
      this.objects = objects;
      return this.apply(list);
    }
    this.compiler = new NodeCompiler(new PolicyEngine(new ClusterState(objects)), this.node);
    if (this.place) this.objects = objects;
    return { how: 'fresh' };
  }

  private apply(list: readonly ClusterChange[]): Advance {
    for (const c of list) (this.compiler as NodeCompiler).apply(c);
    return { how: 'changes', changes: list.length };
  }
}
