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

function requirementHolds(req: SelectorRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, req.key);
  switch (req.operator) {
    case 'In':
      return has && req.values.includes(labels[req.key] as string);
    case 'NotIn':
      return !has || !req.values.includes(labels[req.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) {
    if (labels[k] !== v || !Object.hasOwn(labels, k)) return false;
  }
  for (const req of sel.matchExpressions) {
    if (!requirementHolds(req, labels)) return false;
  }
  return true;
}

/** The first requirement the labels fail, in words; null when the selector matches. */
export function selectorMismatch(sel: LabelSelector, labels: Labels): string | null {
  for (const [k, v] of Object.entries(sel.matchLabels)) {
    if (!Object.hasOwn(labels, k)) return `label ${k} missing (wanted ${k}=${v})`;
    if (labels[k] !== v) return `label ${k}=${labels[k]}, wanted ${k}=${v}`;
  }
  for (const req of sel.matchExpressions) {
    if (requirementHolds(req, labels)) continue;
    const has = Object.hasOwn(labels, req.key);
    const list = req.values.join(',');
    switch (req.operator) {
      case 'In':
        return has
          ? `label ${req.key}=${labels[req.key]}, wanted ${req.key} in (${list})`
          : `label ${req.key} missing (wanted ${req.key} in (${list}))`;
      case 'NotIn':
        return `label ${req.key}=${labels[req.key]}, wanted ${req.key} notin (${list})`;
      case 'Exists':
        return `label ${req.key} missing (wanted it to exist)`;
      case 'DoesNotExist':
        return `label ${req.key} present (wanted it absent)`;
    }
  }
  return null;
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
