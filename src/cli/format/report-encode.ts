// The report page's data, encoded compactly: a 200-workload page has 40,000
// pairs, and each pair's trace as text with its cell is about 0.8 KiB (30 MiB in all),
// though most traces differ only in the names and addresses of the pair's
// two ends. So:
//  - every string (connection sets, probes, trace lines) is stored once, in
//    `strings`, and referenced by index;
//  - in each trace, the strings of the flow's two ends (ReportCell.subjects)
//    are replaced by one private-use character each (from-side slot k is
//    U+E000+k, to-side U+E100+k), which makes the trace a template that
//    many pairs share; each template is stored once, as its lines' indexes;
//  - a cell is one number, the index of its kind (verdict, connection set,
//    probe, template), when its ends' strings are its row's and column's
//    usual ones (rowVec, colVec), else [kind, fromVector, toVector];
//  - a changed pair (with --against) is [from, to, change], its change
//    (before, after, added, removed, mark) stored once for all pairs that
//    share it.
// The page's script (report-script.ts) expands a trace only when its cell is
// clicked. Expansion is exact: a template is built from the trace by
// replacing each subject with its slot character, and a trace that already
// holds such a character is stored as is (its kind marked raw).
import type { ReportCell, ReportData } from './report-html.ts';

/** [verdict, connections, probe (-1: none), template (-1: none), raw (1: no slots to expand)]. */
export type EncodedKind = [string, number, number, number, 0 | 1];

/** A cell: its kind, with its row's and column's vectors; or [kind, fromVector, toVector] (-1: none). */
export type EncodedCell = number | [number, number, number];

/** A changed pair: [from, to] (endpoint indexes) and its change (an index into changeKinds). */
export type EncodedChange = [number, number, number];

/** [before, after, added, removed] (strings), and the mark: many pairs share one. */
export type EncodedChangeKind = [number, number, number, number, 'add' | 'del' | 'both'];

export interface EncodedReport {
  readonly strings: string[];
  /** Trace templates: each line as an index into strings. */
  readonly templates: number[][];
  readonly kinds: EncodedKind[];
  /** Subject vectors: the strings that fill a template's slots, one side's, as indexes into strings. */
  readonly vectors: number[][];
  readonly rowVec: number[];
  readonly colVec: number[];
  readonly cells: EncodedCell[][];
  readonly changes: EncodedChange[];
  readonly changeKinds: EncodedChangeKind[];
}

const FROM_SLOT = 0xe000;
const TO_SLOT = 0xe100;
const SLOTS = 0x100;
const SLOT_CHARS = /[\ue000-\ue1ff]/;

/** Interns values as indexes into one array, by a key. */
class Interner<T> {
  readonly values: T[] = [];
  private readonly index = new Map<string, number>();
  private readonly keyOf: (v: T) => string;
  constructor(keyOf: (v: T) => string) {
    this.keyOf = keyOf;
  }
  add(v: T): number {
    const key = this.keyOf(v);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(v);
      this.index.set(key, i);
    }
    return i;
  }
}

/** The trace with each subject replaced by its slot character; undefined when it cannot be (it holds one already). */
export function traceTemplate(trace: string, from: readonly string[], to: readonly string[]): string | undefined {
  if (SLOT_CHARS.test(trace)) return undefined;
  const slots = [
    ...from.slice(0, SLOTS).map((value, k) => ({ value, slot: String.fromCharCode(FROM_SLOT + k) })),
    ...to.slice(0, SLOTS).map((value, k) => ({ value, slot: String.fromCharCode(TO_SLOT + k) })),
  ].filter((s) => s.value !== '');
  // Longest first, so a name that holds another ("shop/api-v2", "shop/api") is taken whole.
  slots.sort((a, b) => b.value.length - a.value.length);
  let out = trace;
  for (const s of slots) out = out.split(s.value).join(s.slot);
  return out;
}

/** A template's slots filled (the page's script does the same). */
export function expandTemplate(template: string, from: readonly string[], to: readonly string[]): string {
  return template.replace(/[\ue000-\ue1ff]/g, (ch) => {
    const c = ch.charCodeAt(0);
    return (c >= TO_SLOT ? to[c - TO_SLOT] : from[c - FROM_SLOT]) ?? ch;
  });
}

