// Mutations of decoded manifests for the fuzz test: where the schema has a
// field, what a misspelling of it or a wrong-typed value is, and hostile or
// huge values. Paths are lists of keys and indices; `fieldText` writes one the
// way problems name fields.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import { childField, indexField, type FieldSegment } from '../../src/sources/field-path.ts';
// Every schema type nftpol checks: Kubernetes' own and the policy.networking.k8s.io CRDs'.
import { SCHEMA_TYPES as K8S_TYPES, schemaTypeOf } from '../../src/sources/schema-check.ts';
import { apiGroup, isRecord } from '../../src/sources/raw.ts';

export type Path = readonly FieldSegment[];

/** A field of an object at `path`, with its schema type and the type of the mapping holding it. */
export interface FieldSpot {
  readonly path: Path;
  readonly type: string;
  readonly parentType: string;
}

export function fieldText(path: Path): string {
  return path.reduce<string>((acc, s) => (typeof s === 'number' ? indexField(acc, s) : childField(acc, s)), '');
}

/** The schema type of a decoded object, when nftpol models its kind. */
export function rootType(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') return undefined;
  return schemaTypeOf(apiGroup(value.apiVersion), value.kind);
}

/** Every field present in `value` (of schema type `typeName`), depth first. */
export function fieldSpots(value: unknown, typeName: string, path: Path = []): FieldSpot[] {
  const fields = K8S_TYPES[typeName];
  if (!isRecord(value) || fields === undefined) return [];
  const out: FieldSpot[] = [];
  for (const [key, v] of Object.entries(value)) {
    const type = fields[key];
    if (type === undefined || v === null) continue;
    const at = [...path, key];
    out.push({ path: at, type, parentType: typeName });
    out.push(...nested(v, type, at));
  }
  return out;
}

function nested(v: unknown, type: string, at: Path): FieldSpot[] {
  if (type.startsWith('[]')) return Array.isArray(v) ? v.flatMap((item, i) => nested(item, type.slice(2), [...at, i])) : [];
  return K8S_TYPES[type] ? fieldSpots(v, type, at) : [];
}

/** A value the schema type refuses (never null: null is absent to the API). */
export function wrongValue(type: string): unknown {
  if (type.startsWith('[]')) return 'not-a-list';
  switch (type) {
    case 'string':
    case 'date':
      return 42;
    case 'integer':
    case 'number':
      return 'forty-two';
    case 'boolean':
      return 'yes';
    case 'int-or-string':
      return true;
    default:
      return 'not-a-mapping';
  }
}

export type Misspelling = 'swap' | 'drop' | 'double' | 'case' | 'insert';

/** `key` misspelled one way at position `at` (modulo its length). */
export function misspell(key: string, how: Misspelling, at: number): string {
  const i = at % key.length;
  switch (how) {
    case 'swap':
      return i + 1 < key.length ? key.slice(0, i) + key.charAt(i + 1) + key.charAt(i) + key.slice(i + 2) : key;
    case 'drop':
      return key.slice(0, i) + key.slice(i + 1);
    case 'double':
      return key.slice(0, i + 1) + key.charAt(i) + key.slice(i + 1);
    case 'case': {
      const c = key.charAt(i);
      return key.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + key.slice(i + 1);
    }
    case 'insert':
      return `${key.slice(0, i)}x${key.slice(i)}`;
  }
}

export const HOSTILE_STRINGS: readonly string[] = [
  'evil" } ; flush ruleset ; #',
  'a\nb',
  "x'; drop table\n--",
  '${jndi:ldap://x}',
  '\u0000\u001b[31m',
  '\u202e\u200bname',
  '-',
  '..',
  '',
  ' '.repeat(3),
  '{"a":1}',
];

/** A copy of `root` with the value at `path` replaced (undefined: the key removed). */
export function setAt(root: unknown, path: Path, value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(root) && typeof head === 'number') {
    return root.map((item, i) => (i === head ? setAt(item, rest, value) : item));
  }
  if (!isRecord(root) || typeof head !== 'string') return root;
  const copy: Record<string, unknown> = { ...root };
  if (rest.length === 0 && value === undefined) delete copy[head];
  else copy[head] = setAt(root[head], rest, value);
  return copy;
}

/** A copy of `root` with the key at `path` renamed, in place (key order kept). */
export function renameAt(root: unknown, path: Path, newKey: string): unknown {
  const parent = path.slice(0, -1);
  const old = path.at(-1);
  const holder = parent.reduce<unknown>((v, s) => (isRecord(v) ? v[s as string] : Array.isArray(v) ? v[s as number] : undefined), root);
  if (!isRecord(holder) || typeof old !== 'string') return root;
  const renamed = Object.fromEntries(Object.entries(holder).map(([k, v]) => [k === old ? newKey : k, v]));
  return parent.length === 0 ? renamed : setAt(root, parent, renamed);
}

/** policies-examples/<name>/manifests/*.yaml: file name and text, every example. */
export function exampleManifests(root: URL): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const example of readdirSync(root, { withFileTypes: true })) {
    if (!example.isDirectory()) continue;
    const dir = new URL(`${example.name}/manifests/`, root);
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    } catch {
      continue;
    }
    for (const f of files) out.push({ file: `${example.name}/manifests/${f}`, text: readFileSync(new URL(f, dir), 'utf8') });
  }
  return out;
}

/** One decoded document of an example file, with the fields a mutation may hit. */
export interface FuzzDoc {
  readonly value: unknown;
  readonly type: string | undefined;
  readonly spots: readonly FieldSpot[];
}

/** Every example manifest file, decoded, its modelled documents' fields listed. */
export function exampleDocs(root: URL): { file: string; docs: FuzzDoc[] }[] {
  return exampleManifests(root).map(({ file, text }) => ({
    file,
    docs: parseManifestText(text, file).documents.map((d): FuzzDoc => {
      const type = rootType(d.value);
      return { value: d.value, type, spots: type === undefined ? [] : fieldSpots(d.value, type) };
    }),
  }));
}

/** A file, one of its modelled documents, one of its fields, by index (modulo the counts). */
export const fuzzTarget = fc.record({ file: fc.nat(), doc: fc.nat(), spot: fc.nat() });

export function pickTarget(
  files: readonly { docs: readonly FuzzDoc[] }[], t: { file: number; doc: number; spot: number },
): { docs: readonly FuzzDoc[]; index: number; spot: FieldSpot } | undefined {
  const f = files[t.file % files.length];
  const modelled = (f?.docs ?? []).map((d, i) => ({ d, i })).filter(({ d }) => d.spots.length > 0);
  const chosen = modelled[t.doc % Math.max(1, modelled.length)];
  if (!f || !chosen) return undefined;
  return { docs: f.docs, index: chosen.i, spot: chosen.d.spots[t.spot % chosen.d.spots.length] as FieldSpot };
}
