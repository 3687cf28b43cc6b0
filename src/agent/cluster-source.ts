// Where the agent's cluster comes from. The first source reads a folder of
// manifests; a later one will list and watch the API server. The agent sees
// only this seam: change notifications (cheap, many per burst: it coalesces
// them) and reads of the current state, with a revision that names it.
import type { SourceProblem } from '../model/problems.ts';
import type { ClusterChange } from '../model/cluster-change.ts';
import type { ClusterObjects } from '../model/types.ts';

export type SourceKind = 'files' | 'kubernetes';

/** A complete, valid cluster state and the revision that names it. */
export interface ClusterSnapshot {
  readonly revision: string;
  /** All of it (a source may build it only when it is read: the agent reads it to start afresh, not per change). */
  readonly objects: ClusterObjects;
}

/**
 * What changed from one revision to the next, object by object: a source
 * that knows it (the API server's watch) says so, and the agent applies just
 * that instead of comparing whole states.
 */
export interface SourceChanges {
  /** The revision these changes start from (the previous read's). */
  readonly since: string;
  readonly list: readonly ClusterChange[];
}

/**
 * One read of the source: the state it now holds, or a refusal. A refused
 * read changes nothing: `snapshot` is still the last good state (undefined
 * before the first one).
 */
export type SourceRead =
  | { readonly kind: 'state'; readonly snapshot: ClusterSnapshot; readonly warnings: readonly SourceProblem[]; readonly changes?: SourceChanges }
  | { readonly kind: 'rejected'; readonly revision: string; readonly problems: readonly SourceProblem[]; readonly snapshot: ClusterSnapshot | undefined };

/** One resource a watching source reads, as /status shows it. */
export interface WatchedResourceStatus {
  /** The API's plural: "pods", "clusternetworkpolicies". */
  readonly resource: string;
  readonly kind: string;
  readonly apiVersion: string;
  /**
   * discovering: not known yet whether the API server serves it (cluster-wide
   * kinds); not served: no CRD serves it, nothing to watch; listing: its first
   * list is not in yet; watching: listed, and watched.
   */
  readonly state: 'discovering' | 'not served' | 'listing' | 'watching';
  /** Its last failed request (a 403 names the missing permission), until one works again. */
  readonly problem: string | null;
}

export interface ClusterSource {
  readonly kind: SourceKind;
  /** What it reads, for logs and /status (a folder; an API server). */
  readonly location: string;
  /** Starts watching; `onChange` is called whenever the state may have changed (and once at start). */
  start(onChange: () => void): Promise<void>;
  /** Reads the current state (files: reads the folder; kubernetes: the informers' caches). */
  read(): Promise<SourceRead>;
  /** True once a complete, valid state has been read: nothing is written to the kernel before. */
  readonly synced: boolean;
  /** Revision of the last good state; undefined before it. */
  readonly revision: string | undefined;
  /** The resources it reads and how each stands (a source that watches the API server). */
  readonly resources?: readonly WatchedResourceStatus[];
  stop(): Promise<void>;
}
