// Namespaces. The API server sets the label kubernetes.io/metadata.name to
// the namespace's name on every namespace (and refuses any other value), so
// namespaceSelectors may rely on it; we add it the same way.
import { childField } from './field-path.ts';
import { readLabels } from './normalize-labels.ts';
import type { ProblemList } from '../model/problems.ts';
import { isRecord, optRecord, quote } from './raw.ts';
import type { Labels, Namespace, SourceRef } from '../model/types.ts';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** The labels a namespace has on the server: its own plus the name label. */
export function namespaceLabels(name: string, labels: Labels = {}): Labels {
  return { ...labels, [NAMESPACE_NAME_LABEL]: name };
}

export function normalizeNamespace(raw: unknown, name: string, source: SourceRef, p: ProblemList): Namespace {
  const metadata = optRecord(isRecord(raw) ? raw.metadata : undefined, 'metadata', p) ?? {};
  const labels = readLabels(metadata.labels, 'metadata.labels', p);
  const given = labels[NAMESPACE_NAME_LABEL];
  if (given !== undefined && given !== name) {
    p.warn(childField('metadata.labels', NAMESPACE_NAME_LABEL), `is ${quote(given)}; the API server sets it to the namespace name ${quote(name)}`);
  }
  return { name, labels: namespaceLabels(name, labels), source };
}
