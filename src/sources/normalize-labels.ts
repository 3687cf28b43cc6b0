// Label keys and values, checked as the API server checks them: a key is an
// optional DNS-subdomain prefix and "/" plus a name of at most 63 characters
// (alphanumeric at both ends; '-', '_' and '.' inside); a value is empty or
// such a name. A selector with an invalid value can never match anything,
// so reporting it beats silently selecting nothing.
import { childField } from './field-path.ts';
import type { ProblemList } from '../model/problems.ts';
import { quote, readStringMap } from './raw.ts';
import type { Labels } from '../model/types.ts';
import { dnsSubdomainProblem } from './object-names.ts';

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && dnsSubdomainProblem(prefix) !== undefined) {
    return `bad label key ${quote(key)}: prefix must be a lowercase DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `bad label key ${quote(key)}: name must be 1-63 characters, alphanumeric at both ends, with '-', '_' or '.' inside`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `bad label value ${quote(value)}: must be empty or 1-63 characters, alphanumeric at both ends, with '-', '_' or '.' inside`;
  }
  return undefined;
}

/** Reads and checks a label map (metadata.labels, matchLabels). */
export function readLabels(value: unknown, field: string, p: ProblemList): Labels {
  const labels = readStringMap(value, field, p);
  for (const [k, v] of Object.entries(labels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem !== undefined) p.error(childField(field, k), problem);
  }
  return labels;
}
