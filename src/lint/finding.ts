// What `policy-explain lint` reports: advice about objects that are valid but
// probably do not do what their author meant. Findings are never errors: the
// sources have already rejected what is invalid.
import type { ClusterPolicy, NetworkPolicy, SourceRef } from '../model/types.ts';

export type LintSeverity = 'warning' | 'info';

export interface LintObjectRef {
  /** "NetworkPolicy", "Namespace", or a cluster-wide policy's kind ("ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"). */
  readonly kind: string;
  /** The object's namespace; for a Namespace, its own name (so filters by namespace keep it); "" for a cluster-scoped policy. */
  readonly namespace: string;
  readonly name: string;
}

export interface LintFinding {
  /** Stable kebab-case check id, e.g. "selects-nothing"; safe to filter or suppress on. */
  readonly id: string;
  readonly severity: LintSeverity;
  readonly object: LintObjectRef;
  /** JSON path inside the object, e.g. "spec.ingress[0].from[1]"; "" for the whole object. */
  readonly field: string;
  readonly message: string;
  readonly source?: SourceRef;
}

export function policyFinding(
  id: string, severity: LintSeverity, policy: NetworkPolicy, field: string, message: string,
): LintFinding {
  return {
    id,
    severity,
    object: { kind: 'NetworkPolicy', namespace: policy.namespace, name: policy.name },
    field,
    message,
    ...(policy.source ? { source: policy.source } : {}),
  };
}

/** A finding about a cluster-wide policy (cluster-scoped: namespace ""). */
export function clusterPolicyFinding(
  id: string, severity: LintSeverity, policy: ClusterPolicy, field: string, message: string,
): LintFinding {
  return {
    id, severity, object: { kind: policy.kind, namespace: '', name: policy.name }, field, message,
    ...(policy.source ? { source: policy.source } : {}),
  };
}

/** "a, b, c and 4 more": names in messages stay short in big clusters. */
export function firstFew(names: readonly string[], limit = 3): string {
  if (names.length <= limit) return names.join(', ');
  return `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}
