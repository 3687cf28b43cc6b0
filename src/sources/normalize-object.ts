// One decoded Kubernetes object -> one model object, by API group and kind.
// Kinds we do not model (Services, ConfigMaps, CRDs, ...) are ignored with a
// debug note. NetworkPolicy is only read from networking.k8s.io/v1: other
// groups' "NetworkPolicy" kinds (Calico's, say) mean something else. The
// cluster-wide policies of policy.networking.k8s.io are read in the one
// version each is served in (cluster-policy-schema.ts): ClusterNetworkPolicy
// v1alpha2, AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1.
//
// Kinds we model are first checked against their schema (schema-check.ts) as
// --validate asks: strict (the default, as kubectl's) makes an unknown field an
// error, warn a warning, ignore skips the check. A wrong type is an error in
// strict and warn mode, as it is to the API server's decoder. The object's
// own errors follow; an error the schema check already reported on a field
// (or an unknown field that stands for it: "containerport" for containerPort)
// is not reported again by the normalizers.
import { normalizeNamespace } from './normalize-namespace.ts';
import { normalizeNode } from './normalize-node.ts';
import { normalizePod } from './normalize-pod.ts';
import { normalizePolicy } from './normalize-policy.ts';
import { normalizeClusterPolicy } from './normalize-cluster-policy.ts';
import { isClusterPolicyKind } from './cluster-dialect.ts';
import { CLUSTER_POLICY_ROOTS } from './cluster-policy-schema.ts';
import { isWorkloadKind, normalizeWorkload } from './normalize-workload.ts';
import type { SourceProblem } from '../model/problems.ts';
import { ProblemList } from '../model/problems.ts';
import { closestKey } from './near-miss.ts';
import { objectNameProblem, dnsLabelProblem } from './object-names.ts';
import { apiGroup, describe, isRecord, optArray, optRecord, quote, type RawRecord } from './raw.ts';
import { checkAgainstSchema, schemaTypeOf, type ValidationMode } from './schema-check.ts';
import type { ClusterPolicy, Namespace, NetworkPolicy, Node, Pod, SourceRef } from '../model/types.ts';

/** A decoded object and where it came from. */
export interface RawObject {
  readonly source: SourceRef;
  readonly value: unknown;
  /** 1-based line where the object starts, for text sources. */
  readonly line?: number;
  /** Line of a field path inside the object, for text sources. */
  readonly locate?: (field: string) => number | undefined;
}

/** The controller that owns an object (metadata.ownerReferences[controller=true]). */
export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
}

export type ModelObject =
  | { readonly type: 'namespace'; readonly value: Namespace }
  | { readonly type: 'pod'; readonly value: Pod; readonly owner?: OwnerRef }
  | { readonly type: 'policy'; readonly value: NetworkPolicy }
  | { readonly type: 'node'; readonly value: Node }
  | { readonly type: 'clusterPolicy'; readonly value: ClusterPolicy };

export interface NormalizeResult {
  readonly object?: ModelObject;
  readonly problems: readonly SourceProblem[];
}

export interface NormalizeOptions {
  /** Namespace for namespaced objects that name none (as kubectl -n would); "default". */
  readonly defaultNamespace?: string;
  /** kubectl's --validate: what an unknown field is (default strict: an error). */
  readonly validate?: ValidationMode;
}

