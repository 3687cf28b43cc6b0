// The connectivity matrix: which pods and workloads may connect to which, on
// one port or on each destination's declared container ports, computed with
// PolicyEngine.allows (no trace: a matrix asks n² questions).
import type { ClusterState } from '../model/cluster-state.ts';
import type { Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import { PolicyEngine, type Flow } from '../policy/engine.ts';
import { resolveNamedPort } from '../policy/port-match.ts';
import { byNamespaceAndName, pairEndpoints } from './pod-reach.ts';

/** allowed/denied by the engine; self on the diagonal; n/a when the port cannot apply. */
export type MatrixCell = 'allowed' | 'denied' | 'self' | 'n/a';

export interface MatrixEndpoint {
  /** "namespace/name" */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: Pod['kind'];
  readonly ip: string;
}

/** The port asked about; null = each destination's declared container ports. */
export interface MatrixPort {
  readonly protocol: string;
  readonly port: number | null;
  /** A container port name, resolved on each destination. */
  readonly name: string | null;
}

export interface MatrixResult {
  readonly port: MatrixPort | null;
  readonly namespace: string | null;
  readonly endpoints: readonly MatrixEndpoint[];
  /** cells[i][j]: from endpoints[i] to endpoints[j]. */
  readonly cells: readonly (readonly MatrixCell[])[];
}

interface Probe {
  readonly protocol: string;
  readonly port?: number;
}

/** The flows one cell stands for; undefined when the port does not exist on the destination. */
function probesTo(dst: Pod, port: MatrixPort | null): Probe[] | undefined {
  if (port === null) {
    const declared = dst.ports.map((p) => ({ protocol: p.protocol, port: p.port }));
    return declared.length > 0 ? declared : [{ protocol: 'TCP' }];
  }
  if (port.name !== null) {
    const n = resolveNamedPort(dst, port.name, port.protocol);
    return n === undefined ? undefined : [{ protocol: port.protocol, port: n }];
  }
  return [{ protocol: port.protocol, ...(port.port !== null && { port: port.port }) }];
}

/**
 * Past this many cells a matrix is refused: n² verdicts grow past what a
 * screen, a CI log or a minute of CPU holds (250,000 cells = 500 pods, a few
 * seconds); 112,000 pods would be 12.5 billion cells.
 */
export const MAX_MATRIX_CELLS = 250_000;

/** The pods and workloads a matrix has rows and columns for, in its order. */
export function matrixPods(state: ClusterState, namespace: string | null): Pod[] {
  return [...state.participatingPods()]
    .filter((p) => namespace === null || p.namespace === namespace)
    .sort(byNamespaceAndName);
}

/**
 * Why a matrix of these pods is too large, with how to narrow it; undefined
 * when it is not. `namespace` is the one it was already narrowed to, if any.
 */
export function matrixTooLarge(pods: readonly Pod[], namespace: string | null, maxCells = MAX_MATRIX_CELLS): string | undefined {
  const cells = pods.length * pods.length;
  if (cells <= maxCells) return undefined;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const fits = Math.floor(Math.sqrt(maxCells));
  const head = `a matrix of ${fmt(pods.length)} pods and workloads has ${fmt(cells)} cells, more than the ${fmt(maxCells)} it is limited to`;
  const onePod = 'policy-explain pod NAMESPACE/NAME says who may reach one pod and whom it may reach';
  if (namespace !== null) return `${head} (namespace ${namespace}); ${onePod}, and policy-explain flow --from --to answers for one pair`;
  const sizes = new Map<string, number>();
  for (const p of pods) sizes.set(p.namespace, (sizes.get(p.namespace) ?? 0) + 1);
  const ranked = [...sizes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = ranked.slice(0, 5).map(([ns, n]) => `${ns} (${fmt(n)})`).join(', ');
  const fitting = ranked.filter(([, n]) => n <= fits).length;
  if (fitting === 0) {
    const smallest = ranked[ranked.length - 1] as [string, number];
    return `${head}, and no single namespace is small enough (the smallest, ${smallest[0]}, has ${fmt(smallest[1])}): ${onePod}, and policy-explain flow --from --to answers for one pair`;
  }
  const which = fitting === ranked.length ? `each of the ${fmt(ranked.length)} namespaces fits` : `${fmt(fitting)} of ${fmt(ranked.length)} namespaces have at most ${fmt(fits)} and fit`;
  return `${head}. Narrow it to one namespace with -n NAMESPACE (${which}; ` +
    `the largest: ${shown}${ranked.length > 5 ? ', …' : ''}), or ${onePod}`;
}

/** `pods`: the matrix's rows and columns, when the caller has them already (matrixPods). */
export function computeMatrix(
  state: ClusterState, port: MatrixPort | null, namespace: string | null, pods: readonly Pod[] = matrixPods(state, namespace),
): MatrixResult {
  const engine = new PolicyEngine(state);
  // What a cell probes depends on its column (the destination) alone.
  const probesOf = pods.map((to) => probesTo(to, port));
  const cells = pods.map((from, i) => pods.map((to, j): MatrixCell => {
    if (i === j) return 'self';
    const ends = pairEndpoints(from, to);
    const probes = probesOf[j];
    if (!ends || !probes) return 'n/a';
    const allowed = probes.some((p) => engine.allows({ from: ends[0], to: ends[1], ...p } satisfies Flow));
    return allowed ? 'allowed' : 'denied';
  }));
  const endpoints = pods.map((p) => ({ id: podKey(p), namespace: p.namespace, name: p.name, kind: p.kind, ip: p.ips[0] ?? '' }));
  return { port, namespace, endpoints, cells };
}
