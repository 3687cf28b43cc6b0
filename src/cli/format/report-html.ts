// policy-explain report: one self-contained HTML page (inline CSS and JS, no
// network): the connection matrix grouped by namespace, each pair's explain
// trace on click, the policies with the pods each selects, and lint findings;
// with a comparison (--against), the changed pairs marked and listed. The
// pairs are embedded compactly (report-encode.ts) and the matrix is drawn by
// the page's script (report-script.ts).
//
// Every name and message comes from the manifests, so from whoever wrote them:
// the page is written with one escaping function (escapeHtml) for markup, and
// the data the script reads goes in a <script type="application/json"> with
// every "<" escaped, so no text can close the script element. The script only
// ever writes with textContent, never innerHTML.

import { encodeReport } from './report-encode.ts';
import { escapeHtml, scriptJson, selectsMarkup } from './report-markup.ts';
import { REPORT_CSS, REPORT_SCRIPT } from './report-script.ts';
import { clusterChangeLine, tieredPolicyList, TIERS_CSS, type ReportClusterChanges, type ReportClusterPolicy } from './report-tiers.ts';

export { escapeHtml, scriptJson } from './report-markup.ts';
export type { ReportClusterChanges, ReportClusterPolicy, ReportClusterRule } from './report-tiers.ts';

/** allowed: every connection; partial: some; denied: none. */
export type ReportVerdict = 'allowed' | 'partial' | 'denied' | 'self' | 'n/a';

export interface ReportEndpoint {
  /** "namespace/name", or "ip:ADDRESS". */
  readonly id: string;
  /** "" for an address. */
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
}

export interface ReportCell {
  readonly verdict: ReportVerdict;
  /** The allowed connections, as policy-explain matrix prints them ("TCP 80, UDP 53"; "none"). */
  readonly connections: string;
  /** The flow the trace is for ("80/TCP"), and the trace as `policy-explain flow` prints it; null on the diagonal and n/a. */
  readonly probe: string | null;
  readonly trace: string | null;
  /**
   * The strings of the flow's two ends that the trace repeats (names,
   * addresses): the page stores each trace's shape once, with these as
   * references (report-encode.ts). Absent: the trace is stored as it is.
   */
  readonly subjects?: { readonly from: readonly string[]; readonly to: readonly string[] };
}

/** A pair whose connection set changed between the compared manifests (as `policy-explain diff` lists it). */
export interface ReportChange {
  /** Indexes into ReportData.endpoints (the new side's). */
  readonly from: number;
  readonly to: number;
  /** Connection sets, as the matrix prints them. */
  readonly before: string;
  readonly after: string;
  readonly added: string;
  readonly removed: string;
  /** add: something newly allowed, nothing removed; del: only removals; both. */
  readonly mark: 'add' | 'del' | 'both';
}

/** With --against (or --git-base): what changed from the old manifests to the new ones the page shows. */
export interface ReportComparison {
  /** The two sides, as given ("-f deploy/ at origin/main"). */
  readonly old: string;
  readonly new: string;
  /** Newly allowed first, as diff orders them. */
  readonly changes: readonly ReportChange[];
  /** Ids of the pods and workloads only the new side has (they are among the endpoints), and only the old side has. */
  readonly appeared: readonly string[];
  readonly disappeared: readonly string[];
  /** The cluster-wide policies added, removed and changed; absent when neither side has any. */
  readonly clusterPolicies?: ReportClusterChanges;
}

export interface ReportPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly policyTypes: readonly string[];
  /** "namespace/name" of each pod or workload the policy's podSelector selects. */
  readonly selects: readonly string[];
}

export interface ReportFinding {
  readonly severity: string;
  readonly id: string;
  /** "Kind namespace/name". */
  readonly object: string;
  readonly field: string;
  readonly message: string;
}

