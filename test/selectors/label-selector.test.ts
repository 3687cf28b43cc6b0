// metav1.LabelSelector semantics, checked directly against the matcher, its
// reasons, and the helpers that print a selector.
import { describe, expect, it } from 'vitest';
import type { LabelSelector, Labels } from '../../src/model/types.ts';
import { formatSelector, isEmptySelector, selectorMatches, selectorMiss } from '../../src/selectors/label-selector.ts';
import { ALL, DoesNotExist, Exists, expr, In, NotIn, sel } from '../generators/cluster-builders.ts';
import { SELECTOR_ROWS as rows } from './selector-rows.ts';

describe('selectorMatches', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    expect(selectorMatches(selector, labels)).toBe(matches);
  });
});

describe('selectorMiss: undefined on a match, a reason only when asked for', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    const quiet = selectorMiss(selector, labels);
    const explained = selectorMiss(selector, labels, true);
    if (matches) {
      expect(quiet).toBeUndefined();
      expect(explained).toBeUndefined();
    } else {
      expect(quiet).toEqual({});
      expect(explained?.reason).toEqual(expect.stringContaining('label '));
    }
  });

  it.each<{ selector: LabelSelector; labels: Labels; reason: string }>([
    { selector: sel({ app: 'web' }), labels: { tier: 'web' }, reason: 'label app missing (wanted app=web)' },
    { selector: sel({ app: 'web' }), labels: { app: 'db' }, reason: 'label app=db, wanted app=web' },
    { selector: expr(In('env', 'a', 'b')), labels: {}, reason: 'label env missing (wanted env in (a,b))' },
    { selector: expr(In('env', 'a', 'b')), labels: { env: 'c' }, reason: 'label env=c, wanted env in (a,b)' },
    { selector: expr(NotIn('env', 'a', 'b')), labels: { env: 'a' }, reason: 'label env=a, wanted env notin (a,b)' },
    { selector: expr(Exists('env')), labels: {}, reason: 'label env missing (wanted it to exist)' },
    { selector: expr(DoesNotExist('env')), labels: { env: '' }, reason: 'label env present (wanted it absent)' },
    { selector: sel({ app: 'web' }, Exists('env')), labels: { app: 'web' }, reason: 'label env missing (wanted it to exist)' },
  ])('$reason', ({ selector, labels, reason }) => {
    expect(selectorMiss(selector, labels, true)).toEqual({ reason });
  });
});

describe('selector helpers', () => {
  it.each([
    { selector: ALL, empty: true, text: '{}' },
    { selector: sel({ app: 'web' }), empty: false, text: 'app=web' },
    { selector: sel({ app: 'web' }, In('env', 'a', 'b'), NotIn('t', 'x'), Exists('e'), DoesNotExist('d')), empty: false, text: 'app=web,env in (a,b),t notin (x),e,!d' },
  ])('$text', ({ selector, empty, text }) => {
    expect(isEmptySelector(selector)).toBe(empty);
    expect(formatSelector(selector)).toBe(text);
  });
});
