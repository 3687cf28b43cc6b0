// The demo's world in the kernel lab and its live matrix: the lab description comes from
// the scenario's cluster (its nodes with their pod CIDRs, its pods at their addresses,
// each serving its declared container ports), and a live cell is what real connections
// say, asked as the engine's matrix asks: on each of the destination's declared ports,
// allowed when one of them answers.
import type { MatrixCell, MatrixResult } from '../explain/matrix.ts';
import type { ProbeResult } from '../lab/probe.ts';
import type { WorldSpec } from '../lab/spec.ts';
import type { World } from '../lab/world.ts';
import type { ClusterObjects, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';

/** The pods that get a network namespace: those in the matrix (running, with an address, not host-network). */
function labPods(objects: ClusterObjects, matrix: MatrixResult): Pod[] {
  const ids = new Set(matrix.endpoints.map((e) => e.id));
  return objects.pods.filter((p) => ids.has(podKey(p)));
}

const tcpPorts = (p: Pod): number[] => [...new Set(p.ports.filter((c) => c.protocol === 'TCP').map((c) => c.port))].sort((a, b) => a - b);
const udpPorts = (p: Pod): number[] => [...new Set(p.ports.filter((c) => c.protocol === 'UDP').map((c) => c.port))].sort((a, b) => a - b);

/**
 * The lab world for a scenario: one netns per node and per pod of the matrix. Every step
 * of the scenario must keep the same nodes, pods and addresses (labels may change): the
 * network is built once and only the policy moves.
 */
export function demoWorldSpec(objects: ClusterObjects, matrix: MatrixResult): WorldSpec {
  return {
    nodes: objects.nodes.map((n) => ({ name: n.name, podCIDRs: [...n.podCIDRs] })),
    pods: labPods(objects, matrix).map((p) => {
      if (p.nodeName === undefined) throw new Error(`demo scenario: pod ${podKey(p)} runs on no node`);
      return { id: podKey(p), node: p.nodeName, ips: [...p.ips], tcpPorts: tcpPorts(p), udpPorts: udpPorts(p) };
    }),
  };
}

/** What stays fixed across steps (nodes, pods, addresses, ports), to check that the network fits every step. */
export function networkShape(objects: ClusterObjects, matrix: MatrixResult): string {
  return JSON.stringify(demoWorldSpec(objects, matrix));
}

export interface LiveMatrix {
  readonly cells: readonly (readonly MatrixCell[])[];
  readonly probes: number;
  readonly ms: number;
}

/** Probes every cell of `expected`'s matrix with real connections: each destination port once per source. */
export async function probeMatrix(world: World, objects: ClusterObjects, expected: MatrixResult, options: { timeoutMs?: number; retries?: number } = {}): Promise<LiveMatrix> {
  const pods = new Map(objects.pods.map((p) => [podKey(p), p]));
  const ids = expected.endpoints.map((e) => e.id);
  const flows: { from: string; to: string; protocol: 'TCP' | 'UDP'; port: number; i: number; j: number }[] = [];
  ids.forEach((from, i) => ids.forEach((to, j) => {
    if (i === j) return;
    const dst = pods.get(to) as Pod;
    const address = dst.ips[0] as string;
    for (const port of tcpPorts(dst)) flows.push({ from, to: address, protocol: 'TCP', port, i, j });
    for (const port of udpPorts(dst)) flows.push({ from, to: address, protocol: 'UDP', port, i, j });
  }));
  const t0 = performance.now();
  const results: ProbeResult[] = await world.probeAll(flows.map(({ from, to, protocol, port }) => ({ from, to, protocol, port })), options);
  const ms = Math.round(performance.now() - t0);
  const cells: MatrixCell[][] = ids.map((_, i) => ids.map((__, j) => (i === j ? 'self' : 'n/a')));
  flows.forEach((f, k) => {
    const row = cells[f.i] as MatrixCell[];
    // Allowed when any declared port answers, as the engine's cell is.
    if ((results[k] as ProbeResult).verdict === 'allow') row[f.j] = 'allowed';
    else if (row[f.j] !== 'allowed') row[f.j] = 'denied';
  });
  return { cells, probes: flows.length, ms };
}

/** The cells where the kernel and the engine disagree: [from, to] ids. */
export function disagreements(expected: MatrixResult, live: readonly (readonly MatrixCell[])[]): [string, string][] {
  const out: [string, string][] = [];
  expected.cells.forEach((row, i) => row.forEach((cell, j) => {
    if (live[i]?.[j] !== cell) out.push([expected.endpoints[i]?.id ?? '?', expected.endpoints[j]?.id ?? '?']);
  }));
  return out;
}
