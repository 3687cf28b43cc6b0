// Live mode, one shot: list Namespaces, Pods, NetworkPolicies and Nodes from
// the API server, and the cluster-wide policies (ClusterNetworkPolicy,
// AdminNetworkPolicy, BaselineAdminNetworkPolicy) that discovery says it
// serves, and run them through the same normalizers as manifests (source
// file "cluster"). A cluster without those CRDs is no problem: there is
// nothing of them to read. The client's typed objects carry the API's JSON
// field names, so they are the raw shape already; list items lack kind and
// apiVersion, which we put back. Pods without addresses, and finished pods,
// are kept: deciding what takes part in policy is the engine's job.
// Failures (a bad kubeconfig, an unreachable server, forbidden) come back as
// problems of severity "error"; a partial view must not be trusted. Only
// having no kubeconfig at all is thrown (NoKubeconfigError): that is not a
// cluster's problem but a command given no input.
import { CoreV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { assembleCluster } from '../sources/assemble-cluster.ts';
import type { RawObject } from '../sources/normalize-object.ts';
import type { SourceProblem } from '../model/problems.ts';
import { isRecord } from '../sources/raw.ts';
import { reason } from './reflector.ts';
import { toWireForm } from './wire-form.ts';
import { CLUSTER_POLICY_RESOURCES, CLUSTER_POLICY_TYPES, POLICY_GROUP, customListPage, discoverClusterPolicies, type ClusterPolicyResource } from './cluster-policy-api.ts';
import { policyFields } from './policy-fields.ts';
import type { LoadResult } from '../sources/load-cluster.ts';

export const CLUSTER_SOURCE = 'cluster';

/** Items of the four lists, as the client returns them (or as plain JSON); the cluster-wide policies' lists, plain JSON, when served. */
export interface LiveLists {
  readonly namespaces: readonly unknown[];
  readonly pods: readonly unknown[];
  readonly policies: readonly unknown[];
  readonly nodes: readonly unknown[];
  readonly clusterPolicies?: Readonly<Partial<Record<ClusterPolicyResource, readonly unknown[]>>>;
}

const LIST_TYPES = [
  { key: 'namespaces', kind: 'Namespace', apiVersion: 'v1' },
  { key: 'pods', kind: 'Pod', apiVersion: 'v1' },
  { key: 'policies', kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' },
  { key: 'nodes', kind: 'Node', apiVersion: 'v1' },
] as const;

/** List items -> raw objects with kind/apiVersion set, numbered in list order. */
export function liveObjectsToRaw(lists: LiveLists): RawObject[] {
  let document = 0;
  const typed = LIST_TYPES.flatMap(({ key, kind, apiVersion }) =>
    lists[key].map((item) => ({
      source: { file: CLUSTER_SOURCE, document: document++ },
      value: isRecord(item) ? toWireForm(item, apiVersion, kind) : item,
    })),
  );
  // Custom objects are plain JSON already (the client types none of them): cut down, kind and apiVersion put back.
  const custom = CLUSTER_POLICY_RESOURCES.flatMap((resource) => {
    const { kind, apiVersion } = CLUSTER_POLICY_TYPES[resource];
    return (lists.clusterPolicies?.[resource] ?? []).map((item) => ({
      source: { file: CLUSTER_SOURCE, document: document++ },
      value: isRecord(item) ? { apiVersion, kind, ...policyFields(kind, item) } : item,
    }));
  });
  return [...typed, ...custom];
}

/** Pure conversion of listed objects into the model. */
export function normalizeLiveObjects(lists: LiveLists): LoadResult {
  return assembleCluster(liveObjectsToRaw(lists));
}

export interface ClusterOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or in-cluster. */
  readonly kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current one. */
  readonly context?: string;
}

interface Page {
  readonly items: readonly unknown[];
  readonly metadata?: { readonly _continue?: string };
}

const PAGE_SIZE = 500;

/** The client found no kubeconfig at all: no $KUBECONFIG, no ~/.kube/config, not inside a cluster. */
export class NoKubeconfigError extends Error {}

export interface ClusterLoadResult extends LoadResult {
  /** The current context's namespace: kubectl's namespace for names without one. */
  readonly namespace?: string;
}

/**
 * With nothing to load, client-node's loadFromDefault does not fail: it
 * falls back to an unauthenticated http://localhost:8080, whose every request
 * then fails with a TLS or connection message. That fallback is recognised by
 * its shape (context "loaded-context", cluster "cluster" at localhost:8080).
 */
function isClientFallback(kc: KubeConfig): boolean {
  const cluster = kc.getCurrentCluster();
  return kc.getCurrentContext() === 'loaded-context' && cluster?.name === 'cluster' && cluster.server === 'http://localhost:8080';
}

/** Loads the kubeconfig the options name; throws NoKubeconfigError, or an Error whose message says what is wrong. */
export function loadKubeconfig(opts: ClusterOptions): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
  else {
    kc.loadFromDefault();
    if (isClientFallback(kc)) throw new NoKubeconfigError('no $KUBECONFIG, no ~/.kube/config, not in a pod');
  }
  const contexts = kc.getContexts().map((c) => c.name);
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) throw new Error(`no context named ${JSON.stringify(opts.context)} in the kubeconfig (contexts: ${contexts.join(', ') || 'none'})`);
    kc.setCurrentContext(opts.context);
  }
  const current = kc.getCurrentContext();
  const context = current ? kc.getContextObject(current) : null;
  if (!context) throw new Error(`the kubeconfig has no current-context: give --context (contexts: ${contexts.join(', ') || 'none'})`);
  if (!kc.getCurrentCluster()) throw new Error(`context ${JSON.stringify(current)} names cluster ${JSON.stringify(context.cluster)}, which the kubeconfig does not define`);
  return kc;
}