export function normalizeObject(raw: RawObject, opts: NormalizeOptions = {}): NormalizeResult {
  const v = raw.value;
  const kind = isRecord(v) && typeof v.kind === 'string' ? v.kind : undefined;
  const metadata = isRecord(v) && isRecord(v.metadata) ? v.metadata : {};
  const name = typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : undefined;
  const declaredNs = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  // A cluster-scoped policy's metadata.namespace means nothing: its problems name none.
  const namespaced = kind === undefined || !isClusterPolicyKind(kind);
  const p = new ProblemList({ source: raw.source, ...(kind && { kind }), ...(name && { name }), ...(declaredNs && namespaced && { namespace: declaredNs }) });
  const covered: Covered = { bases: new Set(), from: 0, refusedSpec: false };
  const object = isRecord(v) ? dispatch(v, kind, name, declaredNs, raw.source, opts, p, covered) : undefined;
  if (!isRecord(v)) p.error(undefined, `not a Kubernetes object (a mapping with apiVersion and kind), got ${describe(v)}`);
  const problems = withoutFollowOns(p.items, covered).map((pr) => {
    const line = (pr.field !== undefined ? raw.locate?.(pr.field) : undefined) ?? raw.line;
    return line === undefined ? pr : { ...pr, line };
  });
  return { ...(object && { object }), problems };
}

/** Whether `field` is one of `bases` or inside one (a prefix ending where a segment ends). */
function within(field: string, bases: ReadonlySet<string>): boolean {
  if (bases.has(field)) return true;
  for (let i = 1; i < field.length; i++) {
    if ((field[i] === '.' || field[i] === '[') && bases.has(field.slice(0, i))) return true;
  }
  return false;
}

/** What the schema check reported: errors on or inside `bases`, after item `from`, are follow-ons. */
interface Covered {
  readonly bases: Set<string>;
  from: number;
  /** An error (not a warning) at or under spec. */
  refusedSpec: boolean;
}

function withoutFollowOns(items: readonly SourceProblem[], covered: Covered): readonly SourceProblem[] {
  if (covered.bases.size === 0) return items;
  return items.filter((pr, i) => i < covered.from || pr.severity !== 'error' || pr.field === undefined || !within(pr.field, covered.bases));
}

/** The fields every object has at its top: a misspelling of one is named as such. */
const TYPE_META = ['apiVersion', 'kind', 'metadata'];

/** apiVersion or kind is missing: blame a misspelled key for it when there is one. */
function missingTypeMeta(v: RawRecord, apiVersion: string | undefined, kind: string | undefined, p: ProblemList): void {
  const missing = TYPE_META.filter((k) => (k === 'apiVersion' ? apiVersion === undefined : k === 'kind' ? kind === undefined : !Object.hasOwn(v, k)));
  const blamed = new Set<string>();
  for (const key of Object.keys(v)) {
    if (TYPE_META.includes(key)) continue;
    const meant = closestKey(key, missing);
    if (meant === undefined || blamed.has(meant)) continue;
    blamed.add(meant);
    p.error(key, `unknown field ${quote(key)} (did you mean ${JSON.stringify(meant)}?)`);
  }
  if (apiVersion === undefined && !blamed.has('apiVersion')) p.error('apiVersion', 'apiVersion is required');
  if (kind === undefined && !blamed.has('kind')) p.error('kind', 'kind is required');
}

/** The schema check's findings, in the mode asked for; the fields they cover go into `covered`. */
function checkSchema(v: RawRecord, typeName: string, mode: ValidationMode, p: ProblemList, covered: Covered): void {
  if (mode === 'ignore') return;
  for (const f of checkAgainstSchema(v, typeName)) {
    if (f.unknownField && mode === 'warn') {
      p.warn(f.field, `${f.message}; ignored (--validate=warn)`);
      continue;
    }
    p.error(f.field, f.message);
    if (f.field === 'spec' || f.field.startsWith('spec.')) covered.refusedSpec = true;
    if (!f.unknownField) covered.bases.add(f.field);
    if (f.meant !== undefined) covered.bases.add(f.meant);
  }
  covered.from = p.items.length;
}

/**
 * A policy whose spec the schema check refused: what the misspelled or
 * mistyped field meant is unknown (policyType: [Egress] may have meant to
 * isolate egress), so it isolates both directions, as bad policyTypes do.
 */
function isolateBoth(policy: NetworkPolicy): NetworkPolicy {
  return { ...policy, policyTypes: ['Ingress', 'Egress'], policyTypesDefaulted: false };
}

