// The kubernetes source: the API server's Namespaces, Pods, NetworkPolicies
// and Nodes, and the cluster-wide policies it serves (ClusterNetworkPolicy,
// AdminNetworkPolicy, BaselineAdminNetworkPolicy: found by discovery), listed
// and watched (src/k8s/watch-cluster.ts), kept here in one map per resource
// by namespace/name (name for cluster-scoped kinds). A read assembles the maps into
// ClusterObjects with the manifests' cross-object steps (assembleNormalized),
// so the agent compiles what `nftpol render` would for the same objects.
//
// Nothing is read as a state before watchCluster says synced: before every
// resource's first list, pods may be known whose policies are not, and that
// picture would open traffic. After it, every change (and a relist's, after
// 410 Gone) signals the agent, which coalesces a burst into one sync.
//
// Invalid objects never stop the agent. A NetworkPolicy with an error fails
// closed (the watch layer marks it: it isolates what it selects and allows
// nothing); so does a cluster-wide policy (src/sources: a rule with errors
// fails on its own, a policy-level error makes it deny its subjects
// everything at its tier and priority). Any other invalid object is reported (onInvalid: logged and
// counted) and left out; when it replaces a good version of the same object,
// that version stays, as the file source keeps its last good state: dropping
// a pod whose new labels are unreadable would take it out of the policies
// that isolate it.
//
// The revision names the state by the last resourceVersion applied to each
// map ("namespaces=12,pods=40,...", a cluster-wide kind once it was watched):
// the same events give the same revision.
//
// A read costs what changed, not the cluster's size: it lists the objects
// that changed since the previous read (SourceChanges), and the whole state
// is assembled only when the agent asks for it (to start afresh). For live
// objects the manifests' cross-object steps change nothing but nodes (a
// workload or a duplicate key cannot come from the API server; a namespace a
// pod names but the watch has not listed yet reads as one with only its name
// label either way), so pods, namespaces and policies go over as they are,
// and nodes go through the one step that concerns them (overlapping pod
// CIDRs), which is also where this source's warnings come from.
// Pods are where the scheduler put them (no placement): an unscheduled pod
// has no node and no address yet.
import { KubeConfig } from '@kubernetes/client-node';
import { CLUSTER_SOURCE, loadKubeconfig } from '../k8s/live-objects.ts';
import { CLUSTER_POLICY_TYPES, isClusterPolicyResource, type ClusterPolicyResource } from '../k8s/cluster-policy-api.ts';
import {
  CORE_RESOURCES, WATCHED_RESOURCES, resourceKind, watchCluster, type ClusterEvent, type ClusterWatch, type WatchClusterOptions, type WatchedResource,
} from '../k8s/watch-cluster.ts';
import type { SourceProblem } from '../model/problems.ts';
import { changesBetween, type ClusterChange } from '../model/cluster-change.ts';
import { clusterPolicyKey, type ClusterObjects, type Node } from '../model/types.ts';
import type { ModelObject } from '../sources/normalize-object.ts';
import { assembleNodes, assembleNormalized, type LocatedObject } from '../sources/assemble-cluster.ts';
import type { ClusterSnapshot, ClusterSource, SourceRead, WatchedResourceStatus } from './cluster-source.ts';

export interface KubernetesSourceConfig {
  readonly kind: 'kubernetes';
  /** Absent: the pod's service account (in-cluster config). */
  readonly kubeconfig?: string;
  /** With kubeconfig: the context to use instead of its current one. */
  readonly context?: string;
}

/** The client config the flags name: a kubeconfig file (and context), or the pod's service account. Throws with what is wrong. */
export function agentKubeConfig(cfg: KubernetesSourceConfig): KubeConfig {
  if (cfg.kubeconfig !== undefined) return loadKubeconfig({ kubeconfig: cfg.kubeconfig, ...(cfg.context !== undefined && { context: cfg.context }) });
  const kc = new KubeConfig();
  kc.loadFromCluster();
  return kc;
}

