// Why one cell of a step's matrix is what it is, in the engine's own words: the cell a
// step names (one its change flipped) is evaluated with the engine's trace, and its reason
// is the line `policy-explain` would print for it: for a denial its "why not" (the rule
// that denied, with its tier and priority for a cluster-wide policy, or the NetworkPolicy
// that isolates without a matching rule); for an allow, the trace's summary of the
// direction a policy decided (the rule that allowed, or that nothing isolates the pod).
import type { MatrixCell, MatrixResult } from '../explain/matrix.ts';
import { whyNot } from '../explain/verdict-text.ts';
import { ClusterState } from '../model/cluster-state.ts';
import type { ClusterObjects, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { resolveFlow } from '../policy/flow-spec.ts';
import type { DirectionVerdict, FlowVerdict } from '../policy/trace.ts';

/** The cell a step explains: "namespace/name" of both ends. */
export interface ExplainedCell {
  readonly from: string;
  readonly to: string;
}

export interface CellReason extends ExplainedCell {
  /** The destination's declared port the explained flow goes to. */
  readonly port: number;
  readonly protocol: string;
  readonly verdict: 'allowed' | 'denied';
  /** The cell in the step before. */
  readonly before: MatrixCell;
  /** One line from the engine's trace (see above). */
  readonly reason: string;
}

/** A direction that a policy decided (a cluster tier or NetworkPolicy isolation), ingress first; else ingress. */
function decidingDirection(v: FlowVerdict): DirectionVerdict {
  const decided = (d: DirectionVerdict): boolean => (d.tier !== undefined && d.tier !== 'default') || d.isolated;
  return [v.ingress, v.egress].find(decided) ?? v.ingress;
}

export function cellOf(m: MatrixResult, c: ExplainedCell): MatrixCell | undefined {
  const i = m.endpoints.findIndex((e) => e.id === c.from);
  const j = m.endpoints.findIndex((e) => e.id === c.to);
  return i < 0 || j < 0 ? undefined : m.cells[i]?.[j];
}

/**
 * The reason of `cell` in `objects`, on the first of the destination's declared ports
 * whose verdict is the cell's (a cell is allowed when any declared port is). A string
 * says why there is none: an end not in the matrix, or a cell the step did not change.
 */
export function cellReason(objects: ClusterObjects, expected: MatrixResult, before: MatrixResult | undefined, cell: ExplainedCell): CellReason | string {
  const now = cellOf(expected, cell);
  if (now !== 'allowed' && now !== 'denied') return `${cell.from} -> ${cell.to} is not a cell of the matrix`;
  const was = before === undefined ? undefined : cellOf(before, cell);
  if (was === undefined || was === now) return `the step does not change ${cell.from} -> ${cell.to} (${now} before and after)`;
  const state = new ClusterState(objects);
  const engine = new PolicyEngine(state);
  const to = objects.pods.find((p: Pod) => podKey(p) === cell.to);
  for (const c of to?.ports ?? []) {
    const v = engine.evaluate(resolveFlow(state, { from: cell.from, to: cell.to, port: c.port, protocol: c.protocol }));
    if (v.allowed !== (now === 'allowed')) continue;
    const reason = v.allowed ? decidingDirection(v).summary : whyNot(v) ?? decidingDirection(v).summary;
    return { ...cell, port: c.port, protocol: c.protocol, verdict: now, before: was, reason };
  }
  return `no declared port of ${cell.to} gives the cell's verdict (${now})`;
}
