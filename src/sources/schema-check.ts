// Strict field validation, as kubectl's --validate=strict asks of the API
// server: every field of an object must be one its schema knows, with the
// type the schema gives it. An unknown field is not harmless here: the
// decoder drops it, so `egres:` drops every egress rule and
// `podSelector: {matchLabel: ...}` selects every pod. The schema is the
// Kubernetes OpenAPI one, as @kubernetes/client-node's models carry it (see
// k8s-schema.generated.ts); only the check walks the whole object, the
// normalizers still read only what nftpol needs.
//
// Duplicate keys are the YAML reader's to report (it refuses the document).
import { childField, indexField } from './field-path.ts';
import { K8S_TYPES } from './k8s-schema.generated.ts';
import { ROOT_TYPES } from './k8s-schema-roots.ts';
import { CLUSTER_POLICY_ROOTS, CLUSTER_POLICY_TYPES } from './cluster-policy-schema.ts';
import { closestKey } from './near-miss.ts';
import { describe, isRecord, quote, type RawRecord } from './raw.ts';

/** kubectl's --validate values: strict (unknown fields are errors), warn, ignore. */
export const VALIDATION_MODES = ['strict', 'warn', 'ignore'] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

export interface SchemaFinding {
  readonly field: string;
  readonly message: string;
  /** An unknown field (its severity follows the mode); otherwise a wrong type (always an error). */
  readonly unknownField: boolean;
  /** The known field an unknown one was probably meant to be: its "is required" is a follow-on. */
  readonly meant?: string;
}

/** Every schema type: Kubernetes' own and the policy.networking.k8s.io CRDs' (cluster-policy-schema.ts). */
export const SCHEMA_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = { ...K8S_TYPES, ...CLUSTER_POLICY_TYPES };

/** The schema type of a group/kind, when nftpol reads that kind. */
export function schemaTypeOf(group: string, kind: string): string | undefined {
  return ROOT_TYPES[`${group}/${kind}`] ?? CLUSTER_POLICY_ROOTS[`${group}/${kind}`]?.type;
}

/**
 * Where a value is, as a chain up to the object; written out as a field path
 * only for a finding (most fields have none, and the walk visits every one).
 */
type Loc = { readonly up: Loc; readonly key: string | number } | undefined;

function fieldOf(loc: Loc): string {
  if (loc === undefined) return '';
  const base = fieldOf(loc.up);
  return typeof loc.key === 'number' ? indexField(base, loc.key) : childField(base, loc.key);
}

/** Every unknown field and wrong type in `value`, an object of schema type `typeName`. */
export function checkAgainstSchema(value: RawRecord, typeName: string): SchemaFinding[] {
  const out: SchemaFinding[] = [];
  checkObject(value, typeName, undefined, out);
  return out;
}

function checkObject(value: RawRecord, typeName: string, loc: Loc, out: SchemaFinding[]): void {
  const fields = SCHEMA_TYPES[typeName];
  if (fields === undefined) return;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const type = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (type === undefined) out.push(unknownField(key, loc, value, fields));
    else checkValue(value[key], type, { up: loc, key }, out);
  }
}

function unknownField(key: string, parent: Loc, value: RawRecord, fields: Readonly<Record<string, string>>): SchemaFinding {
  const meant = closestKey(key, Object.keys(fields).filter((k) => !Object.hasOwn(value, k)));
  const hint = meant === undefined ? '' : ` (did you mean ${JSON.stringify(meant)}?)`;
  return {
    field: fieldOf({ up: parent, key }),
    message: `unknown field ${quote(key)}${hint}`,
    unknownField: true,
    ...(meant !== undefined && { meant: fieldOf({ up: parent, key: meant }) }),
  };
}

/** JSON null is absent to the API's decoder, for a field and for a list item alike. */
function checkValue(v: unknown, type: string, loc: Loc, out: SchemaFinding[]): void {
  if (v === null || v === undefined) return;
  const wrong = (want: string): void => {
    out.push({ field: fieldOf(loc), message: `must be ${want}, got ${describe(v)}`, unknownField: false });
  };
  if (type.startsWith('[]')) {
    if (!Array.isArray(v)) return wrong('a list');
    const itemType = type.slice(2);
    (v as readonly unknown[]).forEach((item, i) => {
      checkValue(item, itemType, { up: loc, key: i }, out);
    });
    return;
  }
  switch (type) {
    case 'string':
    case 'date':
      if (typeof v !== 'string') wrong('a string');
      return;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) wrong('an integer');
      return;
    case 'number':
      if (typeof v !== 'number') wrong('a number');
      return;
    case 'boolean':
      if (typeof v !== 'boolean') wrong('true or false');
      return;
    case 'int-or-string':
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) wrong('an integer or a string');
      return;
    case 'any':
      return;
    case 'map':
      if (!isRecord(v)) return wrong('a mapping');
      for (const [k, item] of Object.entries(v)) {
        if (item !== null && typeof item !== 'string') {
          out.push({ field: fieldOf({ up: loc, key: k }), message: `must be a string, got ${describe(item)} (quote it in YAML)`, unknownField: false });
        }
      }
      return;
    default:
      if (!isRecord(v)) return wrong('a mapping');
      checkObject(v, type, loc, out);
  }
}

/** A --validate value as kubectl takes it: strict (or true), warn, ignore (or false); undefined when it is none. */
export function parseValidationMode(text: string): ValidationMode | undefined {
  if (text === 'true') return 'strict';
  if (text === 'false') return 'ignore';
  return (VALIDATION_MODES as readonly string[]).includes(text) ? (text as ValidationMode) : undefined;
}
