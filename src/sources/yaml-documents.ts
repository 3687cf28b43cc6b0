// YAML text -> documents, read the way kubectl reads them, fast, with exact
// lines for every problem.
//
// Speed: the text is cut into documents at `---` lines (a line starting
// with `---` and then white space or nothing starts a document, by the YAML
// rules), and each document is parsed with js-yaml's event parser and built
// from the events (5-8 times faster than the `yaml` package on large inputs;
// bench/large-inputs.ts measures both). A document's events are dropped
// once it is built; a field's line is found later, only when a problem asks
// for it, by parsing that document's text again (YamlPositions).
//
// What kubectl reads: a document that strict YAML refuses only because of
// the indentation of lines inside `[ … ]` / `{ … }` or inside a multi-line
// quoted string is re-indented (yaml-relaxed.ts, lines unchanged) and read,
// with a debug note. What it refuses is refused in the user's words (yaml-
// messages.ts): duplicate keys (two objects without `---` between them),
// TABs as indentation, too deep nesting (a limit instead of a stack
// overflow), aliases that expand without bound.
import { constructFromEvents, CORE_SCHEMA, EVENT_ID, mergeTag, parseEvents, type Event } from 'js-yaml';
import type { FieldSegment } from './field-path.ts';
import { LineTable, YamlPositions } from './yaml-locator.ts';
import { describeYamlError, MAX_DEPTH, MAX_EXPANDED_NODES } from './yaml-messages.ts';
import { relaxIndentation } from './yaml-relaxed.ts';

/** Merge keys (`<<: *base`) as kubectl's go-yaml reads them; otherwise the YAML 1.2 core schema. */
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

export interface YamlProblem {
  readonly severity: 'error' | 'debug';
  /** 1-based line in the whole text. */
  readonly line?: number;
  readonly message: string;
}

export interface YamlDocument {
  /** 0-based position in the text; an empty document takes one too. */
  readonly index: number;
  /** The decoded value: null for an empty document, undefined when it has errors. */
  readonly value: unknown;
  /** 1-based line where the document's top node starts. */
  readonly line: number | undefined;
  /** Errors (the value is then undefined) and debug notes. */
  readonly problems: readonly YamlProblem[];
  /** The document's own text (from its `---` line, or the start of the text). */
  readonly text: string;
  /** 1-based line of a field path's deepest written node; parses positions on first use. */
  lineOf(path: readonly FieldSegment[]): number | undefined;
  /** Lines of the items of the sequence at `path`, when the reader was asked for them (see ReadYamlOptions.itemLinesAt). */
  readonly itemLines?: readonly (number | undefined)[];
}

export interface ReadYamlOptions {
  /** For a decoded value, the path of a sequence whose items' lines to keep (a List's `items`), if any. */
  readonly itemLinesAt?: (value: unknown) => readonly FieldSegment[] | undefined;
}

interface Chunk {
  readonly text: string;
  /** 1-based line of the chunk's first line. */
  readonly line: number;
}

