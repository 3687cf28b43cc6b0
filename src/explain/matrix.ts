// The connectivity matrix: which pods and workloads (and outside addresses
// asked for) may connect to which, computed with PolicyEngine.allows (no
// trace: a matrix asks n² questions). Either each pair's exact connection
// set (every port and protocol, connection-set.ts), or one port, or each
// destination's declared container ports (the demo probes those).
import { familyOf } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import { PolicyEngine, type Flow } from '../policy/engine.ts';
import { addressEndpoint, podEndpoint, type Endpoint } from '../policy/endpoint.ts';
import { resolveNamedPort } from '../policy/port-match.ts';
import { connectionSet, type ConnectionSet } from './connection-set.ts';
import { byNamespaceAndName, pairEndpoints } from './pod-reach.ts';

/** allowed/denied by the engine; self on the diagonal; n/a when the port cannot apply. */
export type MatrixCell = 'allowed' | 'denied' | 'self' | 'n/a';

export interface MatrixEndpoint {
  /** "namespace/name"; "ip:ADDRESS" for an address asked for with --ip. */
  readonly id: string;
  /** null for an address. */
  readonly namespace: string | null;
  /** The pod's or workload's name; the address itself for an address. */
  readonly name: string;
  readonly kind: Pod['kind'] | 'Address';
  readonly ip: string;
}

/** A row and column of the matrix: a pod or workload, or an address (outside the cluster, or a node's). */
export type MatrixMember = { readonly kind: 'pod'; readonly pod: Pod } | { readonly kind: 'address'; readonly ip: string };

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
  /**
   * cells[i][j]: from endpoints[i] to endpoints[j]. With connection sets:
   * allowed when the set holds any connection, denied when it is empty.
   */
  readonly cells: readonly (readonly MatrixCell[])[];
  /** Present when the matrix has connection sets (no port asked): connections[i][j], null on the diagonal and where n/a. */
  readonly connections?: readonly (readonly (ConnectionSet | null)[])[];
}

interface Probe {
  readonly protocol: string;
  readonly port?: number;
}

/** The flows one cell stands for; undefined when the port does not exist on the destination. */
function probesTo(to: MatrixMember, port: MatrixPort | null): Probe[] | undefined {
  // An address declares no ports and has none named: only a port number (or a protocol without ports) applies.
  if (to.kind === 'address') {
    if (port === null || port.name !== null) return undefined;
    return [{ protocol: port.protocol, ...(port.port !== null && { port: port.port }) }];
  }
  const dst = to.pod;
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
export function matrixTooLarge(pods: readonly Pod[], namespace: string | null, maxCells = MAX_MATRIX_CELLS, addresses = 0): string | undefined {
  const size = pods.length + addresses;
  const cells = size * size;
  if (cells <= maxCells) return undefined;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const fits = Math.floor(Math.sqrt(maxCells)) - addresses;
  const withAddresses = addresses > 0 ? ` and ${fmt(addresses)} address${addresses === 1 ? '' : 'es'}` : '';
  const head = `a matrix of ${fmt(pods.length)} pods and workloads${withAddresses} has ${fmt(cells)} cells, more than the ${fmt(maxCells)} it is limited to`;
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

function memberEndpoint(state: ClusterState, m: MatrixMember, family: ReturnType<typeof familyOf>): Endpoint | undefined {
  if (m.kind === 'address') return familyOf(m.ip) === family ? addressEndpoint(state, m.ip) : undefined;
  const e = podEndpoint(m.pod, family);
  return e?.kind === 'pod' ? e : undefined;
}

/** Both ends in one address family they share (IPv4 first), or undefined. */
function memberEndpoints(state: ClusterState, a: MatrixMember, b: MatrixMember): [Endpoint, Endpoint] | undefined {
  if (a.kind === 'pod' && b.kind === 'pod') return pairEndpoints(a.pod, b.pod);
  const address = (a.kind === 'address' ? a : b) as { ip: string };
  const family = familyOf(address.ip);
  const from = memberEndpoint(state, a, family);
  const to = memberEndpoint(state, b, family);
  return from && to ? [from, to] : undefined;
}

function endpointOf(m: MatrixMember): MatrixEndpoint {
  if (m.kind === 'address') return { id: `ip:${m.ip}`, namespace: null, name: m.ip, kind: 'Address', ip: m.ip };
  const p = m.pod;
  return { id: podKey(p), namespace: p.namespace, name: p.name, kind: p.kind, ip: p.ips[0] ?? '' };
}

/** The rows and columns: the pods and workloads, then the addresses, in the order given. */
export function matrixMembers(pods: readonly Pod[], addresses: readonly string[] = []): MatrixMember[] {
  return [...pods.map((pod) => ({ kind: 'pod' as const, pod })), ...addresses.map((ip) => ({ kind: 'address' as const, ip }))];
}

/** `pods`: the matrix's rows and columns, when the caller has them already (matrixPods). */
export function computeMatrix(
  state: ClusterState, port: MatrixPort | null, namespace: string | null, pods: readonly Pod[] = matrixPods(state, namespace),
  addresses: readonly string[] = [],
): MatrixResult {
  const engine = new PolicyEngine(state);
  const members = matrixMembers(pods, addresses);
  // What a cell probes depends on its column (the destination) alone.
  const probesOf = members.map((to) => probesTo(to, port));
  const cells = members.map((from, i) => members.map((to, j): MatrixCell => {
    if (i === j) return 'self';
    const ends = memberEndpoints(state, from, to);
    const probes = probesOf[j];
    if (!ends || !probes) return 'n/a';
    const allowed = probes.some((p) => engine.allows({ from: ends[0], to: ends[1], ...p } satisfies Flow));
    return allowed ? 'allowed' : 'denied';
  }));
  return { port, namespace, endpoints: members.map(endpointOf), cells };
}

/**
 * The matrix of exact connection sets: for each ordered pair, every port
 * and protocol the engine allows (connection-set.ts).
 */
export function computeConnectionMatrix(
  state: ClusterState, namespace: string | null, pods: readonly Pod[] = matrixPods(state, namespace), addresses: readonly string[] = [],
): MatrixResult {
  const engine = new PolicyEngine(state);
  const members = matrixMembers(pods, addresses);
  const connections = members.map((from, i) => members.map((to, j): ConnectionSet | null => {
    if (i === j) return null;
    const ends = memberEndpoints(state, from, to);
    return ends ? connectionSet(engine, ends[0], ends[1]) : null;
  }));
  const cells = connections.map((row, i) => row.map((set, j): MatrixCell => {
    if (i === j) return 'self';
    if (set === null) return 'n/a';
    return set.isEmpty() ? 'denied' : 'allowed';
  }));
  return { port: null, namespace, endpoints: members.map(endpointOf), cells, connections };
}
