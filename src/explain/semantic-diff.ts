// The semantic diff of two cluster states: for every ordered pair of pods
// and workloads (grouped as `policy-explain matrix` groups them) present in
// both, the exact connection set before and after (connection-set.ts), and
// the pairs whose set changed, with what was added (after minus before) and
// what was removed (before minus after). Pods and workloads present on one
// side only are listed as appeared or disappeared; their pairs have no
// "before" (or no "after") to compare, so they are not changes of a pair.
//
// A pair whose ends share no address family (n/a in the matrix) can never
// connect: it counts as the empty set, so a pod gaining an IPv4 address
// shows as the connections it newly has.
import type { ClusterState } from '../model/cluster-state.ts';
import { ConnectionSet } from './connection-set.ts';
import { computeConnectionMatrix, matrixPods, type MatrixResult } from './matrix.ts';

/** One ordered pair whose connection set changed. */
export interface PairChange {
  /** "namespace/name" (or "ip:ADDRESS" for an address asked for). */
  readonly from: string;
  readonly to: string;
  readonly before: ConnectionSet;
  readonly after: ConnectionSet;
  /** In after, not in before: newly allowed. */
  readonly added: ConnectionSet;
  /** In before, not in after: newly denied. */
  readonly removed: ConnectionSet;
}

export interface SemanticDiff {
  /** Pairs with anything added first, then those with only removals; by from, then to, within each. */
  readonly changes: readonly PairChange[];
  /** Ids of the pods and workloads only the new state has, sorted. */
  readonly appeared: readonly string[];
  /** Ids of the pods and workloads only the old state has, sorted. */
  readonly disappeared: readonly string[];
  /** How many pods and workloads (and addresses) each side has. */
  readonly before: number;
  readonly after: number;
}

export interface DiffScope {
  /** Only the pods and workloads of this namespace (as matrix -n); null: all. */
  readonly namespace: string | null;
  /** Addresses (outside the cluster, or a node's) added as ends on both sides, canonical. */
  readonly addresses?: readonly string[];
}

/** Each pair's set by "from\u0000to", from a connection matrix. */
function pairSets(m: MatrixResult): Map<string, ConnectionSet> {
  const out = new Map<string, ConnectionSet>();
  const ids = m.endpoints.map((e) => e.id);
  m.connections?.forEach((row, i) => row.forEach((set, j) => {
    if (i !== j) out.set(`${ids[i] ?? ''}\u0000${ids[j] ?? ''}`, set ?? ConnectionSet.NONE);
  }));
  return out;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The pairs whose set changed, ordered: newly allowed first. */
export function comparePairs(before: ReadonlyMap<string, ConnectionSet>, after: ReadonlyMap<string, ConnectionSet>): PairChange[] {
  const changes: PairChange[] = [];
  for (const [key, a] of after) {
    const b = before.get(key);
    if (b === undefined || a.equals(b)) continue;
    const [from = '', to = ''] = key.split('\u0000');
    changes.push({ from, to, before: b, after: a, added: a.difference(b), removed: b.difference(a) });
  }
  return changes.sort((x, y) =>
    Number(x.added.isEmpty()) - Number(y.added.isEmpty()) || byText(x.from, y.from) || byText(x.to, y.to));
}

/** What changed in who may connect to whom, from `oldState` to `newState`. */
export function semanticDiff(oldState: ClusterState, newState: ClusterState, scope: DiffScope): SemanticDiff {
  const addresses = scope.addresses ?? [];
  return matrixDiff(
    computeConnectionMatrix(oldState, scope.namespace, matrixPods(oldState, scope.namespace), addresses),
    computeConnectionMatrix(newState, scope.namespace, matrixPods(newState, scope.namespace), addresses),
  );
}

/**
 * The semantic diff of two connection matrices of one scope (computed with
 * computeConnectionMatrix, connection sets included): for a caller that
 * needs a side's matrix itself too (report --against draws the new one).
 */
export function matrixDiff(oldMatrix: MatrixResult, newMatrix: MatrixResult): SemanticDiff {
  const oldIds = new Set(oldMatrix.endpoints.map((e) => e.id));
  const newIds = new Set(newMatrix.endpoints.map((e) => e.id));
  return {
    changes: comparePairs(pairSets(oldMatrix), pairSets(newMatrix)),
    appeared: [...newIds].filter((id) => !oldIds.has(id)).sort(byText),
    disappeared: [...oldIds].filter((id) => !newIds.has(id)).sort(byText),
    before: oldIds.size,
    after: newIds.size,
  };
}

/** Whether anything becomes newly allowed between pairs present on both sides. */
export function hasNewAllows(diff: SemanticDiff): boolean {
  return diff.changes.some((c) => !c.added.isEmpty());
}

/** Whether anything changed at all: a pair's set, or a pod or workload appearing or disappearing. */
export function hasAnyChange(diff: SemanticDiff): boolean {
  return diff.changes.length > 0 || diff.appeared.length > 0 || diff.disappeared.length > 0;
}