export async function loadFromCluster(opts: ClusterOptions = {}): Promise<ClusterLoadResult> {
  const problems: SourceProblem[] = [];
  const empty = { namespaces: [], pods: [], policies: [], nodes: [] };
  let kc: KubeConfig;
  try {
    kc = loadKubeconfig(opts);
  } catch (err) {
    if (err instanceof NoKubeconfigError) throw err;
    problems.push({ severity: 'error', file: CLUSTER_SOURCE, message: `cannot load kubeconfig: ${reason(err)}` });
    return { objects: normalizeLiveObjects(empty).objects, problems };
  }
  const core = kc.makeApiClient(CoreV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const failures: { kind: string; reason: string; message?: string }[] = [];
  /** Lists asked for, and discovery answers that did not come. */
  let attempted = 0;
  const list = async (kind: string, page: (cont: string | undefined) => Promise<Page>): Promise<unknown[]> => {
    attempted++;
    try {
      return await listAll(page);
    } catch (err) {
      failures.push({ kind, reason: reason(err) });
      return [];
    }
  };
  const page = (cont: string | undefined): { limit: number; _continue?: string } => ({ limit: PAGE_SIZE, ...(cont !== undefined && { _continue: cont }) });
  // The cluster-wide kinds discovery says are served are listed; those it cannot tell about are a problem (the view may lack policies).
  const listServed = async (): Promise<Partial<Record<ClusterPolicyResource, unknown[]>>> => {
    const served = await discoverClusterPolicies(kc);
    const out: Partial<Record<ClusterPolicyResource, unknown[]>> = {};
    await Promise.all(CLUSTER_POLICY_RESOURCES.map(async (resource) => {
      const s = served[resource];
      const { kind, version } = CLUSTER_POLICY_TYPES[resource];
      if (s.served === 'unknown') {
        attempted++;
        failures.push({ kind, reason: s.reason, message: s.message });
      }
      else if (s.served) out[resource] = await list(kind, async (c) => toPage(customListPage(await custom.listClusterCustomObject({ group: POLICY_GROUP, version, plural: resource, ...page(c) }))));
    }));
    return out;
  };
  const [namespaces, pods, policies, nodes, clusterPolicies] = await Promise.all([
    list('Namespace', (c) => core.listNamespace(page(c))),
    list('Pod', (c) => core.listPodForAllNamespaces(page(c))),
    list('NetworkPolicy', (c) => net.listNetworkPolicyForAllNamespaces(page(c))),
    list('Node', (c) => core.listNode(page(c))),
    listServed(),
  ]);
  problems.push(...listProblems(failures, attempted, kc.getCurrentCluster()?.server ?? '?'));
  const result = normalizeLiveObjects({ namespaces, pods, policies, nodes, clusterPolicies });
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { objects: result.objects, problems: [...problems, ...result.problems], ...(namespace ? { namespace } : {}) };
}

/** A custom-object page as listAll reads pages. */
function toPage(p: ReturnType<typeof customListPage>): Page {
  return { items: p.items, ...(p.continueToken !== undefined && { metadata: { _continue: p.continueToken } }) };
}

/**
 * One problem a failed list (or discovery); but when every request failed
 * for the same reason (the server is unreachable, TLS fails, the token is
 * refused), one problem that says so once. `attempted`: the four lists and
 * the cluster-wide kinds' discovery or list.
 */
function listProblems(failures: readonly { kind: string; reason: string; message?: string }[], attempted: number, server: string): SourceProblem[] {
  const reasons = new Set(failures.map((f) => f.reason));
  if (failures.length === attempted && reasons.size === 1) {
    return [{ severity: 'error', file: CLUSTER_SOURCE, message: `cannot list anything from ${server}: ${failures[0]?.reason ?? ''}` }];
  }
  return failures.map((f) => ({ severity: 'error', file: CLUSTER_SOURCE, kind: f.kind, message: f.message ?? `cannot list ${f.kind} objects: ${f.reason}` }));
}

/** Follows `continue` tokens until the list is complete. */
export async function listAll(fetchPage: (cont: string | undefined) => Promise<Page>): Promise<unknown[]> {
  const items: unknown[] = [];
  let cont: string | undefined;
  do {
    const page = await fetchPage(cont);
    items.push(...page.items);
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  return items;
}

