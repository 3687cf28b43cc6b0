// The matrix command's output: a ConnectivityMatrix (JSON), an aligned text
// grid, or a markdown table. Rows are sources, columns destinations. With
// connection sets, the text grid marks each cell ✓ (all), ✗ (none) or a
// letter naming its set in a legend below (a set is too wide for a grid
// cell); markdown, for pull requests, writes each set in its cell.
import type { MatrixCell, MatrixEndpoint, MatrixPort, MatrixResult } from '../../explain/matrix.ts';
import { alignColumns } from './columns.ts';
import { mdTable } from './markdown.ts';
import { envelope, type Envelope } from './output.ts';
import { plain, type Style } from '../../explain/style.ts';

export interface MatrixSummary {
  /** Cells that allow (with connection sets: that allow any connection). */
  readonly allowed: number;
  readonly denied: number;
  readonly notApplicable: number;
  /** With connection sets: of the allowed cells, those that allow every connection. */
  readonly all?: number;
  /** With connection sets: of the allowed cells, those that allow some connections only. */
  readonly partial?: number;
}

export interface ConnectivityMatrix extends Envelope<'ConnectivityMatrix'> {
  readonly port: MatrixPort | null;
  /** The port in words, e.g. "TCP 80"; with connection sets, CONNECTION_SETS_DESCRIPTION. */
  readonly portDescription: string;
  readonly namespace: string | null;
  readonly endpoints: readonly MatrixEndpoint[];
  readonly cells: readonly (readonly MatrixCell[])[];
  /** With connection sets (no --port): each cell's set as text ("all", "none", "TCP 80-81,5432; UDP 53"); null on the diagonal and n/a. */
  readonly connections?: readonly (readonly (string | null)[])[];
  readonly summary: MatrixSummary;
}

export const CONNECTION_SETS_DESCRIPTION = 'every port and protocol (exact connection sets)';

/** What the matrix was asked about, in words. */
export function describeMatrixQuestion(m: MatrixResult): string {
  return m.connections !== undefined ? CONNECTION_SETS_DESCRIPTION : describeMatrixPort(m.port);
}

/** A port in words; null is the declared-ports matrix (the demo's: computeMatrix without a port). */
export function describeMatrixPort(port: MatrixPort | null): string {
  if (port === null) return "each destination's declared container ports (allowed = at least one)";
  if (port.name !== null) return `${port.protocol} port named ${port.name} on each destination`;
  return port.port === null ? port.protocol : `${port.protocol} ${port.port}`;
}

export function summarize(m: MatrixResult): MatrixSummary {
  const all = m.cells.flat();
  const count = (c: MatrixCell): number => all.filter((x) => x === c).length;
  const base = { allowed: count('allowed'), denied: count('denied'), notApplicable: count('n/a') };
  if (m.connections === undefined) return base;
  const whole = m.connections.flat().filter((c) => c?.isAll() === true).length;
  return { ...base, all: whole, partial: base.allowed - whole };
}

export function connectivityMatrix(m: MatrixResult): ConnectivityMatrix {
  return envelope('ConnectivityMatrix', {
    port: m.port, portDescription: describeMatrixQuestion(m), namespace: m.namespace,
    endpoints: m.endpoints, cells: m.cells,
    ...(m.connections !== undefined && { connections: m.connections.map((row) => row.map((c) => c?.format() ?? null)) }),
    summary: summarize(m),
  });
}

export const MARKS: Readonly<Record<MatrixCell, string>> = { allowed: '✓', denied: '✗', self: '.', 'n/a': '-' };

function mark(c: MatrixCell, s: Style): string {
  const m = MARKS[c];
  return c === 'allowed' ? s.green(m) : c === 'denied' ? s.red(m) : s.dim(m);
}

