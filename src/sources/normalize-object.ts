// One decoded Kubernetes object -> one model object, by API group and kind.
// Kinds we do not model (Services, ConfigMaps, CRDs, ...) are ignored with a
// debug note. NetworkPolicy is only read from networking.k8s.io/v1: other
// groups' "NetworkPolicy" kinds (Calico's, say) mean something else.
import { normalizeNamespace } from './normalize-namespace.ts';
import { normalizeNode } from './normalize-node.ts';
import { normalizePod } from './normalize-pod.ts';
import { normalizePolicy } from './normalize-policy.ts';
import { isWorkloadKind, normalizeWorkload } from './normalize-workload.ts';
import type { SourceProblem } from '../model/problems.ts';
import { ProblemList } from '../model/problems.ts';
import { describe, isRecord, optArray, optRecord } from './raw.ts';
import type { Namespace, NetworkPolicy, Node, Pod, SourceRef } from '../model/types.ts';

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
  | { readonly type: 'node'; readonly value: Node };

export interface NormalizeResult {
  readonly object?: ModelObject;
  readonly problems: readonly SourceProblem[];
}

export interface NormalizeOptions {
  /** Namespace for namespaced objects that name none (as kubectl -n would); "default". */
  readonly defaultNamespace?: string;
}

export function normalizeObject(raw: RawObject, opts: NormalizeOptions = {}): NormalizeResult {
  const v = raw.value;
  const kind = isRecord(v) && typeof v.kind === 'string' ? v.kind : undefined;
  const metadata = isRecord(v) && isRecord(v.metadata) ? v.metadata : {};
  const name = typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : undefined;
  const declaredNs = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  const p = new ProblemList({ source: raw.source, ...(kind && { kind }), ...(name && { name }), ...(declaredNs && { namespace: declaredNs }) });
  const object = isRecord(v) ? dispatch(v, kind, name, declaredNs, raw.source, opts, p) : undefined;
  if (!isRecord(v)) p.error(undefined, `not a Kubernetes object (a mapping with apiVersion and kind), got ${describe(v)}`);
  const problems = p.items.map((pr) => {
    const line = (pr.field !== undefined ? raw.locate?.(pr.field) : undefined) ?? raw.line;
    return line === undefined ? pr : { ...pr, line };
  });
  return { ...(object && { object }), problems };
}

function dispatch(
  v: Readonly<Record<string, unknown>>, kind: string | undefined, name: string | undefined,
  declaredNs: string | undefined, source: SourceRef, opts: NormalizeOptions, p: ProblemList,
): ModelObject | undefined {
  const apiVersion = typeof v.apiVersion === 'string' ? v.apiVersion : undefined;
  if (apiVersion === undefined) p.error('apiVersion', 'apiVersion is required');
  if (kind === undefined) p.error('kind', 'kind is required');
  if (apiVersion === undefined || kind === undefined) return undefined;
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const known = modelled(group, kind);
  if (!known) {
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
  optRecord(v.metadata, 'metadata', p);
  if (name === undefined) {
    p.error('metadata.name', 'metadata.name is required');
    return undefined;
  }
  if (kind === 'Namespace') return { type: 'namespace', value: normalizeNamespace(v, name, source, p) };
  if (kind === 'Node') return { type: 'node', value: normalizeNode(v, name, source, p) };
  let namespace = declaredNs;
  if (namespace === undefined) {
    namespace = opts.defaultNamespace ?? 'default';
    p.warn('metadata.namespace', `no namespace given; assuming ${JSON.stringify(namespace)}`);
  }
  const meta = { namespace, name, source };
  if (kind === 'NetworkPolicy') return { type: 'policy', value: normalizePolicy(v, meta, p) };
  const owner = controllerOf(v.metadata, p);
  const pod = kind === 'Pod' ? normalizePod(v, meta, p) : isWorkloadKind(kind) ? normalizeWorkload(v, kind, meta, p) : undefined;
  return pod && { type: 'pod', value: pod, ...(owner && { owner }) };
}

const GROUP_KINDS: Readonly<Record<string, readonly string[]>> = {
  '': ['Namespace', 'Pod', 'Node'],
  apps: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'],
  batch: ['Job', 'CronJob'],
  'networking.k8s.io': ['NetworkPolicy'],
};

function modelled(group: string, kind: string): boolean {
  return GROUP_KINDS[group]?.includes(kind) ?? false;
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
