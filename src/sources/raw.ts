// Narrowing of decoded YAML/JSON (`unknown`) into the shapes we read.
// JSON null counts as absent, as it does for the API server's decoder.
import { childField } from './field-path.ts';
import type { ProblemList } from '../model/problems.ts';

export type RawRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is RawRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Longest string shown whole in a message: hostile input can be megabytes. */
// How messages show a string of input: one rule, in model (addresses use it too).
export { quote } from '../model/problems.ts';
import { quote } from '../model/problems.ts';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `string ${quote(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function optRecord(value: unknown, field: string, p: ProblemList): RawRecord | undefined {
  if (value === undefined || value === null) return undefined;
  if (isRecord(value)) return value;
  p.error(field, `must be a mapping, got ${describe(value)}`);
  return undefined;
}

export function optArray(value: unknown, field: string, p: ProblemList): readonly unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value as readonly unknown[];
  p.error(field, `must be a list, got ${describe(value)}`);
  return undefined;
}

export function optString(value: unknown, field: string, p: ProblemList): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  p.error(field, `must be a string, got ${describe(value)}`);
  return undefined;
}

export function optBoolean(value: unknown, field: string, p: ProblemList): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  p.error(field, `must be true or false, got ${describe(value)}`);
  return undefined;
}

/** A map of string to string (labels); non-string values are errors, as in the API. */
export function readStringMap(value: unknown, field: string, p: ProblemList): Record<string, string> {
  const out: Record<string, string> = {};
  const rec = optRecord(value, field, p);
  if (!rec) return out;
  for (const [k, v] of Object.entries(rec)) {
    if (typeof v === 'string') out[k] = v;
    else p.error(childField(field, k), `must be a string, got ${describe(v)} (quote it in YAML)`);
  }
  return out;
}

/** The API group of an apiVersion: "apps" of "apps/v1", "" (the core group) of "v1". */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A CRD list's bounds: MinItems, MaxItems, and whether the field is required (`what` names it in the message). */
export interface ListBounds {
  readonly min: number;
  readonly max: number;
  readonly required?: string;
}

/**
 * A list within its bounds, or undefined (with an error) when it is not a
 * list, is missing though required, or has too few or too many items. An
 * absent optional list is undefined without an error.
 */
export function boundedList(value: unknown, field: string, bounds: ListBounds, p: ProblemList): readonly unknown[] | undefined {
  if (value === undefined || value === null) {
    if (bounds.required !== undefined) p.error(field, `${bounds.required} is required`);
    return undefined;
  }
  const list = optArray(value, field, p);
  if (list === undefined) return undefined;
  if (list.length < bounds.min) {
    p.error(field, `must have at least ${bounds.min} item${bounds.min === 1 ? '' : 's'}, got ${list.length}`);
    return undefined;
  }
  if (list.length > bounds.max) {
    p.error(field, `must have at most ${bounds.max} items, got ${list.length}`);
    return undefined;
  }
  return list;
}

/** The first repeat of a value in a list the CRD declares a set (x-kubernetes-list-type: set): the API refuses it. */
export function firstDuplicate(list: readonly unknown[]): number | undefined {
  const seen = new Set<unknown>();
  for (let i = 0; i < list.length; i++) {
    if (seen.has(list[i])) return i;
    seen.add(list[i]);
  }
  return undefined;
}