export interface KubernetesSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** What /status and the logs show as the location (the server's URL by default). */
  readonly location?: string;
  readonly watch?: WatchClusterOptions;
  /** An object the API server gave that nftpol refuses (a policy that fails closed included); called once per version of it. */
  readonly onInvalid?: (problems: readonly SourceProblem[]) => void;
  /** Watch trouble (a failed list, watch or discovery, 410 Gone): retried by the watch layer, reported here. */
  readonly onTrouble?: (message: string) => void;
  /** A cluster-wide kind is now watched, or not (not served by the API server): said when it changes. */
  readonly onDiscovery?: (resource: ClusterPolicyResource, served: boolean, message: string) => void;
  /** Where the events come from (default: watchCluster on kubeConfig); the bench feeds its own. */
  readonly startWatch?: (onEvent: (e: ClusterEvent) => void) => ClusterWatch;
}

export class KubernetesSource implements ClusterSource {
  readonly kind = 'kubernetes' as const;
  readonly location: string;
  private readonly opts: KubernetesSourceOptions;
  private readonly objects = new Map<WatchedResource, Map<string, LocatedObject>>(WATCHED_RESOURCES.map((r) => [r, new Map()]));
  private readonly versions = new Map<WatchedResource, string>();
  private watch: ClusterWatch | undefined;
  private onChange: (() => void) | undefined;
  private isSynced = false;
  private last: { snapshot: ClusterSnapshot; warnings: readonly SourceProblem[] } | undefined;
  /** "resource\0key" of every object changed since the last read. */
  private readonly pending = new Set<string>();
  /** The nodes as the last read assembled them. */
  private nodes: readonly Node[] = [];
  /** What discovery said of each cluster-wide kind (absent: not yet). */
  private readonly served = new Map<ClusterPolicyResource, boolean>();
  /** Each resource's last failed request, until one works again. */
  private readonly problems = new Map<WatchedResource | 'discovery', string>();

  constructor(opts: KubernetesSourceOptions) {
    this.opts = opts;
    this.location = opts.location ?? opts.kubeConfig.getCurrentCluster()?.server ?? 'kubernetes';
  }

  get synced(): boolean {
    return this.isSynced;
  }

  get revision(): string | undefined {
    return this.last?.snapshot.revision;
  }

