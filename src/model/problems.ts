// Problems found in outside input, as values. Sources never throw on bad
// input: they collect problems, keep going, and let the caller decide
// (the CLI exits non-zero on errors; the agent logs them and fails closed).
import type { SourceRef } from './types.ts';

const SHOWN_CHARS = 80;

/** A string as messages show it: JSON-quoted, cut after SHOWN_CHARS characters. */
export function quote(text: string): string {
  return text.length > SHOWN_CHARS ? `${JSON.stringify(text.slice(0, SHOWN_CHARS))}... (${text.length} characters)` : JSON.stringify(text);
}


export type Severity = 'error' | 'warning' | 'debug';

export interface SourceProblem {
  readonly severity: Severity;
  /** File path, "<stdin>", or "cluster" for live mode. */
  readonly file: string;
  /** 0-based document index, as in SourceRef; absent for file-level problems. */
  readonly document?: number;
  /** 1-based line in the file, when the input was YAML/JSON text. */
  readonly line?: number;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** JSON path inside the object, e.g. "spec.ingress[0].from[1].ipBlock.except[0]". */
  readonly field?: string;
  readonly message: string;
}

/** Who a problem is about: the object being normalized. */
export interface ObjectContext {
  readonly source: SourceRef;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/**
 * Collects the problems of one object. Normalizers compare `errorCount`
 * before and after a sub-part to know whether that part was sound.
 */
export class ProblemList {
  readonly items: SourceProblem[] = [];
  private errors = 0;
  private readonly context: ObjectContext;

  constructor(context: ObjectContext) {
    this.context = context;
  }

  get errorCount(): number {
    return this.errors;
  }

  error(field: string | undefined, message: string): void {
    this.add('error', field, message);
  }

  warn(field: string | undefined, message: string): void {
    this.add('warning', field, message);
  }

  debug(field: string | undefined, message: string): void {
    this.add('debug', field, message);
  }

  private add(severity: Severity, field: string | undefined, message: string): void {
    if (severity === 'error') this.errors++;
    const { source, kind, name, namespace } = this.context;
    this.items.push({
      severity,
      file: source.file,
      document: source.document,
      ...(kind !== undefined && { kind }),
      ...(name !== undefined && { name }),
      ...(namespace !== undefined && { namespace }),
      ...(field !== undefined && field !== '' && { field }),
      message,
    });
  }
}

/** "NetworkPolicy shop/db-allow", "Namespace shop", or "" when unknown. */
function objectLabel(p: Pick<SourceProblem, 'kind' | 'name' | 'namespace'>): string {
  const name = p.name === undefined ? undefined : p.namespace ? `${p.namespace}/${p.name}` : p.name;
  return [p.kind, name].filter((s) => s !== undefined && s !== '').join(' ');
}

/**
 * One line for humans, e.g.
 * `policies/db.yaml doc 2: NetworkPolicy shop/db-allow: spec.ingress[0].from[1].ipBlock.except[0]: 10.1.0.0/16 is not inside cidr 192.168.0.0/16`.
 * With a known line the file part reads `policies/db.yaml:14 doc 2` (editors
 * jump to it). Live objects have no document to name. Severity is left to the
 * caller (it prints, colours or filters by it).
 */
export function formatProblem(p: SourceProblem): string {
  let where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  if (p.document !== undefined && p.file !== 'cluster') where += ` doc ${p.document}`;
  const parts = [where, objectLabel(p), p.field ?? '', p.message].filter((s) => s !== '');
  return parts.join(': ');
}

/** "policies/db.yaml doc 2" or "cluster": where an object came from. */
export function formatSourceRef(ref: SourceRef): string {
  return ref.file === 'cluster' ? ref.file : `${ref.file} doc ${ref.document}`;
}
