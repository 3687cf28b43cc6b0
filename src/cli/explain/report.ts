// policy-explain report: the connection matrix, each pair's explain trace,
// the policies with the pods they select (the cluster-wide ones by tier, in
// evaluation order: report-cluster.ts), and the lint findings, as one HTML
// page (src/cli/format/report-html.ts). The page goes to stdout, or to the
// file --out names: -o already means the output format everywhere else.
// With --against NEW (or --git-base REV) the page is the new side's, with
// what diff finds changed from the old side marked (report-compare.ts).
import { writeFile } from 'node:fs/promises';
import { computeConnectionMatrix, matrixPods, matrixTooLarge, type MatrixResult } from '../../explain/matrix.ts';
import type { ConnectionSet } from '../../explain/connection-set.ts';
import { matrixDiff, type SemanticDiff } from '../../explain/semantic-diff.ts';
import { OTHER_PROTOCOL_PROBE } from '../../explain/connection-set.ts';
import { pairEndpoints } from '../../explain/pod-reach.ts';
import { renderVerdictText } from '../../explain/verdict-text.ts';
import { lintCluster } from '../../lint/lint-cluster.ts';
import type { ClusterState } from '../../model/cluster-state.ts';
import type { ClusterObjects, ClusterPolicy, NetworkPolicy, Pod } from '../../model/types.ts';
import { podKey } from '../../model/types.ts';
import { PolicyEngine } from '../../policy/engine.ts';
import { policySelects } from '../../policy/isolation.ts';
import { renderReportHtml, type ReportCell, type ReportData, type ReportFinding, type ReportPolicy, type ReportVerdict } from '../format/report-html.ts';
import { failClosedText } from '../format/output.ts';
import { inputExit, loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';
import { checkSides, loadSides } from './diff.ts';
import { reportClusterPolicies, clusterFailClosedLines } from './report-cluster.ts';
import { clusterPolicyChanges, comparing, reportComparison, sideNames } from './report-compare.ts';

/**
 * Past this many pairs (400 workloads) the page is refused. A pair takes a
 * few bytes of page (traces are stored once per shape, report-encode.ts:
 * bench/report.ts measures about 260 KiB for 200 workloads, where a trace
 * per pair took 30 MiB), so the limit is the browser's: the matrix is 40,000
 * table cells at 200 workloads, drawn in a second or two, and 160,000 at
 * 400, several seconds (the page starts with namespaces collapsed past 200
 * workloads); building the data is a traced verdict per pair, some 10 s at
 * 400 workloads (several times that under 100 cluster-wide policies, whose
 * tiers each verdict goes through: bench/report.ts).
 */
export const MAX_REPORT_PAIRS = 160_000;

export interface ReportOptions extends GlobalOptions {
  /** Where to write the page; absent: stdout. */
  readonly out?: string;
  /** The new side, as diff's --against: the page shows it, with what changed from -f marked. */
  readonly against?: readonly string[];
  /** As diff's --git-base: the old side is -f at this revision, the new side -f as it is. */
  readonly gitBase?: string;
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

/**
 * The strings naming one end of a flow (its pod, address, node: each string
 * field of its summary but its kind), which its trace repeats; the page
 * stores a trace once per shape with these as references. Read from the
 * summary's fields, whatever they are, so a new one is taken too.
 */
function endStrings(end: object): string[] {
  return Object.entries(end).flatMap(([k, v]) => (k !== 'kind' && typeof v === 'string' && v.length > 1 ? [v] : []));
}

/** The matrix of connection sets (`m`, of `pods`), with a trace (engine.evaluate, rendered as `policy-explain flow` does) for each pair. */
export function reportCells(state: ClusterState, pods: readonly Pod[], m: MatrixResult): ReportCell[][] {
  const engine = new PolicyEngine(state);
  return pods.map((from, i) => pods.map((to, j): ReportCell => {
    const set = m.connections?.[i]?.[j] ?? null;
    const ends = pairEndpoints(from, to);
    if (i === j || set === null || ends === undefined) {
      return { verdict: i === j ? 'self' : 'n/a', connections: i === j ? '' : 'no shared address family', probe: null, trace: null };
    }
    const probe = representativeProbe(set, to);
    const verdict = engine.evaluate({ from: ends[0], to: ends[1], ...probe });
    return {
      verdict: verdictOf(set), connections: set.format(), probe: probeText(probe), trace: renderVerdictText(verdict),
      subjects: { from: endStrings(verdict.flow.from), to: endStrings(verdict.flow.to) },
    };
  }));
}

export function reportPolicies(objects: ClusterObjects, pods: readonly Pod[]): ReportPolicy[] {
  return [...objects.policies]
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((p) => ({ namespace: p.namespace, name: p.name, policyTypes: p.policyTypes, selects: pods.filter((pod) => policySelects(p, pod)).map(podKey) }));
}

/** A comparison to show on the page: the diff from the old side to the state reported, and the sides' names. */
export interface Compared {
  readonly diff: SemanticDiff;
  readonly names: { readonly old: string; readonly new: string };
  /** The old side's cluster-wide policies, to list those added, removed and changed. */
  readonly oldClusterPolicies?: readonly ClusterPolicy[];
}

/** What the page heads with as failing closed: the NetworkPolicies and the cluster-wide policies with errors. */
export interface FailingClosed {
  readonly failClosed: readonly NetworkPolicy[];
  readonly clusterFailClosed?: readonly ClusterPolicy[];
}

/** The page's data; `matrix`, when given, is the state's connection matrix of the namespace (runReport's, which --against compares too). */
export function reportData(
  state: ClusterState, objects: ClusterObjects, namespace: string | null, failing: FailingClosed = { failClosed: [] }, compared?: Compared,
  matrix?: MatrixResult,
): ReportData {
  const pods = matrixPods(state, namespace);
  const inScope = (ns: string): boolean => namespace === null || ns === namespace;
  const clusterPolicies = reportClusterPolicies(state, pods, namespace);
  // A cluster-scoped policy's findings (namespace "") stay with -n when the policy is on the page (it selects a pod there).
  const listed = new Set(clusterPolicies.map((p) => `${p.kind}/${p.key.slice(p.key.indexOf('/') + 1)}`));
  const onPage = (o: { kind: string; namespace: string; name: string }): boolean =>
    inScope(o.namespace) || (o.namespace === '' && listed.has(`${o.kind}/${o.name}`));
  const findings = lintCluster(objects).filter((f) => onPage(f.object)).map((f): ReportFinding => ({
    severity: f.severity, id: f.id, field: f.field, message: f.message,
    // A Namespace's namespace is its own name, a cluster-scoped policy's is "": the name alone.
    object: `${f.object.kind} ${f.object.namespace === '' || f.object.kind === 'Namespace' ? '' : `${f.object.namespace}/`}${f.object.name}`,
  }));
  const endpoints = pods.map((p) => ({ id: podKey(p), namespace: p.namespace, name: p.name, kind: p.kind }));
  return {
    // Cluster-wide policies decide too: the title names no one kind then.
    title: `${state.clusterPolicies.size === 0 ? 'NetworkPolicy' : 'Network policy'} report${namespace === null ? '' : `: namespace ${namespace}`}`,
    failClosed: [
      ...failClosedText(failing.failClosed).split('\n').filter((l) => l !== ''),
      ...clusterFailClosedLines(failing.clusterFailClosed ?? []),
    ],
    endpoints,
    cells: reportCells(state, pods, matrix ?? computeConnectionMatrix(state, namespace, pods)),
    policies: reportPolicies({ ...objects, policies: objects.policies.filter((p) => inScope(p.namespace)) }, pods),
    clusterPolicies,
    findings,
    ...(compared !== undefined && {
      comparison: reportComparison(compared.diff, endpoints, compared.names,
        clusterPolicyChanges(compared.oldClusterPolicies ?? [], [...state.clusterPolicies.values()])),
    }),
  };
}

function checkSize(state: ClusterState, namespace: string | null, side: string): void {
  const tooLarge = matrixTooLarge(matrixPods(state, namespace), namespace, MAX_REPORT_PAIRS);
  if (tooLarge !== undefined) throw new UsageError(`${side}${tooLarge}`);
}

export async function runReport(opts: ReportOptions, io: CliIO): Promise<number> {
  // The page is HTML whatever -o says; another format is a mistake worth saying.
  if (opts.output !== 'text') throw new UsageError(`--output ${opts.output} is not available for report: it writes one HTML page (to stdout, or --out FILE)`);
  const compare = comparing(opts);
  if (compare) checkSides(opts, 'report --against');
  // Read as diff reads its two sides; the page shows the new one.
  const [before, loaded] = compare ? await loadSides(opts, io) : [undefined, await loadInput(opts, io)];
  const { state } = loaded;
  const namespace = opts.namespace ?? null;
  const hasNamespace = (s: ClusterState): boolean => [...s.pods.values()].some((p) => p.namespace === namespace);
  if (namespace !== null && !hasNamespace(state) && (before === undefined || !hasNamespace(before.state))) {
    throw new UsageError(`--namespace ${namespace}: no pod or workload in that namespace`);
  }
  // Refused before any verdict is asked, as matrix does, but sooner: the page must still open in a browser.
  if (before !== undefined) checkSize(before.state, namespace, 'the old side: ');
  checkSize(state, namespace, before === undefined ? '' : 'the new side: ');
  // The new side's matrix is both the page's and the diff's new side: computed once.
  const matrix = computeConnectionMatrix(state, namespace, matrixPods(state, namespace));
  const compared = before === undefined ? undefined : {
    diff: matrixDiff(computeConnectionMatrix(before.state, namespace), matrix), names: sideNames(opts),
    oldClusterPolicies: [...before.state.clusterPolicies.values()],
  };
  const html = renderReportHtml(reportData(state, loaded.objects, namespace, loaded, compared, matrix));
  if (opts.out === undefined) io.stdout.write(html);
  else await writeFile(opts.out, html);
  const code = inputExit(loaded, EXIT.ok);
  return before === undefined ? code : inputExit(before, code);
}
