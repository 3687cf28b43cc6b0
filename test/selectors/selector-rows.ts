// One table of metav1.LabelSelector semantics: checked directly against the
// matcher (test/selectors) and through the engine in the three places a
// selector appears (test/policy/selectors.test.ts).
import type { LabelSelector, Labels } from '../../src/model/types.ts';
import { ALL, DoesNotExist, Exists, expr, In, NotIn, sel } from '../generators/cluster-builders.ts';

export interface SelectorRow {
  name: string;
  selector: LabelSelector;
  labels: Labels;
  matches: boolean;
}

export const SELECTOR_ROWS: readonly SelectorRow[] = [
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