export interface ReportData {
  readonly title: string;
  /** Policies with errors in the input that the page treats as failing closed, one line each ("fail closed: …"). */
  readonly failClosed: readonly string[];
  readonly endpoints: readonly ReportEndpoint[];
  /** cells[i][j]: from endpoints[i] to endpoints[j]. */
  readonly cells: readonly (readonly ReportCell[])[];
  readonly policies: readonly ReportPolicy[];
  /** ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy: each tier in evaluation order. */
  readonly clusterPolicies: readonly ReportClusterPolicy[];
  readonly findings: readonly ReportFinding[];
  readonly comparison?: ReportComparison;
}

const MARK: Readonly<Record<'allowed' | 'partial' | 'denied', string>> = { allowed: '✓', partial: '◐', denied: '✗' };
const COLOUR: Readonly<Record<'allowed' | 'partial' | 'denied', string>> = { allowed: '#c8efc8', partial: '#fbe7a1', denied: '#f5b7b1' };

function policyList(policies: readonly ReportPolicy[]): string {
  if (policies.length === 0) return '<p>No NetworkPolicy in the input.</p>';
  const rows = policies.map((p) => {
    return `<tr><td>${escapeHtml(`${p.namespace}/${p.name}`)}</td><td>${escapeHtml(p.policyTypes.join(', '))}</td><td>${selectsMarkup(p.selects)}</td></tr>`;
  });
  return `<table id="policies"><thead><tr><th>policy</th><th>types</th><th>selects</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function findingList(findings: readonly ReportFinding[]): string {
  if (findings.length === 0) return '<p id="findings">No findings.</p>';
  const items = findings.map((f) => {
    const where = f.field === '' ? f.object : `${f.object} ${f.field}`;
    return `<li class="${f.severity === 'warning' ? 'warning' : 'info'}"><strong>${escapeHtml(f.severity)}</strong> ${escapeHtml(f.id)}: ${escapeHtml(where)}: ${escapeHtml(f.message)}</li>`;
  });
  return `<ul id="findings">${items.join('\n')}</ul>`;
}

/** The policies with errors, first: every verdict below counts them as allowing nothing. */
function failClosedBox(lines: readonly string[]): string {
  if (lines.length === 0) return '';
  return `<ul id="fail-closed">${lines.map((l) => `<li class="warning">${escapeHtml(l)}</li>`).join('\n')}</ul>`;
}

/** The change list shows this many pairs; the matrix's "show only changed" shows them all. */
export const CHANGE_LIST_LIMIT = 200;

const CHANGE_SYMBOL: Readonly<Record<ReportChange['mark'], string>> = { add: '+', del: '−', both: '±' };

/** With a comparison: how many pairs changed (newly allowed first), the workloads that appeared and disappeared, and the changed pairs. */
function changeSummary(data: ReportData): string {
  const c = data.comparison;
  if (c === undefined) return '';
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const added = c.changes.filter((x) => x.mark !== 'del').length;
  const ids = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.map(escapeHtml).join(', '));
  const counts = c.changes.length === 0
    ? '<p id="change-count">No pair changed its allowed connections.</p>'
    : `<p id="change-count"><strong>${fmt(c.changes.length)} pair${c.changes.length === 1 ? '' : 's'} changed</strong>: ` +
      `${fmt(added)} with something newly allowed (+, or ± with removals too), ${fmt(c.changes.length - added)} with removals only (−).</p>`;
  const rows = c.changes.slice(0, CHANGE_LIST_LIMIT).map((x) => {
    const name = (i: number): string => escapeHtml(data.endpoints[i]?.id ?? '?');
    return `<tr data-from="${x.from}" data-to="${x.to}"><td>${CHANGE_SYMBOL[x.mark]}</td><td>${name(x.from)}</td><td>${name(x.to)}</td>` +
      `<td>${escapeHtml(x.added)}</td><td>${escapeHtml(x.removed)}</td><td>${escapeHtml(x.before)}</td><td>${escapeHtml(x.after)}</td></tr>`;
  });
  const more = c.changes.length > CHANGE_LIST_LIMIT ? `<p>… and ${fmt(c.changes.length - CHANGE_LIST_LIMIT)} more: tick "show only changed" to see them all in the matrix.</p>` : '';
  const table = rows.length === 0 ? '' : '<table id="change-list"><thead><tr><th></th><th>from</th><th>to</th><th>added</th><th>removed</th><th>before</th><th>after</th></tr></thead>' +
    `<tbody>${rows.join('\n')}</tbody></table>${more}`;
  return `<section id="changes"><h2>Changes from ${escapeHtml(c.old)} to ${escapeHtml(c.new)}</h2>
${counts}
<p id="appeared">Pods and workloads that appeared: ${ids(c.appeared)}.</p>
<p id="disappeared">Pods and workloads that disappeared: ${ids(c.disappeared)}.</p>
${clusterChangeLine(c.clusterPolicies)}
${table}</section>`;
}

/**
 * The matrix is drawn by the script; past these sizes it starts denser (the
 * reader can change it). Past 200 workloads it starts with its namespaces
 * collapsed (report-script.ts): a few rows and columns, at normal size.
 */
function initialDensity(endpoints: number): 'normal' | 'compact' | 'dense' {
  if (endpoints > 200) return 'normal';
  if (endpoints > 120) return 'dense';
  return endpoints > 50 ? 'compact' : 'normal';
}

function controls(data: ReportData): string {
  const d = initialDensity(data.endpoints.length);
  const option = (v: string): string => `<option value="${v}"${v === d ? ' selected' : ''}>${v}</option>`;
  const changed = data.comparison === undefined ? '' : '<label><input type="checkbox" id="only-changed"> show only changed</label>';
  return `<div id="controls">
<label>from <input type="search" id="filter-from" placeholder="namespace or workload"></label>
<label>to <input type="search" id="filter-to" placeholder="namespace or workload"></label>
${changed}
<label>density <select id="density">${['normal', 'compact', 'dense'].map(option).join('')}</select></label>
<button type="button" id="collapse-all">collapse all namespaces</button><button type="button" id="expand-all">expand all</button>
<span id="shown"></span></div>`;
}

function legend(data: ReportData): string {
  const verdicts = (['allowed', 'partial', 'denied'] as const).map((v) => `<span class="${v}" style="background:${COLOUR[v]}">${MARK[v]} ${v}</span>`).join('');
  const changes = data.comparison === undefined ? '' : ' <span>+ newly allowed</span><span>− no longer allowed</span><span>± both</span>';
  return `<p class="legend">${verdicts}${changes} rows: from, columns: to; allowed = every port and protocol, partial = some. ` +
    'Click a cell for its trace, a namespace\'s name to collapse or expand it.</p>';
}

/** The whole page: nothing in it loads from the network. */
export function renderReportHtml(data: ReportData): string {
  const e = encodeReport(data);
  const endpointIndex = new Map(data.endpoints.map((x, i) => [x.id, i]));
  const appeared = (data.comparison?.appeared ?? []).flatMap((id) => endpointIndex.get(id) ?? []);
  const payload = { endpoints: data.endpoints, appeared, ...e };
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(data.title)}</title>
<style>${REPORT_CSS}${TIERS_CSS}</style></head>
<body>
<h1>${escapeHtml(data.title)}</h1>
${failClosedBox(data.failClosed)}
${changeSummary(data)}
<h2>Connection matrix</h2>
${legend(data)}
${controls(data)}
<div id="matrix-wrap"><noscript>The matrix is drawn by the page's script: allow scripts for this file.</noscript></div>
<h3 id="trace-head">Click a cell to see why.</h3>
<pre id="change" hidden></pre>
<pre id="trace"></pre>
<h2>Policies</h2>
${tieredPolicyList(data.clusterPolicies, policyList(data.policies))}
<h2>Lint findings</h2>
${findingList(data.findings)}
<script type="application/json" id="report-data">${scriptJson(payload)}</script>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}
