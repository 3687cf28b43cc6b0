// Finds the pod or workload a user names, in the forms a kubectl user types:
//   NAME                  in the default namespace (-n, else "default")
//   NAMESPACE/NAME        nftpol's own form: a Pod, or a workload standing for its pods
//   KIND/NAME             kubectl's form (pod/api, deploy/api), in the default namespace
//   KIND/NAMESPACE/NAME   the kind named too: needed when a Pod and a workload share a name
// KIND is any name kubectl accepts for it: short (po, deploy, sts, ds, rs, cj),
// singular, plural, with or without its API group (deployments.apps), in any
// case. A name that finds nothing is refused with what to write instead: the
// namespaces where that name exists, the kind it really is, or the forms.
import type { ClusterState } from '../model/cluster-state.ts';
import type { Pod, PodOwnerKind } from '../model/types.ts';
import { POD_KIND_PREFIX, podKey } from '../model/types.ts';

/** kubectl's namespace when none is given. */
export const DEFAULT_NAMESPACE = 'default';

/** A name that finds no pod or workload; the message says what to write. */
export class PodNameError extends Error {}

const API_GROUP: Readonly<Record<PodOwnerKind, string>> = {
  Pod: '', Deployment: 'apps', StatefulSet: 'apps', DaemonSet: 'apps', ReplicaSet: 'apps', Job: 'batch', CronJob: 'batch',
};

/** kubectl's short names that POD_KIND_PREFIX (nftpol's own, printed in keys) does not use. */
const EXTRA_SHORT: Partial<Record<PodOwnerKind, string>> = { Pod: 'po', CronJob: 'cj' };

const KIND_BY_NAME: ReadonlyMap<string, PodOwnerKind> = new Map(
  (Object.keys(API_GROUP) as PodOwnerKind[]).flatMap((kind) => {
    const lower = kind.toLowerCase();
    const forms = [lower, `${lower}s`];
    const group = API_GROUP[kind];
    const names = [POD_KIND_PREFIX[kind], EXTRA_SHORT[kind], ...forms, ...(group ? forms.map((f) => `${f}.${group}`) : [])];
    return names.filter((n): n is string => n !== undefined).map((n) => [n, kind] as const);
  }),
);

/** Kinds people name that are not pods, with what to write instead. */
const NOT_PODS: ReadonlyMap<string, string> = new Map([
  ...['ns', 'namespace', 'namespaces'].map((n) => [n, 'a Namespace is not an endpoint: name a pod in it (NAMESPACE/NAME, or -n NAMESPACE and NAME)'] as const),
  ...['svc', 'service', 'services'].map((n) => [n, 'NetworkPolicy applies to pods, not Services (a connection to a Service reaches a pod behind it): name that pod or its workload'] as const),
  ...['no', 'node', 'nodes'].map((n) => [n, 'write node:NAME for a node'] as const),
]);

const FORMS = 'write NAME, NAMESPACE/NAME, KIND/NAME or KIND/NAMESPACE/NAME (KIND: pod, deploy, sts, ds, rs, job, cronjob), ip:ADDRESS or node:NAME';

function kindNamed(word: string): PodOwnerKind | undefined {
  return KIND_BY_NAME.get(word.toLowerCase());
}

/** A pod or workload of that kind at namespace/name, whether or not it had to be keyed by kind. */
function withKind(state: ClusterState, kind: PodOwnerKind, namespace: string, name: string): Pod | undefined {
  const candidate = state.pods.get(podKey({ namespace, name, kind, keyedByKind: true })) ?? state.pods.get(`${namespace}/${name}`);
  return candidate?.kind === kind ? candidate : undefined;
}

function kindLabel(kind: PodOwnerKind | undefined): string {
  return kind === undefined ? 'pod or workload' : kind;
}

