// metav1.LabelSelector semantics, checked directly and where the engine uses
// selectors: a policy's spec.podSelector, a peer's podSelector, and a peer's
// namespaceSelector.
import { describe, expect, it } from 'vitest';
import type { LabelSelector, Labels } from '../../src/model/types.ts';
import { formatSelector, isEmptySelector, selectorMatches, selectorMiss } from '../../src/selectors/label-selector.ts';
import {
  ALL, DoesNotExist, Exists, expr, In, NotIn, ns, nsPeer, pod, podPeer, policy, rule, sel, world,
} from '../generators/cluster-builders.ts';

interface Row {
  name: string;
  selector: LabelSelector;
  labels: Labels;
  matches: boolean;
}

const rows: Row[] = [
  { name: '{} matches no labels', selector: ALL, labels: {}, matches: true },
  { name: '{} matches any labels', selector: ALL, labels: { app: 'x', tier: 'y' }, matches: true },
  { name: 'matchLabels: equal value', selector: sel({ app: 'web' }), labels: { app: 'web', tier: 'f' }, matches: true },
  { name: 'matchLabels: other value', selector: sel({ app: 'web' }), labels: { app: 'db' }, matches: false },
  { name: 'matchLabels: key missing', selector: sel({ app: 'web' }), labels: { tier: 'web' }, matches: false },
  { name: 'matchLabels: empty value matches empty value', selector: sel({ app: '' }), labels: { app: '' }, matches: true },
  { name: 'matchLabels: empty value does not match a missing key', selector: sel({ app: '' }), labels: {}, matches: false },
  { name: 'matchLabels: all pairs must hold', selector: sel({ app: 'web', tier: 'f' }), labels: { app: 'web', tier: 'b' }, matches: false },
  { name: 'matchLabels: key named like an Object.prototype member', selector: sel({ constructor: 'x' }), labels: {}, matches: false },
  { name: 'In: value listed', selector: expr(In('env', 'prod', 'staging')), labels: { env: 'staging' }, matches: true },
  { name: 'In: value not listed', selector: expr(In('env', 'prod', 'staging')), labels: { env: 'dev' }, matches: false },
  { name: 'In: key missing', selector: expr(In('env', 'prod')), labels: {}, matches: false },
  { name: 'In: key named like an Object.prototype member', selector: expr(In('toString', 'x')), labels: {}, matches: false },
  { name: 'NotIn: value listed', selector: expr(NotIn('env', 'prod')), labels: { env: 'prod' }, matches: false },
  { name: 'NotIn: value not listed', selector: expr(NotIn('env', 'prod')), labels: { env: 'dev' }, matches: true },
  { name: 'NotIn: key missing matches', selector: expr(NotIn('env', 'prod')), labels: {}, matches: true },
  { name: 'Exists: key present', selector: expr(Exists('env')), labels: { env: '' }, matches: true },
  { name: 'Exists: key missing', selector: expr(Exists('env')), labels: { app: 'env' }, matches: false },
  { name: 'Exists: Object.prototype member is not a label', selector: expr(Exists('hasOwnProperty')), labels: {}, matches: false },
  { name: 'DoesNotExist: key missing', selector: expr(DoesNotExist('env')), labels: { app: 'x' }, matches: true },
  { name: 'DoesNotExist: key present', selector: expr(DoesNotExist('env')), labels: { env: 'prod' }, matches: false },
  { name: 'DoesNotExist: Object.prototype member is not a label', selector: expr(DoesNotExist('constructor')), labels: {}, matches: true },
  { name: 'matchLabels AND expressions: both hold', selector: sel({ app: 'web' }, In('env', 'prod'), DoesNotExist('canary')), labels: { app: 'web', env: 'prod' }, matches: true },
  { name: 'matchLabels AND expressions: an expression fails', selector: sel({ app: 'web' }, In('env', 'prod'), DoesNotExist('canary')), labels: { app: 'web', env: 'prod', canary: 'y' }, matches: false },
  { name: 'matchLabels AND expressions: matchLabels fails', selector: sel({ app: 'web' }, Exists('env')), labels: { app: 'db', env: 'prod' }, matches: false },
  { name: 'two expressions on one key', selector: expr(Exists('env'), NotIn('env', 'prod')), labels: { env: 'dev' }, matches: true },
  { name: 'two expressions on one key, second fails', selector: expr(Exists('env'), NotIn('env', 'prod')), labels: { env: 'prod' }, matches: false },
];

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

// The same table, through the engine, in the three places a selector appears.
// Labels that are pod labels here become namespace labels for namespaceSelector
// (plus the name label every namespace carries; no row's selector mentions it).
describe('in a policy spec.podSelector (decides isolation)', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    const w = world({
      pods: [pod('t/subject', labels), pod('t/client', {})],
      policies: [policy('t/deny', { podSelector: selector, policyTypes: ['Ingress'] })],
    });
    expect(w.engine.isIsolated(w.pod('t/subject'), 'ingress')).toBe(matches);
    expect(w.allows('t/client', 't/subject', 'TCP', 80)).toBe(!matches);
  });
});

describe('in a peer podSelector', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    const w = world({
      pods: [pod('t/server', { role: 'server' }), pod('t/client', labels)],
      policies: [policy('t/p', { podSelector: sel({ role: 'server' }), ingress: [rule([podPeer(selector)])] })],
    });
    expect(w.allows('t/client', 't/server', 'TCP', 80)).toBe(matches);
  });
});

describe('in a peer namespaceSelector', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    const w = world({
      namespaces: [ns('server'), ns('client', labels)],
      pods: [pod('server/s', {}), pod('client/c', {})],
      policies: [policy('server/p', { ingress: [rule([nsPeer(selector)])] })],
    });
    expect(w.allows('client/c', 'server/s', 'TCP', 80)).toBe(matches);
  });
});
