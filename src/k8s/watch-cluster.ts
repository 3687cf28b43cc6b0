// The cluster as a stream of events, for a long-running agent: Namespaces,
// Pods in every namespace, NetworkPolicies and Nodes, each listed and then
// watched (reflector.ts), each object cut down to the fields the engine reads
// (policy-fields.ts) and run through the manifests' normalizer, so that
// validation stays in one place (src/sources).
//
// `synced` comes once, after every one of the four has finished its first
// list: before it, the picture is partial (pods whose policies are not yet
// known) and must not be enforced. A later relist (after 410 Gone) does not
// un-sync: it emits only what changed during the gap.
import { CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { SourceProblem } from '../model/problems.ts';
import { normalizeEnforced } from '../sources/fail-closed.ts';
import type { ModelObject, NormalizeResult } from '../sources/normalize-object.ts';
import { isRecord } from '../sources/raw.ts';
import { CLUSTER_SOURCE } from './live-objects.ts';
import { policyFields, type WatchedKind } from './policy-fields.ts';
import { Reflector, type BackoffOptions, type ListPage, type ReflectorEvent } from './reflector.ts';
import { toWireForm } from './wire-form.ts';

export const WATCHED_RESOURCES = ['namespaces', 'pods', 'networkpolicies', 'nodes'] as const;
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
  /** Every resource has finished its first list; comes once. */
  | { readonly type: 'synced'; readonly resourceVersions: Readonly<Record<WatchedResource, string>> }
  | { readonly type: 'listed'; readonly resource: WatchedResource; readonly resourceVersion: string; readonly initial: boolean; readonly count: number }
  | { readonly type: 'bookmark'; readonly resource: WatchedResource; readonly resourceVersion: string }
  /** The watch fell out of the server's history (410 Gone); a relist follows. */
  | { readonly type: 'expired'; readonly resource: WatchedResource; readonly message: string }
  /** A list or watch failed; it is retried after retryInMs. */
  | { readonly type: 'trouble'; readonly resource: WatchedResource; readonly message: string; readonly retryInMs: number };

export interface WatchClusterOptions {
  readonly backoff?: BackoffOptions;
  /** Items per list page (limit); the rest follows by continue token. Default 500, as kubectl. */
  readonly pageSize?: number;
  readonly watchTimeoutSeconds?: number;
}

export interface ClusterWatch {
  /** Resolves at `synced` (never, when stopped before it). */
  readonly synced: Promise<void>;
  isSynced(): boolean;
  /** The resourceVersion each resource's watch would resume from. */
  resourceVersions(): Record<WatchedResource, string>;
  /** Ends every watch; no event is delivered after it resolves. */
  stop(): Promise<void>;
}

interface TypedList {
  readonly items: readonly object[];
  readonly metadata?: { readonly resourceVersion?: string; readonly _continue?: string };
}

interface ResourceType {
  readonly kind: WatchedKind;
  readonly apiVersion: string;
  readonly path: string;
  readonly list: (core: CoreV1Api, net: NetworkingV1Api, page: { limit: number; _continue?: string }) => Promise<TypedList>;
}

const RESOURCES: Readonly<Record<WatchedResource, ResourceType>> = {
  namespaces: { kind: 'Namespace', apiVersion: 'v1', path: '/api/v1/namespaces', list: (core, _net, page) => core.listNamespace(page) },
  pods: { kind: 'Pod', apiVersion: 'v1', path: '/api/v1/pods', list: (core, _net, page) => core.listPodForAllNamespaces(page) },
  networkpolicies: {
    kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', path: '/apis/networking.k8s.io/v1/networkpolicies',
    list: (_core, net, page) => net.listNetworkPolicyForAllNamespaces(page),
  },
  nodes: { kind: 'Node', apiVersion: 'v1', path: '/api/v1/nodes', list: (core, _net, page) => core.listNode(page) },
};

/**
 * A list item, typed by the client, back to its wire form (see wire-form.ts),
 * cut down first so the serializer has little to do. A value the serializer
 * cannot write back (an invalid date) leaves the item as it is, for the
 * normalizer to report.
 */
function listItemToWire(item: object, type: ResourceType): unknown {
  const cut = policyFields(type.kind, item as Readonly<Record<string, unknown>>);
  try {
    return toWireForm(cut, type.apiVersion, type.kind);
  } catch {
    return { ...cut, apiVersion: type.apiVersion, kind: type.kind };
  }
}

function normalizeWatched(obj: unknown, type: ResourceType): NormalizedObject {
  const cut = isRecord(obj) ? policyFields(type.kind, obj) : obj;
  // Watch events carry kind and apiVersion; an object without them is still of the watched kind.
  const value = isRecord(cut) ? { apiVersion: type.apiVersion, kind: type.kind, ...cut } : cut;
  return normalizeEnforced({ source: { file: CLUSTER_SOURCE, document: 0 }, value });
}

/**
 * Lists and watches the four resources; `onEvent` gets every change, in order
 * within a resource (across resources there is no order, as in the API).
 */
export function watchCluster(kubeConfig: KubeConfig, onEvent: (event: ClusterEvent) => void, opts: WatchClusterOptions = {}): ClusterWatch {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const net = kubeConfig.makeApiClient(NetworkingV1Api);
  const limit = opts.pageSize ?? 500;
  const listed = new Set<WatchedResource>();
  let markSynced = (): void => undefined;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  let stopped = false;
  const reflectors = new Map<WatchedResource, Reflector<NormalizedObject>>();
  const resourceVersions = (): Record<WatchedResource, string> =>
    Object.fromEntries(WATCHED_RESOURCES.map((r) => [r, reflectors.get(r)?.lastResourceVersion ?? ''])) as Record<WatchedResource, string>;

  const deliver = (event: ClusterEvent): void => {
    if (!stopped) onEvent(event);
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
        if (!listed.has(resource)) {
          listed.add(resource);
          if (listed.size === WATCHED_RESOURCES.length) {
            deliver({ type: 'synced', resourceVersions: resourceVersions() });
            markSynced();
          }
        }
        return;
      default:
        deliver({ resource, ...e });
    }
  };

  for (const resource of WATCHED_RESOURCES) {
    const type = RESOURCES[resource];
    const listPage = async (token: string | undefined): Promise<ListPage> => {
      const list = await type.list(core, net, { limit, ...(token !== undefined && { _continue: token }) });
      const cont = list.metadata?._continue;
      return {
        items: list.items.map((item) => listItemToWire(item, type)),
        resourceVersion: list.metadata?.resourceVersion ?? '',
        ...(cont ? { continueToken: cont } : {}),
      };
    };
    reflectors.set(resource, new Reflector<NormalizedObject>({
      kubeConfig, path: type.path, listPage,
      convert: (obj) => normalizeWatched(obj, type),
      emit: forward(resource),
      ...(opts.backoff && { backoff: opts.backoff }),
      ...(opts.watchTimeoutSeconds !== undefined && { watchTimeoutSeconds: opts.watchTimeoutSeconds }),
    }));
  }

  return {
    synced,
    isSynced: () => listed.size === WATCHED_RESOURCES.length,
    resourceVersions,
    stop: async () => {
      stopped = true;
      await Promise.all([...reflectors.values()].map((r) => r.stop()));
    },
  };
}
