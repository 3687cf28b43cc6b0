// Where manifests come from: files, folders (recursively, *.yaml, *.yml and
// *.json, in sorted order, hidden folders and node_modules skipped), glob patterns, and "-" for standard input. This is
// the I/O edge of the sources stage; everything after it is pure.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { RawObject } from './normalize-object.ts';
import type { SourceProblem } from '../model/problems.ts';
import { filesUnder, readErrorText } from './find-files.ts';
import { parseManifestText } from './manifest-documents.ts';
import { decodeText, decodeTextOrThrow, TextDecodingError } from './text-decoding.ts';

export const STDIN_NAME = '<stdin>';
const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export interface ReadManifestsOptions {
  /** Directory that relative paths and globs start from; process.cwd() by default. */
  readonly cwd?: string;
  /** Reads standard input for "-"; tests pass their own (text, or bytes to decode as a file's). */
  readonly readStdin?: () => Promise<string | Uint8Array>;
  /** Reads a file's bytes (absolute path); the agent's file source passes one that also digests what it read. */
  readonly readFile?: (file: string) => Promise<Uint8Array>;
}

export interface ManifestDocuments {
  readonly documents: readonly RawObject[];
  readonly problems: readonly SourceProblem[];
}

/** Reads and parses every manifest the paths name, in order, each file once. */
export async function readManifests(paths: readonly string[], opts: ReadManifestsOptions = {}): Promise<ManifestDocuments> {
  const { files, problems } = await expandManifestPaths(paths, opts);
  const documents: RawObject[] = [];
  for (const file of files) {
    let content: string | Uint8Array;
    try {
      content = file === STDIN_NAME ? await (opts.readStdin ?? readStdin)() : await (opts.readFile ?? readFile)(path.resolve(opts.cwd ?? '.', file));
    } catch (err) {
      if (err instanceof TextDecodingError) problems.push({ severity: 'error', file, ...(err.line !== undefined && { line: err.line }), message: err.message });
      else problems.push({ severity: 'error', file, message: `cannot read: ${readErrorText(err)}` });
      continue;
    }
    const decoded = typeof content === 'string' ? { ok: true as const, text: content } : decodeText(content);
    if (!decoded.ok) {
      problems.push({ severity: 'error', file, ...(decoded.line !== undefined && { line: decoded.line }), message: decoded.message });
      continue;
    }
    const text = decoded.text;
    const parsed = parseManifestText(text, file);
    documents.push(...parsed.documents);
    problems.push(...parsed.problems);
  }
  return { documents, problems };
}

/**
 * The files that paths name, as display names: as given for files, joined to
 * the folder or glob base for what was found inside. "-" becomes "<stdin>".
 */
export async function expandManifestPaths(paths: readonly string[], opts: ReadManifestsOptions = {}): Promise<{ files: string[]; problems: SourceProblem[] }> {
  const cwd = opts.cwd ?? process.cwd();
  const files: string[] = [];
  const problems: SourceProblem[] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    const key = file === STDIN_NAME ? file : path.resolve(cwd, file);
    if (!seen.has(key)) {
      seen.add(key);
      files.push(file);
    }
  };
  for (const p of paths) {
    if (p === '-') {
      add(STDIN_NAME);
      continue;
    }
    const info = await stat(path.resolve(cwd, p)).catch(() => undefined);
    if (info?.isDirectory()) {
      const found = await filesUnder(path.resolve(cwd, p), (name) => MANIFEST_FILE.test(name));
      if (found.length === 0) problems.push({ severity: 'warning', file: p, message: 'folder has no *.yaml, *.yml or *.json files' });
      for (const f of found) add(path.join(p, f));
    } else if (info) {
      add(p);
    } else if (isDynamicPattern(p)) {
      const found = (await glob(p, { cwd, absolute: path.isAbsolute(p) })).sort();
      if (found.length === 0) problems.push({ severity: 'error', file: p, message: 'no files match this pattern' });
      for (const f of found) add(f);
    } else {
      problems.push({ severity: 'error', file: p, message: 'no such file or folder' });
    }
  }
  return { files, problems };
}

/**
 * The whole of a stream (or the string given instead), as text decoded as a
 * file is (UTF-8, or UTF-16 with a byte-order mark); throws TextDecodingError
 * when it is not text.
 */
export async function readAll(input: NodeJS.ReadableStream | string): Promise<string> {
  if (typeof input === 'string') return input;
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return decodeTextOrThrow(Buffer.concat(chunks));
}

const readStdin = (): Promise<string> => readAll(process.stdin);
