// The report page's markup helpers, shared by report-html.ts and
// report-tiers.ts: the one escaping function for text taken from input, JSON
// safe inside a <script> element, and a policy's list of selected pods.

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

/** Past this many selected pods, a policy's row folds its list. */
const SELECTS_SHOWN = 12;

/** The pods and workloads a policy selects, as a table cell's content: the list, or past a dozen the count with the list one click away. */
export function selectsMarkup(selects: readonly string[]): string {
  if (selects.length === 0) return '<em>no pod</em>';
  if (selects.length <= SELECTS_SHOWN) return selects.map(escapeHtml).join(', ');
  // A policy of a large namespace (or a cluster-wide one) selects many: the count, the list one click away.
  return `<details><summary>${selects.length} pods and workloads: ${selects.slice(0, 3).map(escapeHtml).join(', ')}, …</summary>${selects.map(escapeHtml).join(', ')}</details>`;
}