function mostCommon(xs: readonly number[]): number {
  const counts = new Map<number, number>();
  let best = -1;
  let bestCount = 0;
  for (const x of xs) {
    const n = (counts.get(x) ?? 0) + 1;
    counts.set(x, n);
    if (n > bestCount) [best, bestCount] = [x, n];
  }
  return best;
}

export function encodeReport(data: ReportData): EncodedReport {
  const strings = new Interner<string>((s) => s);
  const templates = new Interner<number[]>((t) => t.join(','));
  const kinds = new Interner<EncodedKind>((k) => k.join(','));
  const vectors = new Interner<number[]>((v) => v.join(','));
  const str = (s: string | null): number => (s === null ? -1 : strings.add(s));

  const encodeCell = (c: ReportCell): { kind: number; from: number; to: number } => {
    const from = c.subjects?.from ?? [];
    const to = c.subjects?.to ?? [];
    let template = -1;
    let raw: 0 | 1 = 0;
    if (c.trace !== null) {
      const text = traceTemplate(c.trace, from, to);
      if (text === undefined) raw = 1;
      template = templates.add((text ?? c.trace).split('\n').map((l) => strings.add(l)));
    }
    const kind = kinds.add([c.verdict, strings.add(c.connections), str(c.probe), template, raw]);
    const noSlots = template === -1 || raw === 1;
    return { kind, from: noSlots ? -1 : vectors.add(from.map((s) => strings.add(s))), to: noSlots ? -1 : vectors.add(to.map((s) => strings.add(s))) };
  };

  const raw = data.cells.map((row) => row.map(encodeCell));
  const n = data.endpoints.length;
  // A row's usual from-vector and a column's usual to-vector: most cells then need only their kind.
  const rowVec = raw.map((row) => mostCommon(row.filter((c) => c.from !== -1).map((c) => c.from)));
  const colVec = Array.from({ length: n }, (_, j) => mostCommon(raw.flatMap((row) => {
    const c = row[j];
    return c === undefined || c.to === -1 ? [] : [c.to];
  })));
  const cells = raw.map((row, i) => row.map((c, j): EncodedCell => {
    const usual = c.from === -1 || (c.from === rowVec[i] && c.to === colVec[j]);
    return usual ? c.kind : [c.kind, c.from, c.to];
  }));

  const changeKinds = new Interner<EncodedChangeKind>((k) => k.join(','));
  const changes = (data.comparison?.changes ?? []).map((c): EncodedChange =>
    [c.from, c.to, changeKinds.add([strings.add(c.before), strings.add(c.after), strings.add(c.added), strings.add(c.removed), c.mark])]);
  return {
    strings: strings.values, templates: templates.values, kinds: kinds.values, vectors: vectors.values, rowVec, colVec, cells,
    changes, changeKinds: changeKinds.values,
  };
}

/** One cell read back from the encoding, as the page's script reads it (tests check the two agree). */
export function decodeCell(e: EncodedReport, i: number, j: number): Omit<ReportCell, 'subjects'> {
  const c = e.cells[i]?.[j];
  if (c === undefined) throw new RangeError(`no cell ${i},${j}`);
  const [k, f, t] = typeof c === 'number' ? [c, e.rowVec[i] ?? -1, e.colVec[j] ?? -1] : c;
  const kind = e.kinds[k];
  if (kind === undefined) throw new RangeError(`no kind ${k}`);
  const [verdict, connections, probe, template, raw] = kind;
  const at = (s: number): string => e.strings[s] ?? '';
  const vector = (v: number): string[] => (v < 0 ? [] : (e.vectors[v] ?? []).map(at));
  const text = template < 0 ? null : (e.templates[template] ?? []).map(at).join('\n');
  return {
    verdict: verdict as ReportCell['verdict'],
    connections: at(connections),
    probe: probe < 0 ? null : at(probe),
    trace: text === null || raw === 1 ? text : expandTemplate(text, vector(f), vector(t)),
  };
}
