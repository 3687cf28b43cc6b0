// policy-explain report: one self-contained HTML page (inline CSS and JS, no
// network): the connection matrix grouped by namespace, each pair's explain
// trace on click, the policies with the pods each selects, and lint findings.
//
// Every name and message comes from the manifests, so from whoever wrote them:
// the page is written with one escaping function (escapeHtml) for markup, and
// the data the script reads goes in a <script type="application/json"> with
// every "<" escaped, so no text can close the script element. The script only
// ever writes with textContent, never innerHTML.

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
  readonly findings: readonly ReportFinding[];
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escaping function for text and attribute values taken from input. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON safe inside a <script> element: "<" (so no "</script>" or "<!--"),
 * ">" and "&" become \u escapes, which JSON.parse reads back unchanged; so do
 * U+2028 and U+2029, which older parsers take as line ends.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const MARK: Readonly<Record<ReportVerdict, string>> = { allowed: '✓', partial: '◐', denied: '✗', self: '·', 'n/a': '-' };

const CSS = `
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}
th.ns{background:#eef;text-align:center}
th.row{text-align:right;white-space:nowrap}
th.col{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
td.cell{text-align:center;cursor:pointer;min-width:1.6em}
td.allowed{background:#c8efc8}td.partial{background:#fbe7a1}td.denied{background:#f5b7b1}
td.self,td.na{background:#eee;cursor:default}
td.selected{outline:3px solid #333}
#trace{white-space:pre-wrap;background:#f6f6f6;border:1px solid #ccc;padding:.8em;min-height:3em;font-family:ui-monospace,monospace;font-size:13px}
.legend span{display:inline-block;padding:0 .6em;margin-right:.4em;border:1px solid #ccc}
.warning{color:#a40}.info{color:#246}
#fail-closed{border:2px solid #a40;background:#fff4ec;padding:.5em 1em}
`;

// Reads the embedded JSON and shows a cell's trace; textContent only.
const SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var head = document.getElementById('trace-head');
  var out = document.getElementById('trace');
  var selected = null;
  document.getElementById('matrix').addEventListener('click', function(ev){
    var td = ev.target.closest('td.cell');
    if (!td) return;
    var i = Number(td.dataset.from), j = Number(td.dataset.to);
    var cell = data.cells[i][j];
    if (!cell || cell.trace === null) return;
    if (selected) selected.classList.remove('selected');
    selected = td; td.classList.add('selected');
    head.textContent = data.endpoints[i].id + ' -> ' + data.endpoints[j].id + ': ' + cell.verdict
      + ' (allowed: ' + cell.connections + '); trace for ' + cell.probe;
    out.textContent = cell.trace;
  });
})();
`;

/** Consecutive endpoints of one namespace: the matrix's column groups. */
function namespaceGroups(endpoints: readonly ReportEndpoint[]): { namespace: string; span: number }[] {
  const groups: { namespace: string; span: number }[] = [];
  for (const e of endpoints) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last.namespace === e.namespace) last.span += 1;
    else groups.push({ namespace: e.namespace, span: 1 });
  }
  return groups;
}

function matrixTable(data: ReportData): string {
  const groups = namespaceGroups(data.endpoints);
  const nsLabel = (ns: string): string => escapeHtml(ns === '' ? '(addresses)' : ns);
  const nsRow = `<tr><th></th>${groups.map((g) => `<th class="ns" colspan="${g.span}">${nsLabel(g.namespace)}</th>`).join('')}</tr>`;
  const colRow = `<tr><th>from \\ to</th>${data.endpoints.map((e) => `<th class="col" title="${escapeHtml(e.id)}">${escapeHtml(e.name)}</th>`).join('')}</tr>`;
  const rows = data.endpoints.map((from, i) => {
    const cells = (data.cells[i] ?? []).map((c, j) => {
      const to = data.endpoints[j];
      const cls = c.verdict === 'n/a' ? 'na' : c.verdict;
      const title = `${from.id} -> ${to?.id ?? ''}: ${c.verdict} (${c.connections})`;
      return `<td class="cell ${cls}" data-from="${i}" data-to="${j}" data-verdict="${c.verdict}" title="${escapeHtml(title)}">${MARK[c.verdict]}</td>`;
    });
    return `<tr><th class="row" title="${escapeHtml(from.id)}">${escapeHtml(from.id)}</th>${cells.join('')}</tr>`;
  });
  return `<table id="matrix"><thead>${nsRow}${colRow}</thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function policyList(policies: readonly ReportPolicy[]): string {
  if (policies.length === 0) return '<p>No NetworkPolicy in the input.</p>';
  const rows = policies.map((p) => {
    const selects = p.selects.length === 0 ? '<em>no pod</em>' : p.selects.map(escapeHtml).join(', ');
    return `<tr><td>${escapeHtml(`${p.namespace}/${p.name}`)}</td><td>${escapeHtml(p.policyTypes.join(', '))}</td><td>${selects}</td></tr>`;
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

/** The whole page: nothing in it loads from the network. */
export function renderReportHtml(data: ReportData): string {
  const legend = (['allowed', 'partial', 'denied'] as const).map((v) => `<span class="${v}" style="background:${v === 'allowed' ? '#c8efc8' : v === 'partial' ? '#fbe7a1' : '#f5b7b1'}">${MARK[v]} ${v}</span>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(data.title)}</title>
<style>${CSS}</style></head>
<body>
<h1>${escapeHtml(data.title)}</h1>
${failClosedBox(data.failClosed)}
<h2>Connection matrix</h2>
<p class="legend">${legend} rows: from, columns: to; allowed = every port and protocol, partial = some. Click a cell for its trace.</p>
${matrixTable(data)}
<h3 id="trace-head">Click a cell to see why.</h3>
<pre id="trace"></pre>
<h2>Policies</h2>
${policyList(data.policies)}
<h2>Lint findings</h2>
${findingList(data.findings)}
<script type="application/json" id="report-data">${scriptJson({ endpoints: data.endpoints, cells: data.cells })}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
