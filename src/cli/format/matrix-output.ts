// The matrix command's output: a ConnectivityMatrix (JSON), an aligned text
// grid, or a markdown table. Rows are sources, columns destinations.
import type { MatrixCell, MatrixEndpoint, MatrixPort, MatrixResult } from '../../explain/matrix.ts';
import { alignColumns } from './columns.ts';
import { mdTable } from './markdown.ts';
import { envelope, type Envelope } from './output.ts';
import { plain, type Style } from '../../explain/style.ts';

export interface MatrixSummary {
  readonly allowed: number;
  readonly denied: number;
  readonly notApplicable: number;
}

export interface ConnectivityMatrix extends Envelope<'ConnectivityMatrix'> {
  readonly port: MatrixPort | null;
  /** The port in words, e.g. "TCP 80" or "each destination's declared container ports". */
  readonly portDescription: string;
  readonly namespace: string | null;
  readonly endpoints: readonly MatrixEndpoint[];
  readonly cells: readonly (readonly MatrixCell[])[];
  readonly summary: MatrixSummary;
}

export function describeMatrixPort(port: MatrixPort | null): string {
  if (port === null) return "each destination's declared container ports (allowed = at least one)";
  if (port.name !== null) return `${port.protocol} port named ${port.name} on each destination`;
  return port.port === null ? port.protocol : `${port.protocol} ${port.port}`;
}

export function summarize(m: MatrixResult): MatrixSummary {
  const all = m.cells.flat();
  const count = (c: MatrixCell): number => all.filter((x) => x === c).length;
  return { allowed: count('allowed'), denied: count('denied'), notApplicable: count('n/a') };
}

export function connectivityMatrix(m: MatrixResult): ConnectivityMatrix {
  return envelope('ConnectivityMatrix', {
    port: m.port, portDescription: describeMatrixPort(m.port), namespace: m.namespace,
    endpoints: m.endpoints, cells: m.cells, summary: summarize(m),
  });
}

export const MARKS: Readonly<Record<MatrixCell, string>> = { allowed: '✓', denied: '✗', self: '.', 'n/a': '-' };

function mark(c: MatrixCell, s: Style): string {
  const m = MARKS[c];
  return c === 'allowed' ? s.green(m) : c === 'denied' ? s.red(m) : s.dim(m);
}

function legend(m: MatrixResult): string {
  const na = m.cells.some((row) => row.includes('n/a')) ? ', - port not on destination' : '';
  return `rows: from, columns: to; ✓ allowed, ✗ denied, . self${na}`;
}

function title(m: MatrixResult): string {
  const scope = m.namespace === null ? '' : ` in namespace ${m.namespace}`;
  return `Connectivity${scope} on ${describeMatrixPort(m.port)}`;
}

export function renderMatrixText(m: MatrixResult, s: Style = plain): string {
  if (m.endpoints.length === 0) return `${title(m)}: no pods or workloads\n`;
  const header = ['', '', ...m.endpoints.map((_, j) => String(j + 1))];
  const rows = m.endpoints.map((e, i) => [String(i + 1), e.id, ...(m.cells[i] ?? []).map((c) => mark(c, s))]);
  return [
    s.bold(title(m)),
    `(${legend(m)})`,
    '',
    ...alignColumns([header, ...rows]),
    '',
    summaryLine(m),
    '',
  ].join('\n');
}

/** "10 allowed, 2 denied" (and the n/a cells when there are any): the diagonal is left out. */
function summaryLine(m: MatrixResult): string {
  const sum = summarize(m);
  return `${sum.allowed} allowed, ${sum.denied} denied${sum.notApplicable > 0 ? `, ${sum.notApplicable} not applicable` : ''}`;
}

export function renderMatrixMarkdown(m: MatrixResult): string {
  const lines = [`### ${title(m)}`, '', `${legend(m)}.`, ''];
  if (m.endpoints.length === 0) return `${[...lines, 'No pods or workloads.'].join('\n')}\n`;
  const header = ['from \\ to', ...m.endpoints.map((e) => e.id)];
  const rows = m.endpoints.map((e, i) => [e.id, ...(m.cells[i] ?? []).map((c) => MARKS[c])]);
  lines.push(...mdTable(header, rows), '', `${summaryLine(m)}.`);
  return `${lines.join('\n')}\n`;
}
