// A YAML document that does not parse, in the user's words: what is wrong,
// where, and what to do. js-yaml's reasons are terse ("duplicated mapping
// key", "deficient indentation") and name the parser's state, not the cause;
// the common causes in manifests have their own message here, located
// exactly (from the parse events where the exception's mark is vague).
import { EVENT_ID, parseEvents, YAMLException, getScalarValue, type Event } from 'js-yaml';

/** Deeper than this is refused: no Kubernetes object nests so deep, and the parser recurses. */
export const MAX_DEPTH = 1000;
/** Aliases may repeat nodes, but not expand a document past this (and past 10 nodes per node written). */
export const MAX_EXPANDED_NODES = 100_000;

export interface YamlErrorText {
  readonly line?: number;
  readonly message: string;
}

/** Keys every object has: a second one at the top level means a second object. */
const OBJECT_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'spec']);

/**
 * `err` thrown while parsing or building `source` (whose first line is
 * `firstLine` of the file). `tabLine`: the first line of `source` indented
 * with a TAB in block context, if any. `events`: the parse events, when the
 * error came after parsing.
 */
export function describeYamlError(err: unknown, source: string, firstLine: number, tabLine?: number, events?: readonly Event[]): YamlErrorText {
  if (err instanceof RangeError) return { line: firstLine, message: tooDeep() };
  if (!(err instanceof YAMLException)) return { line: firstLine, message: `YAML: ${err instanceof Error ? err.message : String(err)}` };
  const markLine = err.mark ? firstLine + err.mark.line : undefined;
  const reason = err.reason;
  if (reason === 'duplicated mapping key') {
    const dup = findDuplicateKey(events ?? safeEvents(source), source);
    if (dup) return duplicateKeyText(dup, source, firstLine);
  }
  if (reason.startsWith('nesting exceeded maxDepth')) return { ...(markLine !== undefined && { line: markLine }), message: tooDeep() };
  if (reason === 'null byte is not allowed in input') {
    return { ...(markLine !== undefined && { line: markLine }), message: 'holds a NUL byte: a binary file, or UTF-16/UTF-32 text without a byte-order mark? Save it as UTF-8' };
  }
  if (reason.includes('complex keys')) {
    const at = complexKeyOffset(events ?? safeEvents(source));
    const line = at === undefined ? markLine : lineIn(source, at, firstLine);
    return { ...(line !== undefined && { line }), message: 'a mapping or list is used as a key (an unrendered template such as {{ .Values.x }}?): render the template first, or quote the value' };
  }
  const sourceLine = err.mark ? source.split('\n')[err.mark.line] ?? '' : '';
  if (/tab/i.test(reason) || /^[ ]*\t/.test(sourceLine)) return { ...(markLine !== undefined && { line: markLine }), message: tabText() };
  if (tabLine !== undefined && (markLine === undefined || tabLine <= markLine)) {
    return { line: tabLine, message: `${tabText()}${markLine !== undefined && markLine !== tabLine ? ` (the parser then stopped at line ${markLine}: ${reason})` : ''}` };
  }
  const template = sourceLine.includes('{{') ? ' (an unrendered template {{ … }}? render it first, e.g. with helm template)' : '';
  return { ...(markLine !== undefined && { line: markLine }), message: `YAML: ${reason}${template}` };
}

function tooDeep(): string {
  return `nested more than ${MAX_DEPTH} levels deep: no Kubernetes object nests like this (a generated or corrupted file?); not read`;
}

function tabText(): string {
  return 'a TAB indents this line: YAML indents with spaces only; replace the TAB with spaces';
}

function safeEvents(source: string): readonly Event[] {
  try {
    return parseEvents(source, { maxDepth: MAX_DEPTH });
  } catch {
    return [];
  }
}

function lineIn(source: string, offset: number, firstLine: number): number {
  let line = firstLine;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) line++;
  return line;
}

interface DuplicateKey {
  readonly key: string;
  readonly first: number;
  readonly second: number;
  /** Whether the mapping is the document's top node. */
  readonly topLevel: boolean;
  /** Offset where the second object probably starts (top level only). */
  readonly secondObject: number;
}

interface Frame {
  readonly mapping: boolean;
  expectKey: boolean;
  readonly keys: Map<string, number>;
  readonly order: { key: string; offset: number }[];
}

function findDuplicateKey(events: readonly Event[], source: string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  const consumed = (): void => {
    const top = stack[stack.length - 1];
    if (top?.mapping) top.expectKey = !top.expectKey;
  };
  for (const e of events) {
    if (e.type === EVENT_ID.DOCUMENT) stack.length = 0;
    else if (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) {
      consumed();
      stack.push({ mapping: e.type === EVENT_ID.MAPPING, expectKey: true, keys: new Map(), order: [] });
    } else if (e.type === EVENT_ID.POP) stack.pop();
    else if (e.type === EVENT_ID.SCALAR) {
      const top = stack[stack.length - 1];
      if (top?.mapping && top.expectKey) {
        const key = getScalarValue(source, e);
        const first = top.keys.get(key);
        if (first !== undefined && key !== '<<') {
          const topLevel = stack.length === 1;
          return { key, first, second: e.valueStart, topLevel, secondObject: topLevel ? secondObjectStart(top.order, key, e.valueStart) : e.valueStart };
        }
        top.keys.set(key, e.valueStart);
        top.order.push({ key, offset: e.valueStart });
      }
      consumed();
    } else consumed();
  }
  return undefined;
}

/** After the first copy of the repeated key, the first apiVersion (else kind, else the repeat) starts the second object. */
function secondObjectStart(order: readonly { key: string; offset: number }[], key: string, second: number): number {
  const after = [...order.slice(order.findIndex((o) => o.key === key) + 1), { key, offset: second }];
  return (after.find((o) => o.key === 'apiVersion') ?? after.find((o) => o.key === 'kind') ?? { offset: second }).offset;
}

function duplicateKeyText(dup: DuplicateKey, source: string, firstLine: number): YamlErrorText {
  const line = lineIn(source, dup.second, firstLine);
  const first = lineIn(source, dup.first, firstLine);
  if (dup.topLevel && OBJECT_KEYS.has(dup.key)) {
    return {
      line,
      message: `duplicate key ${dup.key} (first at line ${first}): two objects without a '---' line between them? Put '---' on a line of its own before line ${lineIn(source, dup.secondObject, firstLine)}`,
    };
  }
  return { line, message: `duplicate key ${JSON.stringify(dup.key)} (first at line ${first}): a key may appear once in a mapping; remove one of them` };
}

/** Offset of the first mapping key that is itself a mapping or a sequence. */
function complexKeyOffset(events: readonly Event[]): number | undefined {
  const stack: { mapping: boolean; expectKey: boolean }[] = [];
  for (const e of events) {
    const top = stack[stack.length - 1];
    if (e.type === EVENT_ID.DOCUMENT) stack.length = 0;
    else if (e.type === EVENT_ID.POP) stack.pop();
    else {
      if ((e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) && top?.mapping && top.expectKey) return e.start;
      if (top?.mapping) top.expectKey = !top.expectKey;
      if (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) stack.push({ mapping: e.type === EVENT_ID.MAPPING, expectKey: true });
    }
  }
  return undefined;
}
