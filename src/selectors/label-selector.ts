// metav1.LabelSelector semantics: matchLabels and matchExpressions are ANDed;
// an empty selector matches everything. Operators:
//   In           key present and value in values
//   NotIn        key absent, or value not in values
//   Exists       key present
//   DoesNotExist key absent
import type { LabelSelector, Labels, SelectorRequirement } from '../model/types.ts';

export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

/** The first requirement the labels fail; `reason` says which in words, and is set only when asked for. */
export interface SelectorMiss {
  readonly reason?: string;
}

const MISS: SelectorMiss = Object.freeze({});

/** Whether the labels hold one requirement: undefined when they do, else its miss. */
function requirementMiss(req: SelectorRequirement, labels: Labels, explain: boolean): SelectorMiss | undefined {
  const { key, values } = req;
  const has = Object.hasOwn(labels, key);
  switch (req.operator) {
    case 'In':
      if (has && values.includes(labels[key] as string)) return undefined;
      if (!explain) return MISS;
      return { reason: has ? `label ${key}=${labels[key]}, wanted ${key} in (${values.join(',')})` : `label ${key} missing (wanted ${key} in (${values.join(',')}))` };
    case 'NotIn':
      if (!has || !values.includes(labels[key] as string)) return undefined;
      return explain ? { reason: `label ${key}=${labels[key]}, wanted ${key} notin (${values.join(',')})` } : MISS;
    case 'Exists':
      if (has) return undefined;
      return explain ? { reason: `label ${key} missing (wanted it to exist)` } : MISS;
    case 'DoesNotExist':
      if (!has) return undefined;
      return explain ? { reason: `label ${key} present (wanted it absent)` } : MISS;
  }
}

/**
 * The one selector evaluation: undefined when the labels match; otherwise the
 * first requirement they fail, with the reason in words only when `explain`
 * asks for it (matching alone builds no text).
 */
export function selectorMiss(sel: LabelSelector, labels: Labels, explain = false): SelectorMiss | undefined {
  for (const [k, v] of Object.entries(sel.matchLabels)) {
    if (labels[k] === v && Object.hasOwn(labels, k)) continue;
    if (!explain) return MISS;
    return { reason: Object.hasOwn(labels, k) ? `label ${k}=${labels[k]}, wanted ${k}=${v}` : `label ${k} missing (wanted ${k}=${v})` };
  }
  for (const req of sel.matchExpressions) {
    const miss = requirementMiss(req, labels, explain);
    if (miss) return miss;
  }
  return undefined;
}

/** selectorMiss as a predicate. */
export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  return selectorMiss(sel, labels) === undefined;
}

/** kubectl-style text for a selector, e.g. "app=db,tier in (a,b)"; "{}" when empty. */
export function formatSelector(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of sel.matchExpressions) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${r.values.join(',')})`);
  }
  return parts.length === 0 ? '{}' : parts.join(',');
}