function dispatch(
  v: RawRecord, kind: string | undefined, name: string | undefined,
  declaredNs: string | undefined, source: SourceRef, opts: NormalizeOptions, p: ProblemList, covered: Covered,
): ModelObject | undefined {
  const apiVersion = typeof v.apiVersion === 'string' ? v.apiVersion : undefined;
  if (apiVersion === undefined || kind === undefined) {
    missingTypeMeta(v, apiVersion, kind, p);
    return undefined;
  }
  const group = apiGroup(apiVersion);
  // The kinds nftpol models are those it has a schema for (k8s-schema-roots.ts).
  const typeName = schemaTypeOf(group, kind);
  if (typeName === undefined) {
    if (kind === 'NetworkPolicy' && (group === 'extensions' || group === 'networking.k8s.io')) {
      p.error('apiVersion', `NetworkPolicy ${apiVersion} is not supported: use networking.k8s.io/v1`);
    } else {
      p.debug(undefined, `${apiVersion} ${kind} is not something nftpol models; ignored`);
    }
    return undefined;
  }
  if (kind === 'NetworkPolicy' && apiVersion !== 'networking.k8s.io/v1') {
    p.error('apiVersion', `NetworkPolicy ${apiVersion} is not supported: use networking.k8s.io/v1`);
    return undefined;
  }
  const served = CLUSTER_POLICY_ROOTS[`${group}/${kind}`]?.apiVersion;
  if (served !== undefined && apiVersion !== served) {
    p.error('apiVersion', `${kind} ${apiVersion} is not supported: use ${served}`);
    return undefined;
  }
  checkSchema(v, typeName, opts.validate ?? 'strict', p, covered);
  optRecord(v.metadata, 'metadata', p);
  if (name === undefined) {
    p.error('metadata.name', 'metadata.name is required');
    return undefined;
  }
  const nameProblem = objectNameProblem(kind, name);
  if (nameProblem !== undefined) p.error('metadata.name', nameProblem);
  if (kind === 'Namespace') return { type: 'namespace', value: normalizeNamespace(v, name, source, p) };
  if (kind === 'Node') return { type: 'node', value: normalizeNode(v, name, source, p) };
  if (isClusterPolicyKind(kind)) {
    // Cluster-scoped, as Nodes: kubectl and the API server ignore a namespace given to one.
    if (declaredNs !== undefined) p.warn('metadata.namespace', `ignored: ${kind} objects are cluster-scoped`);
    return { type: 'clusterPolicy', value: normalizeClusterPolicy(v, kind, name, source, p) };
  }
  let namespace = declaredNs;
  const nsProblem = namespace === undefined ? undefined : dnsLabelProblem(namespace);
  if (nsProblem !== undefined) p.error('metadata.namespace', nsProblem);
  if (namespace === undefined) {
    namespace = opts.defaultNamespace ?? 'default';
    p.warn('metadata.namespace', `no namespace given; assuming ${quote(namespace)}`);
  }
  const meta = { namespace, name, source };
  if (kind === 'NetworkPolicy') {
    const policy = normalizePolicy(v, meta, p);
    return { type: 'policy', value: covered.refusedSpec ? isolateBoth(policy) : policy };
  }
  const owner = controllerOf(v.metadata, p);
  const pod = kind === 'Pod' ? normalizePod(v, meta, p) : isWorkloadKind(kind) ? normalizeWorkload(v, kind, meta, p) : undefined;
  return pod && { type: 'pod', value: pod, ...(owner && { owner }) };
}

function controllerOf(metadata: unknown, p: ProblemList): OwnerRef | undefined {
  const refs = isRecord(metadata) ? optArray(metadata.ownerReferences, 'metadata.ownerReferences', p) ?? [] : [];
  for (const ref of refs) {
    if (isRecord(ref) && ref.controller === true && typeof ref.kind === 'string' && typeof ref.name === 'string') {
      return { kind: ref.kind, name: ref.name };
    }
  }
  return undefined;
}
