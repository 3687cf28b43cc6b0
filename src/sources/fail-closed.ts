// A policy with errors fails closed (DESIGN invariant 4), whichever source it
// came from (files, a list, a watch): no rule of it can be trusted to mean
// what its author meant, so it keeps isolating what it selects and allows
// nothing, and a warning says so. normalizeObject reports every problem and
// keeps the sound rules (lint and explain read them); this is what nftpol
// enforces and answers with. Cluster-wide policies fail closed rule by rule,
// as upstream defines it, so normalizeObject gives them in that form already
// (normalize-cluster-policy.ts) and they pass through here unchanged.
import { ProblemList } from '../model/problems.ts';
import { normalizeObject, type NormalizeOptions, type NormalizeResult, type RawObject } from './normalize-object.ts';

/** normalizeObject, then a policy with errors loses its rules and is marked failClosed. */
export function normalizeEnforced(raw: RawObject, opts: NormalizeOptions = {}): NormalizeResult {
  const r = normalizeObject(raw, opts);
  const object = r.object;
  if (object?.type !== 'policy' || !r.problems.some((pr) => pr.severity === 'error')) return r;
  const policy = object.value;
  const p = new ProblemList({ source: raw.source, kind: 'NetworkPolicy', name: policy.name, namespace: policy.namespace });
  p.warn(undefined, `has errors: failing closed, it isolates the pods it selects for ${policy.policyTypes.join(' and ')} and allows nothing`);
  const warnings = p.items.map((pr) => (raw.line === undefined ? pr : { ...pr, line: raw.line }));
  return {
    object: { type: 'policy', value: { ...policy, ingress: [], egress: [], failClosed: true } },
    problems: [...r.problems, ...warnings],
  };
}
