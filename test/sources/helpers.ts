// Builders for source tests: objects as they would come out of a YAML file.
import type { NormalizeResult } from '../../src/sources/normalize-object.ts';
import { normalizeObject } from '../../src/sources/normalize-object.ts';
import type { SourceProblem } from '../../src/model/problems.ts';
import type { NetworkPolicy, Pod } from '../../src/model/types.ts';

export function normalize(value: unknown): NormalizeResult {
  return normalizeObject({ source: { file: 't.yaml', document: 0 }, value });
}

export function policyObject(spec: unknown): Record<string, unknown> {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'ns' }, spec };
}

export function normalizePolicySpec(spec: unknown): { policy: NetworkPolicy; problems: readonly SourceProblem[] } {
  const r = normalize(policyObject(spec));
  if (r.object?.type !== 'policy') throw new Error(`expected a policy, got ${JSON.stringify(r)}`);
  return { policy: r.object.value, problems: r.problems };
}

export function normalizePodLike(value: unknown): { pod: Pod; problems: readonly SourceProblem[] } {
  const r = normalize(value);
  if (r.object?.type !== 'pod') throw new Error(`expected a pod, got ${JSON.stringify(r)}`);
  return { pod: r.object.value, problems: r.problems };
}

export function errors(problems: readonly SourceProblem[]): SourceProblem[] {
  return problems.filter((p) => p.severity === 'error');
}

export function warnings(problems: readonly SourceProblem[]): SourceProblem[] {
  return problems.filter((p) => p.severity === 'warning');
}
