// Where lint's findings are in their files, for SARIF: the line of the field
// a finding names, and the lines the whole object spans. Findings carry only
// their object's file and document (SourceRef); the lines are found again by
// reading each named file once more, with the same YAML reader and locator the
// sources used, so a line here is the line an error about that field shows.
// Standard input and live clusters have no file to point into: their
// findings get no lines.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LintFinding } from '../../lint/lint-cluster.ts';
import { parseManifestText } from '../../sources/manifest-documents.ts';
import { STDIN_NAME } from '../../sources/manifest-files.ts';
import { decodeText } from '../../sources/text-decoding.ts';
import type { RawObject } from '../../sources/normalize-object.ts';

export interface FindingLines {
  /** 1-based line of the finding's field (its object's first line when the field is the whole object). */
  readonly line: number;
  /** The object's first and last lines, when it is a document of its own (not an item of a List). */
  readonly object?: { readonly startLine: number; readonly endLine: number };
}

export type LineLookup = (f: LintFinding) => FindingLines | undefined;

interface ReadFile {
  readonly objects: readonly RawObject[];
  /** Each document's [first, last] content line, by its first line. */
  readonly spans: ReadonlyMap<number, number>;
}

/** A lookup that reads each file a finding names once, relative to `cwd`. */
export function findingLines(cwd: string = process.cwd()): LineLookup {
  const files = new Map<string, ReadFile | undefined>();
  const read = (file: string): ReadFile | undefined => {
    if (!files.has(file)) files.set(file, readManifest(path.resolve(cwd, file)));
    return files.get(file);
  };
  return (f) => {
    const source = f.source;
    if (!source || source.file === STDIN_NAME || source.file === 'cluster') return undefined;
    const doc = read(source.file)?.objects.find((o) => o.source.document === source.document);
    if (doc?.line === undefined) return undefined;
    const line = (f.field === '' ? undefined : doc.locate?.(f.field)) ?? doc.line;
    const end = read(source.file)?.spans.get(doc.line);
    return { line, ...(end !== undefined && { object: { startLine: doc.line, endLine: end } }) };
  };
}

function readManifest(file: string): ReadFile | undefined {
  if (!existsSync(file)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined; // read when loaded, gone or unreadable since: the finding keeps its file without lines
  }
  const decoded = decodeText(bytes);
  if (!decoded.ok) return undefined;
  const objects = parseManifestText(decoded.text, file).documents;
  return { objects, spans: documentSpans(decoded.text, objects) };
}

const DOCUMENT_MARK = /^(---|\.\.\.)(\s|$)/;
const NO_CONTENT = /^\s*(#.*)?$/;

/**
 * For each object that starts a document, its last line: the line before the
 * next `---` (or `...`, or the end of the text), less trailing blank and
 * comment lines. An item of a List starts no document and gets none.
 */
function documentSpans(text: string, objects: readonly RawObject[]): Map<number, number> {
  const lines = text.split(/\r?\n/);
  const starts = new Set<number>();
  for (const o of objects) if (o.line !== undefined) starts.add(o.line);
  const spans = new Map<number, number>();
  for (const start of starts) {
    // The line before the start must end a document (or be the top of the file) for the object to be a whole document.
    let before = start - 2;
    while (before >= 0 && NO_CONTENT.test(lines[before] as string)) before--;
    if (before >= 0 && !DOCUMENT_MARK.test(lines[before] as string)) continue;
    let end = start;
    while (end < lines.length && !DOCUMENT_MARK.test(lines[end] as string)) end++;
    while (end > start && NO_CONTENT.test(lines[end - 1] as string)) end--;
    spans.set(start, end);
  }
  return spans;
}

/**
 * The root of the git repository holding `dir` (the nearest folder upwards
 * with a .git entry: a folder, or a file in a worktree), else `dir` itself:
 * what code scanning resolves relative paths against.
 */
export function repositoryRoot(dir: string): string {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return at;
    if (path.dirname(at) === at) return path.resolve(dir);
  }
}
