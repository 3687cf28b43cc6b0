// policy-explain report: the connection matrix, each pair's explain trace,
// the policies with the pods they select, and the lint findings, as one HTML
// page (src/cli/format/report-html.ts). The page goes to stdout, or to the
// file --out names: -o already means the output format everywhere else.
import { writeFile } from 'node:fs/promises';
import { computeConnectionMatrix, matrixPods, matrixTooLarge } from '../../explain/matrix.ts';
import type { ConnectionSet } from '../../explain/connection-set.ts';
import { OTHER_PROTOCOL_PROBE } from '../../explain/connection-set.ts';
import { pairEndpoints } from '../../explain/pod-reach.ts';
import { renderVerdictText } from '../../explain/verdict-text.ts';
import { lintCluster } from '../../lint/lint-cluster.ts';
import type { ClusterState } from '../../model/cluster-state.ts';
import type { ClusterObjects, NetworkPolicy, Pod } from '../../model/types.ts';
import { podKey } from '../../model/types.ts';
import { PolicyEngine } from '../../policy/engine.ts';
import { policySelects } from '../../policy/isolation.ts';
import { renderReportHtml, type ReportCell, type ReportData, type ReportFinding, type ReportPolicy, type ReportVerdict } from '../format/report-html.ts';
import { failClosedText } from '../format/output.ts';
import { inputExit, loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';

/**
 * Past this many pairs the page is refused: each pair carries its trace, so a
 * page grows by about 0.65 KiB a pair (bench/report.ts: 2,500 pairs, 1.6 MiB,
 * about a second); 10,000 pairs (100 workloads) is a page a browser still
 * opens at once, where the matrix's own 250,000 would be some 160 MiB.
 */
export const MAX_REPORT_PAIRS = 10_000;

export interface ReportOptions extends GlobalOptions {
  /** Where to write the page; absent: stdout. */
  readonly out?: string;
}

interface Probe {
  readonly protocol: string;
  readonly port?: number;
}

/**
 * The flow a cell's trace explains: the first allowed port (the lowest of
 * TCP, then UDP, then SCTP; else the other protocols), so a partial cell
 * shows the rule that lets something through; for a denied pair, the
 * destination's first declared container port (what a client would dial).
 */
function representativeProbe(set: ConnectionSet, to: Pod): Probe {
  for (const protocol of ['TCP', 'UDP', 'SCTP'] as const) {
    const first = set.ranges(protocol)[0];
    if (first !== undefined) return { protocol, port: first[0] };
  }
  if (set.has(OTHER_PROTOCOL_PROBE)) return { protocol: OTHER_PROTOCOL_PROBE };
  const declared = to.ports[0];
  return declared === undefined ? { protocol: 'TCP' } : { protocol: declared.protocol, port: declared.port };
}

function probeText(p: Probe): string {
  return p.port === undefined ? p.protocol : `${p.port}/${p.protocol}`;
}

function verdictOf(set: ConnectionSet): ReportVerdict {
  if (set.isEmpty()) return 'denied';
  return set.isAll() ? 'allowed' : 'partial';
}

/** The matrix of connection sets, with a trace (engine.evaluate, rendered as `policy-explain flow` does) for each pair. */
export function reportCells(state: ClusterState, pods: readonly Pod[], namespace: string | null): ReportCell[][] {
  const m = computeConnectionMatrix(state, namespace, pods);
  const engine = new PolicyEngine(state);
  return pods.map((from, i) => pods.map((to, j): ReportCell => {
    const set = m.connections?.[i]?.[j] ?? null;
    const ends = pairEndpoints(from, to);
    if (i === j || set === null || ends === undefined) {
      return { verdict: i === j ? 'self' : 'n/a', connections: i === j ? '' : 'no shared address family', probe: null, trace: null };
    }
    const probe = representativeProbe(set, to);
    const verdict = engine.evaluate({ from: ends[0], to: ends[1], ...probe });
    return { verdict: verdictOf(set), connections: set.format(), probe: probeText(probe), trace: renderVerdictText(verdict) };
  }));
}

export function reportPolicies(objects: ClusterObjects, pods: readonly Pod[]): ReportPolicy[] {
  return [...objects.policies]
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((p) => ({ namespace: p.namespace, name: p.name, policyTypes: p.policyTypes, selects: pods.filter((pod) => policySelects(p, pod)).map(podKey) }));
}

export function reportData(
  state: ClusterState, objects: ClusterObjects, namespace: string | null, failClosed: readonly NetworkPolicy[] = [],
): ReportData {
  const pods = matrixPods(state, namespace);
  const inScope = (ns: string): boolean => namespace === null || ns === namespace;
  const findings = lintCluster(objects).filter((f) => inScope(f.object.namespace)).map((f): ReportFinding => ({
    severity: f.severity, id: f.id, object: `${f.object.kind} ${f.object.namespace}/${f.object.name}`, field: f.field, message: f.message,
  }));
  return {
    title: `NetworkPolicy report${namespace === null ? '' : `: namespace ${namespace}`}`,
    failClosed: failClosedText(failClosed).split('\n').filter((l) => l !== ''),
    endpoints: pods.map((p) => ({ id: podKey(p), namespace: p.namespace, name: p.name, kind: p.kind })),
    cells: reportCells(state, pods, namespace),
    policies: reportPolicies({ ...objects, policies: objects.policies.filter((p) => inScope(p.namespace)) }, pods),
    findings,
  };
}

export async function runReport(opts: ReportOptions, io: CliIO): Promise<number> {
  // The page is HTML whatever -o says; another format is a mistake worth saying.
  if (opts.output !== 'text') throw new UsageError(`--output ${opts.output} is not available for report: it writes one HTML page (to stdout, or --out FILE)`);
  const loaded = await loadInput(opts, io);
  const { state } = loaded;
  const namespace = opts.namespace ?? null;
  if (namespace !== null && ![...state.pods.values()].some((p) => p.namespace === namespace)) {
    throw new UsageError(`--namespace ${namespace}: no pod or workload in that namespace`);
  }
  // Refused before any verdict is asked, as matrix does, but sooner: n² traces make a page no browser opens.
  const tooLarge = matrixTooLarge(matrixPods(state, namespace), namespace, MAX_REPORT_PAIRS);
  if (tooLarge !== undefined) throw new UsageError(tooLarge);
  const html = renderReportHtml(reportData(state, loaded.objects, namespace, loaded.failClosed));
  if (opts.out === undefined) io.stdout.write(html);
  else await writeFile(opts.out, html);
  return inputExit(loaded, EXIT.ok);
}