/** A line that starts a document: `---` then white space or the end of the line. */
const DOCUMENT_START = /^---(?=[ \t\r\n]|$)/gm;
/** Only comments, blank lines and directives: no document of its own. */
const NO_CONTENT = /^(?:[ \t]*(?:#.*)?\r?(?:\n|$)|%.*(?:\n|$))*$/;

export function readYamlDocuments(text: string, opts: ReadYamlOptions = {}): YamlDocument[] {
  const out: YamlDocument[] = [];
  for (const chunk of chunks(text)) readChunk(chunk, out, opts);
  return out;
}

/** The text cut at document start lines; text before the first one joins it unless it holds content. */
function chunks(text: string): Chunk[] {
  const starts: number[] = [];
  for (const m of text.matchAll(DOCUMENT_START)) starts.push(m.index);
  if (starts[0] !== 0 && (starts.length === 0 || !NO_CONTENT.test(text.slice(0, starts[0])))) starts.unshift(0);
  else starts[0] = 0;
  const out: Chunk[] = [];
  let line = 1;
  let counted = 0;
  for (let k = 0; k < starts.length; k++) {
    const from = starts[k] as number;
    for (let i = text.indexOf('\n', counted); i !== -1 && i < from; i = text.indexOf('\n', i + 1)) line++;
    counted = from;
    out.push({ text: text.slice(from, starts[k + 1] ?? text.length), line });
  }
  return out;
}

/** Parses a chunk strictly, else re-indented as kubectl would read it; the events and the text they index. */
function parseChunk(chunk: Chunk): { events: Event[]; source: string; notes: YamlProblem[] } | { error: unknown; tabLine: number | undefined } {
  try {
    return { events: parseEvents(chunk.text, { maxDepth: MAX_DEPTH }), source: chunk.text, notes: [] };
  } catch (strictError) {
    const relaxed = relaxIndentation(chunk.text);
    const tabLine = relaxed.tabIndented[0];
    if (relaxed.reindented.length > 0) {
      try {
        const events = parseEvents(relaxed.text, { maxDepth: MAX_DEPTH });
        return { events, source: relaxed.text, notes: relaxedNotes(relaxed.reindented, chunk.line) };
      } catch {
        // Re-indenting was not enough: report the strict parser's error.
      }
    }
    return { error: strictError, tabLine: tabLine === undefined ? undefined : chunk.line + tabLine };
  }
}

function relaxedNotes(lines: readonly { line: number; why: string }[], firstLine: number): YamlProblem[] {
  const first = lines[0] as { line: number; why: string };
  const what = first.why === 'tab-in-flow' ? 'a TAB starts a line inside [ … ] or { … }'
    : first.why === 'flow-indent' ? 'a line inside [ … ] or { … } is indented no deeper than its key'
      : 'a multi-line quoted string continues on a line indented no deeper than its key';
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more line${lines.length === 2 ? '' : 's'})` : '';
  return [{ severity: 'debug', line: firstLine + first.line, message: `${what}${more}: strict YAML parsers refuse this; read as kubectl reads it` }];
}

function readChunk(chunk: Chunk, out: YamlDocument[], opts: ReadYamlOptions): void {
  const parsed = parseChunk(chunk);
  if ('error' in parsed) {
    out.push(failed(out.length, chunk, describeYamlError(parsed.error, chunk.text, chunk.line, parsed.tabLine)));
    return;
  }
  const { events, source, notes } = parsed;
  let values: unknown[];
  try {
    values = constructFromEvents(events, { source, schema: SCHEMA });
  } catch (err) {
    out.push(failed(out.length, chunk, describeYamlError(err, source, chunk.line, undefined, events)));
    return;
  }
  const hasAliases = events.some((e) => e.type === EVENT_ID.ALIAS);
  const lines = new LineTable(source, chunk.line);
  values.forEach((value, ordinal) => {
    const index = out.length;
    if (hasAliases && expandedSize(value) > Math.max(MAX_EXPANDED_NODES, events.length * 10)) {
      out.push(failed(index, chunk, { line: chunk.line, message: `aliases (*name) expand this document to more than ${MAX_EXPANDED_NODES.toLocaleString('en-US')} nodes: not read (a "billion laughs" document?)` }));
      return;
    }
    const start = rootOffset(events, ordinal);
    // Item lines come from this parse's events while they are at hand.
    const itemPath = opts.itemLinesAt?.(value);
    const itemOffsets = itemPath ? new YamlPositions(events, source, ordinal).itemOffsets(itemPath) : undefined;
    out.push(new ParsedDocument(index, value, start === undefined ? undefined : lines.lineAt(start), notes, chunk, source, ordinal,
      itemOffsets?.map((o) => (o === undefined ? undefined : lines.lineAt(o)))));
  });
}

/** Offset of the top node of document `ordinal` among the events. */
function rootOffset(events: readonly Event[], ordinal: number): number | undefined {
  let documents = -1;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Event;
    if (e.type !== EVENT_ID.DOCUMENT || ++documents !== ordinal) continue;
    const top = events[i + 1];
    if (top === undefined) return undefined;
    if (top.type === EVENT_ID.MAPPING || top.type === EVENT_ID.SEQUENCE) return top.start;
    if (top.type === EVENT_ID.SCALAR) return top.valueStart === -1 ? undefined : top.valueStart;
    return undefined;
  }
  return undefined;
}

function failed(index: number, chunk: Chunk, problem: { line?: number; message: string }): YamlDocument {
  return {
    index, value: undefined, line: problem.line, text: chunk.text,
    problems: [{ severity: 'error', ...problem }],
    lineOf: () => problem.line,
  };
}

/** Nodes of a value with every alias expanded; memoized per shared object, so bombs are measured, not walked. */
function expandedSize(value: unknown): number {
  const memo = new Map<object, number>();
  const size = (v: unknown): number => {
    if (typeof v !== 'object' || v === null) return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    memo.set(v, 1);
    let n = 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      n += size(child);
      if (n > Number.MAX_SAFE_INTEGER / 2) break;
    }
    memo.set(v, n);
    return n;
  };
  return size(value);
}

class ParsedDocument implements YamlDocument {
  readonly index: number;
  readonly value: unknown;
  readonly line: number | undefined;
  readonly problems: readonly YamlProblem[];
  readonly itemLines?: readonly (number | undefined)[];
  private readonly chunk: Chunk;
  private readonly source: string;
  private readonly ordinal: number;
  private positions: { positions: YamlPositions; lines: LineTable } | undefined;

  constructor(index: number, value: unknown, line: number | undefined, problems: readonly YamlProblem[], chunk: Chunk, source: string,
    ordinal: number, itemLines: readonly (number | undefined)[] | undefined) {
    this.index = index;
    this.value = value;
    this.line = line;
    this.problems = problems;
    this.chunk = chunk;
    this.source = source;
    this.ordinal = ordinal;
    if (itemLines) this.itemLines = itemLines;
  }

  get text(): string {
    return this.chunk.text;
  }

  lineOf(path: readonly FieldSegment[]): number | undefined {
    // The text parsed before, so its events are the ones the value came from.
    this.positions ??= {
      positions: new YamlPositions(parseEvents(this.source, { maxDepth: MAX_DEPTH }), this.source, this.ordinal),
      lines: new LineTable(this.source, this.chunk.line),
    };
    const offset = this.positions.positions.offsetOf(path);
    return offset === undefined ? this.line : this.positions.lines.lineAt(offset);
  }
}
