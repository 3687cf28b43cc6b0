// Builders for cluster-wide policy tests: objects of each kind, and their
// normalization as text (so problems carry lines, as from a file).
import { stringify } from 'yaml';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import { normalizeObject, type NormalizeOptions } from '../../src/sources/normalize-object.ts';
import type { SourceProblem } from '../../src/model/problems.ts';
import type { ClusterPolicy } from '../../src/model/types.ts';

export const V1ALPHA2 = 'policy.networking.k8s.io/v1alpha2';
export const V1ALPHA1 = 'policy.networking.k8s.io/v1alpha1';

export function cnp(spec: unknown, name = 'c'): Record<string, unknown> {
  return { apiVersion: V1ALPHA2, kind: 'ClusterNetworkPolicy', metadata: { name }, spec };
}

export function anp(spec: unknown, name = 'a'): Record<string, unknown> {
  return { apiVersion: V1ALPHA1, kind: 'AdminNetworkPolicy', metadata: { name }, spec };
}

export function banp(spec: unknown, name = 'default'): Record<string, unknown> {
  return { apiVersion: V1ALPHA1, kind: 'BaselineAdminNetworkPolicy', metadata: { name }, spec };
}

export interface ReadPolicy {
  readonly policy: ClusterPolicy;
  readonly problems: readonly SourceProblem[];
}

/** Normalizes an object written out as YAML in file t.yaml, as a manifest file would give it. */
export function readYaml(value: unknown, opts: NormalizeOptions = {}): { policy?: ClusterPolicy; problems: readonly SourceProblem[]; text: string } {
  const text = stringify(value, { lineWidth: 0 });
  const parsed = parseManifestText(text, 't.yaml');
  const doc = parsed.documents[0];
  if (doc === undefined) throw new Error(`no document in ${text}`);
  const r = normalizeObject(doc, opts);
  return { ...(r.object?.type === 'clusterPolicy' && { policy: r.object.value }), problems: [...parsed.problems, ...r.problems], text };
}

export function readPolicy(value: unknown, opts: NormalizeOptions = {}): ReadPolicy {
  const r = readYaml(value, opts);
  if (r.policy === undefined) throw new Error(`expected a cluster policy, got ${JSON.stringify(r.problems)}`);
  return { policy: r.policy, problems: r.problems };
}

export const ACCEPT_ALL_NAMESPACES = { action: 'Accept', from: [{ namespaces: {} }] };

/** A sound ClusterNetworkPolicy spec with one ingress rule; `patch` replaces fields. */
export function cnpSpec(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { tier: 'Admin', priority: 10, subject: { namespaces: {} }, ingress: [ACCEPT_ALL_NAMESPACES], ...patch };
}

export const DENY_ALL = { action: 'Deny', peers: [{ kind: 'networks', cidrs: ['0.0.0.0/0', '::/0'] }], ports: [], failClosed: true };
