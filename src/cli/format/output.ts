// Output formats and the JSON envelope every command's `--output json` uses.
// The envelope and each kind's fields are documented in docs/output-schema.md;
// change them only compatibly (add fields, never rename or remove).
import { formatSourceRef } from '../../model/problems.ts';
import { policyKey, type NetworkPolicy, type SourceRef } from '../../model/types.ts';
import { UsageError } from '../io.ts';

export const OUTPUT_FORMATS = ['text', 'json', 'markdown', 'dot', 'mermaid', 'sarif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const API_VERSION = 'nftpol.dev/v1alpha1';

export type OutputKind = 'FlowExplanation' | 'PodExplanation' | 'ConnectivityMatrix' | 'LintReport';

export interface Envelope<K extends OutputKind> {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: K;
}

export function envelope<K extends OutputKind, B extends object>(kind: K, body: B): Envelope<K> & B {
  return { apiVersion: API_VERSION, kind, ...body };
}

/** A policy the answer treats as failing closed: it had errors in the input (see input.ts). */
export interface FailClosedPolicy {
  readonly policy: string;
  readonly source?: SourceRef;
}

/**
 * `failClosed` for the JSON of commands whose answer has no per-flow notes
 * (matrix, lint): the policies with errors the answer treats as failing
 * closed; nothing when there are none, so clean output is unchanged.
 */
export function failClosedField(policies: readonly NetworkPolicy[]): { failClosed?: FailClosedPolicy[] } {
  if (policies.length === 0) return {};
  return { failClosed: policies.map((p) => ({ policy: policyKey(p), ...(p.source && { source: p.source }) })) };
}

/** The same in text: one "fail closed:" line per policy, or nothing. */
export function failClosedText(policies: readonly NetworkPolicy[]): string {
  return policies.map((p) => `fail closed: ${policyKey(p)}${p.source ? ` (${formatSourceRef(p.source)})` : ''} has errors in the input: ` +
    'it isolates the pods it selects and allows nothing\n').join('');
}

/** Pretty, stable JSON (insertion order), ending in a newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Refuses a format the command cannot produce (dot and mermaid are for matrix only). */
export function requireFormat<F extends OutputFormat>(format: OutputFormat, allowed: readonly F[], command: string): F {
  if ((allowed as readonly OutputFormat[]).includes(format)) return format as F;
  throw new UsageError(`--output ${format} is not available for ${command}; use one of ${allowed.join(', ')}`);
}
