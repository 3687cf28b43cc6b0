// Manifest text -> decoded objects, each with its SourceRef and a way back to
// its lines. Multi-document YAML (JSON is read as YAML, which it is), and
// lists: `kind: List` and typed lists such as PodList (whose items may omit
// kind and apiVersion, as the API server sends them) expand into their items.
// Document indices count objects: a List's items take one index each and the
// documents after it count on (see SourceRef.document); empty documents take
// an index too, so that without Lists index = position in the file.
import type { FieldSegment } from './field-path.ts';
import { parseFieldPath } from './field-path.ts';
import type { RawObject } from './normalize-object.ts';
import type { SourceProblem } from '../model/problems.ts';
import { isRecord } from './raw.ts';
import { readYamlDocuments } from './yaml-documents.ts';

export interface ParsedManifests {
  readonly documents: readonly RawObject[];
  readonly problems: readonly SourceProblem[];
}

/** Parses one file's text; `file` names it in SourceRefs and problems. */
export function parseManifestText(text: string, file: string): ParsedManifests {
  const documents: RawObject[] = [];
  const problems: SourceProblem[] = [];
  let index = 0;
  for (const doc of readYamlDocuments(text, { itemLinesAt: (value) => (listItems(value) ? ['items'] : undefined) })) {
    for (const p of doc.problems) problems.push({ severity: p.severity, file, document: index, ...lineOf(p.line), message: p.message });
    if (doc.value === undefined || doc.value === null) {
      index++;
      continue;
    }
    const expanded = expandList(doc.value);
    if (expanded.length === 0) index++;
    for (const { value: item, path } of expanded) {
      const line = path.length === 0 ? doc.line : doc.itemLines?.[path[1] as number];
      documents.push({
        source: { file, document: index++ }, value: item, ...lineOf(line),
        locate: (field) => doc.lineOf([...path, ...parseFieldPath(field)]),
      });
    }
  }
  return { documents, problems };
}

function lineOf(line: number | undefined): { line?: number } {
  return line === undefined || line === 0 ? {} : { line };
}

/** A List's items (with kind/apiVersion filled in for typed lists), or the value itself. */
function expandList(value: unknown): { value: unknown; path: FieldSegment[] }[] {
  if (!listItems(value) || !isRecord(value) || typeof value.kind !== 'string') return [{ value, path: [] }];
  const items = (value.items ?? []) as readonly unknown[];
  const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -'List'.length);
  return items.map((item, i) => ({
    value: itemKind !== undefined && isRecord(item)
      ? { ...(item.kind === undefined && { kind: itemKind }), ...(item.apiVersion === undefined && { apiVersion: value.apiVersion }), ...item }
      : item,
    path: ['items', i],
  }));
}

/** Whether a value is a List (`kind: List`, or a typed list such as PodList) whose items expand. */
function listItems(value: unknown): boolean {
  if (!isRecord(value) || typeof value.kind !== 'string' || !value.kind.endsWith('List')) return false;
  return value.items === null || value.items === undefined || Array.isArray(value.items);
}
