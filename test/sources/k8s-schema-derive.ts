// Derives src/sources/k8s-schema.generated.ts from @kubernetes/client-node:
// its models are generated from the Kubernetes OpenAPI spec, and each model
// class lists its fields (wire name and type) in attributeTypeMap. We walk
// that map from the kinds nftpol reads down to every type they reach, so the
// strict field check knows every field the API knows, not a hand-made list.
// (The kubernetes-models package was the other candidate: it ships one ajv
// validator per type, but compiled to code and without additionalProperties:
// false, so it accepts unknown fields and has no schema left to walk.)
import * as k8s from '@kubernetes/client-node';
import { ROOT_TYPES } from '../../src/sources/k8s-schema-roots.ts';

interface Attribute {
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

interface ModelClass {
  getAttributeTypeMap(): readonly Attribute[];
}

function modelClass(name: string): ModelClass {
  const c = (k8s as unknown as Record<string, unknown>)[name];
  if (typeof c !== 'function' || !('getAttributeTypeMap' in c)) throw new Error(`@kubernetes/client-node has no model ${name}`);
  return c as unknown as ModelClass;
}

/** client-node's type text -> the schema module's: string, integer, number, boolean, int-or-string, date, any, map, []T, or a type name. */
function fieldType(a: Attribute, reach: (name: string) => void): string {
  const list = /^Array<(.+)>$/.exec(a.type);
  if (list) return `[]${fieldType({ ...a, type: list[1] ?? '' }, reach)}`;
  if (/^\{ \[key: string\]: string; \}$/.test(a.type)) return 'map';
  if (a.type === 'number') return a.format === 'int32' || a.format === 'int64' ? 'integer' : 'number';
  if (a.type === 'IntOrString') return 'int-or-string';
  if (a.type === 'Date') return 'date';
  if (['string', 'boolean', 'any'].includes(a.type)) return a.type;
  reach(a.type);
  return a.type;
}

export type DerivedSchema = Record<string, Record<string, string>>;

export function deriveSchema(): DerivedSchema {
  const types: DerivedSchema = {};
  const pending = [...new Set(Object.values(ROOT_TYPES))];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (Object.hasOwn(types, name)) continue;
    const fields: Record<string, string> = {};
    types[name] = fields;
    for (const a of modelClass(name).getAttributeTypeMap()) {
      fields[a.baseName] = fieldType(a, (t) => pending.push(t));
    }
  }
  return Object.fromEntries(Object.keys(types).sort().map((k) => [k, types[k] as Record<string, string>]));
}

export function renderSchemaModule(schema: DerivedSchema): string {
  const lines = Object.entries(schema).map(([name, fields]) => `  ${name}: ${JSON.stringify(fields)},`);
  return [
    '// GENERATED from @kubernetes/client-node\'s models (the Kubernetes OpenAPI spec) by',
    '// test/sources/k8s-schema-derive.ts; test/sources/k8s-schema.test.ts fails when it is stale.',
    '// Regenerate: NFTPOL_WRITE_K8S_SCHEMA=1 npx vitest run test/sources/k8s-schema.test.ts',
    '// Field types: string, integer, number, boolean, int-or-string, date, any, map (of',
    '// string to string), []T (a list of T), or the name of another type here.',
    'export const K8S_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {',
    ...lines,
    '};',
    '',
  ].join('\n');
}
