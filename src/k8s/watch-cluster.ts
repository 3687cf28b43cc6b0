// The cluster as a stream of events, for a long-running agent: Namespaces,
// Pods in every namespace, NetworkPolicies and Nodes, and the cluster-wide
// policies (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy) when the API server serves them, each listed
// and then watched (reflector.ts), each object cut down to the fields the
// engine reads (policy-fields.ts) and run through the manifests' normalizer,
// so that validation stays in one place (src/sources).
//
// The cluster-wide policies are custom resources: discovery (discovery-loop.ts)
// says which of them the API server serves, at start and every 5 minutes.
// One that is served is watched like the others; one that is not is said once
// (a `discovery` event), not retried; one installed later is watched from the
// next check on; one whose CRD is removed is answered 404, its objects are
// deleted and it is said not served again.
//
// `synced` comes once, after every one of the four has finished its first
// list, discovery has answered for each cluster-wide kind, and each of those
// served has finished its first list: before it, the picture is partial (pods
// whose policies are not yet known) and must not be enforced. A later relist
// (after 410 Gone) does not un-sync: it emits only what changed during the gap.
import { CoreV1Api, CustomObjectsApi, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { SourceProblem } from '../model/problems.ts';
import { normalizeEnforced } from '../sources/fail-closed.ts';
import type { ModelObject, NormalizeResult } from '../sources/normalize-object.ts';
import { isRecord } from '../sources/raw.ts';
import {
  CLUSTER_POLICY_RESOURCES, CLUSTER_POLICY_TYPES, POLICY_GROUP, customListPage, describeClusterPolicyResource, discoverClusterPolicies,
  isClusterPolicyResource, type ClusterPolicyResource, type Served,
} from './cluster-policy-api.ts';
import { DISCOVERY_INTERVAL_MS, DiscoveryLoop, intervalText } from './discovery-loop.ts';
import { CLUSTER_SOURCE } from './live-objects.ts';
import { policyFields, type WatchedKind } from './policy-fields.ts';
import { Reflector, reason, type BackoffOptions, type ListPage, type ReflectorEvent } from './reflector.ts';
import { toWireForm } from './wire-form.ts';

export const CORE_RESOURCES = ['namespaces', 'pods', 'networkpolicies', 'nodes'] as const;
export type CoreResource = (typeof CORE_RESOURCES)[number];
export const WATCHED_RESOURCES = [...CORE_RESOURCES, ...CLUSTER_POLICY_RESOURCES] as const;
export type WatchedResource = (typeof WATCHED_RESOURCES)[number];

/** An object as the engine takes it: the model object (absent when unreadable) and what is wrong with it. */
export type NormalizedObject = NormalizeResult;

export type ClusterEvent =
  | {
    readonly type: 'added' | 'modified' | 'deleted';
    readonly resource: WatchedResource;
    /** namespace/name, or name for cluster-scoped kinds: what a later delete names. */
    readonly key: string;
    /** For `deleted`, the object as last seen. */
    readonly object?: ModelObject;
    readonly problems: readonly SourceProblem[];
    readonly resourceVersion: string;
  }
  /** Every resource watched has finished its first list; comes once. */
  | { readonly type: 'synced'; readonly resourceVersions: Readonly<Partial<Record<WatchedResource, string>>> }
  | { readonly type: 'listed'; readonly resource: WatchedResource; readonly resourceVersion: string; readonly initial: boolean; readonly count: number }
  | { readonly type: 'bookmark'; readonly resource: WatchedResource; readonly resourceVersion: string }
  /** The watch fell out of the server's history (410 Gone); a relist follows. */
  | { readonly type: 'expired'; readonly resource: WatchedResource; readonly message: string }
  /** A list, watch or discovery request failed; it is retried after retryInMs. */
  | { readonly type: 'trouble'; readonly resource: WatchedResource | 'discovery'; readonly message: string; readonly retryInMs: number }
  /** A cluster-wide kind is now watched (served), or not (not served, or no longer); said when it changes, not at every check. */
  | { readonly type: 'discovery'; readonly resource: ClusterPolicyResource; readonly served: boolean; readonly message: string };

export interface WatchClusterOptions {
  readonly backoff?: BackoffOptions;
  /** Items per list page (limit); the rest follows by continue token. Default 500, as kubectl. */
  readonly pageSize?: number;
  readonly watchTimeoutSeconds?: number;
  /** How often discovery is asked again whether the cluster-wide kinds are served. Default 5 minutes. */
  readonly discoveryIntervalMs?: number;
}

export interface ClusterWatch {
  /** Resolves at `synced` (never, when stopped before it). */
  readonly synced: Promise<void>;
  isSynced(): boolean;
  /** The resourceVersion each watched resource's watch would resume from. */
  resourceVersions(): Partial<Record<WatchedResource, string>>;
  /** Ends every watch; no event is delivered after it resolves. */
  stop(): Promise<void>;
}

interface TypedList {
  readonly items: readonly object[];
  readonly metadata?: { readonly resourceVersion?: string; readonly _continue?: string };
}

interface Apis {
  readonly core: CoreV1Api;
  readonly net: NetworkingV1Api;
  readonly custom: CustomObjectsApi;
}

type Page = { limit: number; _continue?: string };

interface ResourceType {
  readonly kind: WatchedKind;
  readonly apiVersion: string;
  readonly path: string;
  /** One page of the list, items in wire form. */
  readonly listPage: (apis: Apis, page: Page) => Promise<ListPage>;
}

/**
 * A list item, typed by the client, back to its wire form (see wire-form.ts),
 * cut down first so the serializer has little to do. A value the serializer
 * cannot write back (an invalid date) leaves the item as it is, for the
 * normalizer to report.
 */
function listItemToWire(item: object, kind: WatchedKind, apiVersion: string): unknown {
  const cut = policyFields(kind, item as Readonly<Record<string, unknown>>);
  try {
    return toWireForm(cut, apiVersion, kind);
  } catch {
    return { ...cut, apiVersion, kind };
  }
}

function typed(kind: WatchedKind, apiVersion: string, path: string, list: (apis: Apis, page: Page) => Promise<TypedList>): ResourceType {
  return {
    kind, apiVersion, path,
    listPage: async (apis, page) => {
      const l = await list(apis, page);
      const cont = l.metadata?._continue;
      return { items: l.items.map((item) => listItemToWire(item, kind, apiVersion)), resourceVersion: l.metadata?.resourceVersion ?? '', ...(cont ? { continueToken: cont } : {}) };
    },
  };
}

/** Custom objects come as plain JSON, already in wire form: only cut down. */
function custom(resource: ClusterPolicyResource): ResourceType {
  const t = CLUSTER_POLICY_TYPES[resource];
  return {
    kind: t.kind, apiVersion: t.apiVersion, path: t.path,
    listPage: async (apis, page) => {
      const l = customListPage(await apis.custom.listClusterCustomObject({ group: POLICY_GROUP, version: t.version, plural: resource, ...page }));
      return { ...l, items: l.items.map((item) => (isRecord(item) ? { apiVersion: t.apiVersion, kind: t.kind, ...policyFields(t.kind, item) } : item)) };
    },
  };
}

const RESOURCES: Readonly<Record<WatchedResource, ResourceType>> = {
  namespaces: typed('Namespace', 'v1', '/api/v1/namespaces', ({ core }, page) => core.listNamespace(page)),
  pods: typed('Pod', 'v1', '/api/v1/pods', ({ core }, page) => core.listPodForAllNamespaces(page)),
  networkpolicies: typed('NetworkPolicy', 'networking.k8s.io/v1', '/apis/networking.k8s.io/v1/networkpolicies', ({ net }, page) => net.listNetworkPolicyForAllNamespaces(page)),
  nodes: typed('Node', 'v1', '/api/v1/nodes', ({ core }, page) => core.listNode(page)),
  clusternetworkpolicies: custom('clusternetworkpolicies'),
  adminnetworkpolicies: custom('adminnetworkpolicies'),
  baselineadminnetworkpolicies: custom('baselineadminnetworkpolicies'),
};

/** The kind and apiVersion a resource's objects have. */
export function resourceKind(resource: WatchedResource): { readonly kind: string; readonly apiVersion: string } {
  return { kind: RESOURCES[resource].kind, apiVersion: RESOURCES[resource].apiVersion };
}

function normalizeWatched(obj: unknown, type: ResourceType): NormalizedObject {
  const cut = isRecord(obj) ? policyFields(type.kind, obj) : obj;
  // Watch events carry kind and apiVersion; an object without them is still of the watched kind.
  const value = isRecord(cut) ? { apiVersion: type.apiVersion, kind: type.kind, ...cut } : cut;
  return normalizeEnforced({ source: { file: CLUSTER_SOURCE, document: 0 }, value });
}

/** Discovery, with any throw (a kubeconfig the client cannot use) as every answer unknown. */
async function discover(kubeConfig: KubeConfig): Promise<Record<ClusterPolicyResource, Served>> {
  try {
    return await discoverClusterPolicies(kubeConfig);
  } catch (err) {
    const unknown: Served = { served: 'unknown', message: `cannot ask the API server which ${POLICY_GROUP} resources it serves: ${reason(err)}`, reason: reason(err) };
    return Object.fromEntries(CLUSTER_POLICY_RESOURCES.map((r) => [r, unknown])) as Record<ClusterPolicyResource, Served>;
  }
}

/**
 * Lists and watches the four resources, and the cluster-wide policies the
 * API server serves; `onEvent` gets every change, in order within a resource
 * (across resources there is no order, as in the API).
 */
export function watchCluster(kubeConfig: KubeConfig, onEvent: (event: ClusterEvent) => void, opts: WatchClusterOptions = {}): ClusterWatch {
  const apis: Apis = { core: kubeConfig.makeApiClient(CoreV1Api), net: kubeConfig.makeApiClient(NetworkingV1Api), custom: kubeConfig.makeApiClient(CustomObjectsApi) };
  const limit = opts.pageSize ?? 500;
  const listed = new Set<WatchedResource>();
  /** Cluster-wide kinds discovery has answered for at least once. */
  const answered = new Set<ClusterPolicyResource>();
  /** What was last said of each cluster-wide kind (a `discovery` event goes out when it changes). */
  const told = new Map<ClusterPolicyResource, boolean>();
  let markSynced = (): void => undefined;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  let isSynced = false;
  let stopped = false;
  const reflectors = new Map<WatchedResource, Reflector<NormalizedObject>>();
  const resourceVersions = (): Partial<Record<WatchedResource, string>> =>
    Object.fromEntries([...reflectors].map(([r, reflector]) => [r, reflector.lastResourceVersion]));

  const deliver = (event: ClusterEvent): void => {
    if (!stopped) onEvent(event);
  };
  const checkSynced = (): void => {
    if (isSynced || answered.size < CLUSTER_POLICY_RESOURCES.length || ![...reflectors.keys()].every((r) => listed.has(r))) return;
    isSynced = true;
    deliver({ type: 'synced', resourceVersions: resourceVersions() });
    markSynced();
  };
  const tell = (resource: ClusterPolicyResource, served: boolean, message: string): void => {
    if (told.get(resource) === served) return;
    told.set(resource, served);
    deliver({ type: 'discovery', resource, served, message });
  };
  const forward = (resource: WatchedResource) => (e: ReflectorEvent<NormalizedObject>): void => {
    switch (e.type) {
      case 'added':
      case 'modified':
      case 'deleted':
        deliver({ type: e.type, resource, key: e.key, ...(e.value.object && { object: e.value.object }), problems: e.value.problems, resourceVersion: e.resourceVersion });
        return;
      case 'listed':
        deliver({ resource, ...e });
        listed.add(resource);
        checkSynced();
        return;
      case 'unserved':
        // Its CRD was removed (its objects went with it: deleted above). Discovery picks it up again if it comes back.
        reflectors.delete(resource);
        listed.delete(resource);
        if (isClusterPolicyResource(resource)) {
          tell(resource, false, `${describeClusterPolicyResource(resource)} is no longer served by the API server (${e.message}): not watching it`);
        }
        checkSynced();
        return;
      default:
        deliver({ resource, ...e });
    }
  };
  const startReflector = (resource: WatchedResource): void => {
    const type = RESOURCES[resource];
    reflectors.set(resource, new Reflector<NormalizedObject>({
      kubeConfig, path: type.path,
      listPage: (token) => type.listPage(apis, { limit, ...(token !== undefined && { _continue: token }) }),
      convert: (obj) => normalizeWatched(obj, type),
      emit: forward(resource),
      endWhenNotFound: isClusterPolicyResource(resource),
      ...(opts.backoff && { backoff: opts.backoff }),
      ...(opts.watchTimeoutSeconds !== undefined && { watchTimeoutSeconds: opts.watchTimeoutSeconds }),
    }));
  };

  for (const resource of CORE_RESOURCES) startReflector(resource);
  const discovery = new DiscoveryLoop({
    discover: () => discover(kubeConfig),
    ...(opts.discoveryIntervalMs !== undefined && { intervalMs: opts.discoveryIntervalMs }),
    ...(opts.backoff?.initialMs !== undefined && { retryMs: opts.backoff.initialMs }),
    ...(opts.backoff?.maxMs !== undefined && { maxRetryMs: opts.backoff.maxMs }),
    onTrouble: (message, retryInMs) => deliver({ type: 'trouble', resource: 'discovery', message, retryInMs }),
    onAnswer: (answer) => {
      if (stopped) return;
      for (const resource of CLUSTER_POLICY_RESOURCES) {
        const a = answer[resource];
        if (a.served === 'unknown') continue;
        answered.add(resource);
        // A watched kind that discovery no longer lists is left to its watch: a 404 ends it (reflector.ts).
        if (reflectors.has(resource)) continue;
        if (a.served) {
          tell(resource, true, `${describeClusterPolicyResource(resource)} is served by the API server: watching it`);
          startReflector(resource);
        } else {
          tell(resource, false, `${describeClusterPolicyResource(resource)} is not served by the API server: not watching it (asked again every ${intervalText(opts.discoveryIntervalMs ?? DISCOVERY_INTERVAL_MS)})`);
        }
      }
      checkSynced();
    },
  });

  return {
    synced,
    isSynced: () => isSynced,
    resourceVersions,
    stop: async () => {
      stopped = true;
      await discovery.stop();
      await Promise.all([...reflectors.values()].map((r) => r.stop()));
    },
  };
}