  /** Every resource it may read, and how each stands. */
  get resources(): readonly WatchedResourceStatus[] {
    return WATCHED_RESOURCES.map((resource): WatchedResourceStatus => {
      const served = isClusterPolicyResource(resource) ? this.served.get(resource) : true;
      const state = served === undefined ? 'discovering' : !served ? 'not served' : this.versions.has(resource) ? 'watching' : 'listing';
      const problem = this.problems.get(resource) ?? (state === 'discovering' ? this.problems.get('discovery') : undefined) ?? null;
      return { resource, ...resourceKind(resource), state, problem: state === 'not served' ? null : problem };
    });
  }

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    const onEvent = (e: ClusterEvent): void => this.onEvent(e);
    this.watch = this.opts.startWatch?.(onEvent) ?? watchCluster(this.opts.kubeConfig, onEvent, this.opts.watch);
  }

  async stop(): Promise<void> {
    this.onChange = undefined;
    await this.watch?.stop();
    this.watch = undefined;
  }

  async read(): Promise<SourceRead> {
    const revision = this.currentRevision();
    if (!this.isSynced) {
      const waiting = this.resources.filter((r) => r.state === 'listing' || r.state === 'discovering')
        .map((r) => (r.state === 'discovering' ? `discovery of ${r.resource}` : r.resource));
      return {
        kind: 'rejected', revision, snapshot: undefined,
        problems: [{ severity: 'error', file: this.location, message: `not synced yet: waiting for the first list of ${waiting.join(', ') || 'every resource'}` }],
      };
    }
    if (this.last?.snapshot.revision === revision) return { kind: 'state', ...this.last };
    const since = this.last?.snapshot.revision;
    const list: ClusterChange[] = [];
    let nodesTouched = this.last === undefined;
    for (const p of this.pending) {
      const [resource, key] = p.split('\0') as [WatchedResource, string];
      if (resource === 'nodes') nodesTouched = true;
      else list.push(changeOf(key, (this.objects.get(resource) as Map<string, LocatedObject>).get(key)?.object, resource));
    }
    this.pending.clear();
    let warnings = this.last?.warnings ?? [];
    if (nodesTouched) {
      // Errors of the node step (overlapping pod CIDRs) leave the one node's CIDR out, as render does: reported, never refusing the whole cluster.
      const problems: SourceProblem[] = [];
      const nodes = assembleNodes([...(this.objects.get('nodes') as Map<string, LocatedObject>).values()], problems);
      list.unshift(...changesBetween({ ...NO_OBJECTS, nodes: this.nodes }, { ...NO_OBJECTS, nodes }));
      this.nodes = nodes;
      warnings = problems;
    }
    const snapshot = lazySnapshot(revision, () => assembleNormalized(WATCHED_RESOURCES.flatMap((r) => [...(this.objects.get(r) as Map<string, LocatedObject>).values()])).objects);
    this.last = { snapshot, warnings };
    return { kind: 'state', snapshot, warnings, ...(since !== undefined && { changes: { since, list } }) };
  }

  private currentRevision(): string {
    // The four always; a cluster-wide kind once it was listed (a cluster without the CRDs keeps the four-part revision).
    return WATCHED_RESOURCES.filter((r) => (CORE_RESOURCES as readonly string[]).includes(r) || this.versions.has(r))
      .map((r) => `${r}=${this.versions.get(r) ?? ''}`).join(',');
  }

  private onEvent(e: ClusterEvent): void {
    switch (e.type) {
      case 'added':
      case 'modified':
      case 'deleted': {
        const held = this.objects.get(e.resource) as Map<string, LocatedObject>;
        this.pending.add(`${e.resource}\0${e.key}`);
        if (e.type === 'deleted') held.delete(e.key);
        else if (e.object !== undefined) held.set(e.key, { object: e.object, source: { file: CLUSTER_SOURCE, document: 0 } });
        if (e.type !== 'deleted' && e.problems.some((p) => p.severity === 'error')) {
          // A policy that fails closed is in the state (e.object is set); any other invalid object is not, and its last good version (if any) stays.
          this.opts.onInvalid?.(e.problems);
        }
        this.versions.set(e.resource, e.resourceVersion);
        this.problems.delete(e.resource);
        break;
      }
      case 'listed':
        this.versions.set(e.resource, e.resourceVersion);
        this.problems.delete(e.resource);
        break;
      case 'synced':
        this.isSynced = true;
        break;
      case 'discovery':
        this.served.set(e.resource, e.served);
        this.problems.delete('discovery');
        // A kind no longer served is listed afresh if it comes back.
        if (!e.served) this.problems.delete(e.resource);
        this.opts.onDiscovery?.(e.resource, e.served, e.message);
        // Its objects, if any, come and go as watch events: nothing changed yet.
        return;
      case 'expired':
        this.opts.onTrouble?.(`${e.resource}: ${e.message}; relisting (the table in force stays)`);
        return;
      case 'trouble':
        this.problems.set(e.resource, e.message);
        this.opts.onTrouble?.(`${e.resource}: ${e.message}; retrying in ${e.retryInMs} ms (the table in force stays)`);
        return;
      case 'bookmark':
        this.problems.delete(e.resource);
        return; // no object changed
    }
    if (this.isSynced) this.onChange?.();
  }
}

const NO_OBJECTS: ClusterObjects = { namespaces: [], pods: [], policies: [], nodes: [] };

/** A watched object's change (object undefined: deleted, or never valid). key: the watch's, namespace/name or name. */
function changeOf(key: string, object: ModelObject | undefined, resource: Exclude<WatchedResource, 'nodes'>): ClusterChange {
  switch (resource) {
    case 'pods': return { kind: 'pod', key, ...(object?.type === 'pod' && { pod: object.value }) };
    case 'namespaces': return { kind: 'namespace', name: key, ...(object?.type === 'namespace' && { namespace: object.value }) };
    case 'networkpolicies': return { kind: 'policy', key, ...(object?.type === 'policy' && { policy: object.value }) };
    default:
      // The model keys a cluster-wide policy by kind and name ("cnp/name"): names of different kinds may repeat.
      return {
        kind: 'clusterPolicy', key: clusterPolicyKey({ kind: CLUSTER_POLICY_TYPES[resource].kind, name: key }),
        ...(object?.type === 'clusterPolicy' && { clusterPolicy: object.value }),
      };
  }
}

/** A snapshot whose objects are assembled the first time they are read. */
function lazySnapshot(revision: string, assemble: () => ClusterObjects): ClusterSnapshot {
  let objects: ClusterObjects | undefined;
  return { revision, get objects() { return (objects ??= assemble()); } };
}