/** "shop/api", or "deploy/shop/api" when the kind was part of the name. */
function written(kind: PodOwnerKind | undefined, namespace: string, name: string): string {
  return kind === undefined ? `${namespace}/${name}` : `${POD_KIND_PREFIX[kind]}/${namespace}/${name}`;
}

function listed(items: readonly string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')}, ...`;
}

/** What to write instead of a name that finds nothing. */
function hint(state: ClusterState, kind: PodOwnerKind | undefined, namespace: string, name: string): string {
  const pods = [...state.pods.values()];
  const elsewhere = [...new Set(pods.filter((p) => p.name === name && (kind === undefined || p.kind === kind)).map((p) => p.namespace))].sort();
  if (elsewhere.length > 0) {
    const first = elsewhere[0] ?? '';
    return `${name} is in namespace${elsewhere.length === 1 ? '' : 's'} ${listed(elsewhere)}: write ${written(kind, first, name)}, or -n ${first}`;
  }
  const other = pods.find((p) => p.namespace === namespace && p.name === name);
  if (other && kind !== undefined) return `${namespace}/${name} is a ${other.kind}: write ${POD_KIND_PREFIX[other.kind]}/${namespace}/${name}`;
  const inNamespace = pods.filter((p) => p.namespace === namespace).map(podKey).sort();
  if (inNamespace.length > 0) return `namespace ${namespace} has ${listed(inNamespace)}`;
  return state.namespaces.has(namespace) ? FORMS : `the input has no namespace ${namespace}`;
}

function notFound(state: ClusterState, spec: string, kind: PodOwnerKind | undefined, namespace: string, name: string): PodNameError {
  return new PodNameError(`${spec}: no ${kindLabel(kind)} ${namespace}/${name} (${hint(state, kind, namespace, name)})`);
}

/**
 * The pod or workload `spec` names; `namespace` is where a name without one
 * is (kubectl's -n). Throws PodNameError, whose message starts with the spec.
 */
export function findPod(state: ClusterState, spec: string, namespace: string = DEFAULT_NAMESPACE): Pod {
  const parts = spec.split('/');
  if (parts.some((p) => p.trim() === '') || parts.length > 3) throw new PodNameError(`${spec}: not a pod or workload name (${FORMS})`);
  const [first = '', second, third] = parts;
  if (second === undefined) return state.pods.get(`${namespace}/${first}`) ?? throwing(notFound(state, spec, undefined, namespace, first));
  const kind = kindNamed(first);
  const notPod = NOT_PODS.get(first.toLowerCase());
  if (third === undefined) {
    // "deploy/api" is kubectl's KIND/NAME; "shop/api" nftpol's NAMESPACE/NAME. A
    // namespace may be called "deploy", so both readings are tried.
    const plain = state.pods.get(`${first}/${second}`);
    const typed = kind === undefined ? undefined : withKind(state, kind, namespace, second);
    if (plain && typed && plain !== typed) {
      throw new PodNameError(`${spec}: names both the ${plain.kind} ${first}/${second} and the ${typed.kind} ${namespace}/${second}: ` +
        `write ${written(plain.kind, first, second)} or ${written(typed.kind, namespace, second)}`);
    }
    const found = plain ?? typed;
    if (found) return found;
    if (notPod !== undefined) throw new PodNameError(`${spec}: ${notPod}`);
    throw kind === undefined ? notFound(state, spec, undefined, first, second) : notFound(state, spec, kind, namespace, second);
  }
  if (kind !== undefined) return withKind(state, kind, second, third) ?? throwing(notFound(state, spec, kind, second, third));
  if (notPod !== undefined) throw new PodNameError(`${spec}: ${notPod}`);
  const swapped = kindNamed(second);
  if (swapped !== undefined) throw new PodNameError(`${spec}: the kind comes first: write ${POD_KIND_PREFIX[swapped]}/${first}/${third}`);
  throw new PodNameError(`${spec}: ${first} is not a kind of pod or workload (${FORMS})`);
}

function throwing(err: Error): never {
  throw err;
}
