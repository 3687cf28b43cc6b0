// metav1.LabelSelector, validated as the API does: matchLabels plus
// matchExpressions whose operator is In/NotIn (values required, non-empty)
// or Exists/DoesNotExist (values must be empty). Any other operator is an
// error. Absent (or null) stays null: for network policy peers "no selector"
// and "empty selector" mean different things.
import { childField, indexField } from './field-path.ts';
import { labelKeyProblem, labelValueProblem, readLabels } from './normalize-labels.ts';
import type { ProblemList } from '../model/problems.ts';
import { describe, isRecord, optArray, optRecord, optString, quote } from './raw.ts';
import type { LabelSelector, SelectorOperator, SelectorRequirement } from '../model/types.ts';

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function isOperator(s: string): s is SelectorOperator {
  return (OPERATORS as readonly string[]).includes(s);
}

/**
 * Returns null when the selector is absent or unusable; callers that need to
 * know which compare `p.errorCount` before and after.
 */
export function normalizeSelector(value: unknown, field: string, p: ProblemList): LabelSelector | null {
  const rec = optRecord(value, field, p);
  if (!rec) return null;
  const before = p.errorCount;
  const matchLabels = readLabels(rec.matchLabels, childField(field, 'matchLabels'), p);
  const exprsField = childField(field, 'matchExpressions');
  const matchExpressions: SelectorRequirement[] = [];
  (optArray(rec.matchExpressions, exprsField, p) ?? []).forEach((raw, i) => {
    const req = normalizeRequirement(raw, indexField(exprsField, i), p);
    if (req) matchExpressions.push(req);
  });
  return p.errorCount > before ? null : { matchLabels, matchExpressions };
}

function normalizeRequirement(raw: unknown, field: string, p: ProblemList): SelectorRequirement | undefined {
  if (!isRecord(raw)) {
    p.error(field, `must be a mapping with key, operator and values, got ${describe(raw)}`);
    return undefined;
  }
  const before = p.errorCount;
  const key = optString(raw.key, childField(field, 'key'), p);
  if (key === undefined) p.error(childField(field, 'key'), 'key is required');
  else {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) p.error(childField(field, 'key'), keyProblem);
  }
  const opField = childField(field, 'operator');
  const op = optString(raw.operator, opField, p);
  const valuesField = childField(field, 'values');
  const rawValues = optArray(raw.values, valuesField, p) ?? [];
  const values: string[] = [];
  rawValues.forEach((v, i) => {
    if (typeof v !== 'string') {
      p.error(indexField(valuesField, i), `must be a string, got ${describe(v)} (quote it in YAML)`);
      return;
    }
    const valueProblem = labelValueProblem(v);
    if (valueProblem) p.error(indexField(valuesField, i), valueProblem);
    values.push(v);
  });
  if (op === undefined) {
    p.error(opField, 'operator is required (In, NotIn, Exists or DoesNotExist)');
  } else if (!isOperator(op)) {
    p.error(opField, `bad selector operator ${quote(op)} (want In, NotIn, Exists or DoesNotExist)`);
  } else if ((op === 'In' || op === 'NotIn') && rawValues.length === 0) {
    p.error(valuesField, `values must be non-empty for operator ${op}`);
  } else if ((op === 'Exists' || op === 'DoesNotExist') && rawValues.length > 0) {
    p.error(valuesField, `values must be empty for operator ${op}`);
  }
  if (p.errorCount > before || key === undefined || op === undefined || !isOperator(op)) return undefined;
  return { key, operator: op, values };
}