function legend(m: MatrixResult): string {
  if (m.connections !== undefined) {
    const na = m.cells.some((row) => row.includes('n/a')) ? ', - no shared address family' : '';
    return `rows: from, columns: to; each cell is the set of allowed connections: all, none, or the set written out${na}`;
  }
  const na = m.cells.some((row) => row.includes('n/a')) ? ', - port not on destination' : '';
  return `rows: from, columns: to; ✓ allowed, ✗ denied, . self${na}`;
}

function title(m: MatrixResult): string {
  const scope = m.namespace === null ? '' : ` in namespace ${m.namespace}`;
  return `Connectivity${scope} on ${describeMatrixQuestion(m)}`;
}

export function renderMatrixText(m: MatrixResult, s: Style = plain): string {
  if (m.endpoints.length === 0) return `${title(m)}: no pods or workloads\n`;
  if (m.connections !== undefined) return renderConnectionText(m, m.connections, s);
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
  if (sum.all !== undefined) {
    const na = sum.notApplicable > 0 ? `, ${sum.notApplicable} not applicable (no shared address family)` : '';
    return `${sum.all} all, ${sum.partial ?? 0} partial, ${sum.denied} none${na}`;
  }
  return `${sum.allowed} allowed, ${sum.denied} denied${sum.notApplicable > 0 ? `, ${sum.notApplicable} not applicable` : ''}`;
}

export function renderMatrixMarkdown(m: MatrixResult): string {
  const lines = [`### ${title(m)}`, '', `${legend(m)}.`, ''];
  if (m.endpoints.length === 0) return `${[...lines, 'No pods or workloads.'].join('\n')}\n`;
  const header = ['from \\ to', ...m.endpoints.map((e) => e.id)];
  const sets = m.connections;
  const cell = (c: MatrixCell, i: number, j: number): string => sets?.[i]?.[j]?.format() ?? MARKS[c];
  const rows = m.endpoints.map((e, i) => [e.id, ...(m.cells[i] ?? []).map((c, j) => cell(c, i, j))]);
  lines.push(...mdTable(header, rows), '', `${summaryLine(m)}.`);
  return `${lines.join('\n')}\n`;
}

/** "A", "B", … "Z", "AA", "AB", …: the label of the n-th distinct set (0-based). */
export function setLabel(n: number): string {
  let k = n;
  let out = '';
  do {
    out = String.fromCharCode(65 + (k % 26)) + out;
    k = Math.floor(k / 26) - 1;
  } while (k >= 0);
  return out;
}

type Sets = NonNullable<MatrixResult['connections']>;

/** The grid with ✓ all, ✗ none, a letter for each other set (labelled in order of first appearance), then the sets by letter. */
function renderConnectionText(m: MatrixResult, sets: Sets, s: Style): string {
  const labels = new Map<string, string>();
  const mark = (c: MatrixCell, i: number, j: number): string => {
    const set = sets[i]?.[j];
    if (set === null || set === undefined) return s.dim(c === 'self' ? '.' : '-');
    if (set.isAll()) return s.green('✓');
    if (set.isEmpty()) return s.red('✗');
    const text = set.format();
    let label = labels.get(text);
    if (label === undefined) labels.set(text, (label = setLabel(labels.size)));
    return s.yellow(label);
  };
  const header = ['', '', ...m.endpoints.map((_, j) => String(j + 1))];
  const rows = m.endpoints.map((e, i) => [String(i + 1), e.id, ...(m.cells[i] ?? []).map((c, j) => mark(c, i, j))]);
  const grid = alignColumns([header, ...rows]);
  const na = m.cells.some((row) => row.includes('n/a')) ? ', - no shared address family' : '';
  const key = [...labels].map(([text, label]) => [label, text]);
  return [
    s.bold(title(m)),
    `(rows: from, columns: to; ✓ all, ✗ none, . self${na}${key.length > 0 ? '; letters: the sets below' : ''})`,
    '',
    ...grid,
    ...(key.length > 0 ? ['', ...alignColumns(key)] : []),
    '',
    summaryLine(m),
    '',
  ].join('\n');
}
