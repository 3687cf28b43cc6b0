// Manifest text -> decoded objects, each with its SourceRef and a way back to
// its lines. Multi-document YAML (JSON is read as YAML, which it is), and
// lists: `kind: List` and typed lists such as PodList (whose items may omit
// kind and apiVersion, as the API server sends them) expand into their items.
// Document indices count objects: a List's items take one index each and the
// documents after it count on (see SourceRef.document); empty documents take
// an index too, so that without Lists index = position in the file.
import type { Document, Node as YamlNode } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { fieldLocator } from './yaml-locator.ts';
import type { FieldSegment } from './field-path.ts';
import type { RawObject } from './normalize-object.ts';
import type { SourceProblem } from '../model/problems.ts';
import { isRecord } from './raw.ts';

export interface ParsedManifests {
  readonly documents: readonly RawObject[];
  readonly problems: readonly SourceProblem[];
}

/** Parses one file's text; `file` names it in SourceRefs and problems. */
export function parseManifestText(text: string, file: string): ParsedManifests {
  const lines = new LineCounter();
  const documents: RawObject[] = [];
  const problems: SourceProblem[] = [];
  const parsed = parseAllDocuments(text, { lineCounter: lines, merge: true, prettyErrors: true });
  let index = 0;
  for (const doc of Array.isArray(parsed) ? parsed : []) {
    const at = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lines.linePos(offset).line);
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ severity: 'error', file, document: index, ...lineOf(e.linePos?.[0].line), message: yamlMessage(e.message) });
      index++;
      continue;
    }
    for (const w of doc.warnings) problems.push({ severity: 'warning', file, document: index, ...lineOf(w.linePos?.[0].line), message: yamlMessage(w.message) });
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      problems.push({ severity: 'error', file, document: index, ...lineOf(at(doc.contents?.range?.[0])), message: String(err) });
      index++;
      continue;
    }
    if (value === null || value === undefined) {
      index++;
      continue;
    }
    const expanded = expandList(value);
    if (expanded.length === 0) index++;
    for (const { value: item, path } of expanded) {
      const node = nodeAt(doc, path);
      documents.push({ source: { file, document: index++ }, value: item, ...lineOf(at(node?.range?.[0])), locate: fieldLocator(doc, lines, path) });
    }
  }
  return { documents, problems };
}

function lineOf(line: number | undefined): { line?: number } {
  return line === undefined || line === 0 ? {} : { line };
}

/** The YAML parser's message without its position (the caller reports the line itself). */
export function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** A List's items (with kind/apiVersion filled in for typed lists), or the value itself. */
function expandList(value: unknown): { value: unknown; path: FieldSegment[] }[] {
  if (!isRecord(value) || typeof value.kind !== 'string' || !value.kind.endsWith('List')) return [{ value, path: [] }];
  if (value.items !== null && value.items !== undefined && !Array.isArray(value.items)) return [{ value, path: [] }];
  const items = (value.items ?? []) as readonly unknown[];
  const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -'List'.length);
  return items.map((item, i) => ({
    value: itemKind !== undefined && isRecord(item)
      ? { ...(item.kind === undefined && { kind: itemKind }), ...(item.apiVersion === undefined && { apiVersion: value.apiVersion }), ...item }
      : item,
    path: ['items', i],
  }));
}

function nodeAt(doc: Document, path: readonly FieldSegment[]): YamlNode | undefined {
  const n: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  return isMap(n) || isSeq(n) || isScalar(n) ? n : undefined;
}
