// Named sets shared by what they select. Two policies with the same peer
// (say namespaceSelector team=shop) need the same addresses; one set serves
// both, so a node's table (and the nft command's cost, which grows with it)
// holds each distinct selection once, and a pod change updates one set.
// A set's name is a hash of what it selects, not of its elements: it stays
// stable while pods come and go, which incremental updates rely on.
//
// A set of pods is defined by what each pod contributes to it (a SetSource):
// its elements are the union of the contributions of the pods in its scope.
// The registry keeps each pod's contribution, so a change of one pod (or of
// one namespace's labels) updates the sets it touches and no other, and the
// first build and every update run the same contribute() (the agent's table
// after any series of changes equals a fresh build: test/compile).
import { createHash } from 'node:crypto';
import type { IPFamily } from '../model/addresses.ts';
import { participates, type ClusterState } from '../model/cluster-state.ts';
import type { Labels, LabelSelector, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import { selectorMatches } from '../selectors/label-selector.ts';
import type { AddressPort, NamedSet } from './ir.ts';

/** JSON with object keys sorted, so equal selections give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type SetKind = 'pods' | 'cidr' | 'port' | 'subj' | 'node';

/** "pods/<hash of the selection>/v4". */
export function setName(kind: SetKind, selection: unknown, family: IPFamily): string {
  const hash = createHash('sha256').update(canonicalJson(selection)).digest('hex').slice(0, 16);
  return `${kind}/${hash}/v${family}`;
}

export type SetElement = string | AddressPort;

export function elementKey(e: SetElement): string {
  return typeof e === 'string' ? e : `${e.address} ${e.protocol} ${e.port}`;
}

/**
 * Where a set's pods can be: one namespace, the namespaces a selector
 * matches, anywhere, or on one node (a cluster policy's subjects on the node
 * compiled for: reading the node's pods, not the cluster's; its contribute()
 * reads namespace labels, so a namespace's relabelling recomputes it).
 */
export type SetScope =
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'namespaces'; readonly selector: LabelSelector }
  | { readonly kind: 'all' }
  | { readonly kind: 'node'; readonly node: string };

/** A set whose elements come from pods: exact addresses, or address . protocol . port. */
export interface PodSetSource {
  readonly type: 'address' | 'address-port';
  readonly comment: string;
  readonly scope: SetScope;
  /** What one participating pod of the scope puts in the set (nothing: it is not selected). */
  contribute(pod: Pod): readonly SetElement[];
}

/** A set fixed by the policy alone (ipBlock prefixes). */
export interface FixedSetSource {
  readonly type: 'prefix';
  readonly comment: string;
  readonly elements: readonly string[];
}

/**
 * A set of addresses that are not pods' (nodes'), computed whole from the
 * state; computed again by refreshComputed() when what it reads changes.
 */
export interface ComputedSetSource {
  readonly type: 'computed';
  readonly comment: string;
  compute(): readonly string[];
}

export type SetSource = PodSetSource | FixedSetSource | ComputedSetSource;

interface Entry {
  readonly name: string;
  readonly family: IPFamily;
  readonly source: SetSource;
  /** Pod key -> its non-empty contribution. */
  readonly members: Map<string, readonly SetElement[]>;
  /** Element key -> [element, how many pods contribute it]. */
  readonly counts: Map<string, [SetElement, number]>;
  /** The set as the IR carries it; undefined after a change, until asked for again. */
  named: NamedSet | undefined;
  /** The last NamedSet made, and the elements added and removed since (by key). */
  last: NamedSet | undefined;
  readonly added: Map<string, SetElement>;
  readonly removed: Map<string, SetElement>;
  /** A computed set's elements, sorted. */
  computed?: readonly string[];
}

/**
 * A sorted element list with a few elements added and removed, kept sorted
 * (by elementKey, as a fresh sort orders them) without sorting it again: a
 * pod event in a set of thousands costs a copy and a few binary searches.
 */
function patchSorted(sorted: readonly SetElement[], added: ReadonlyMap<string, SetElement>, removed: ReadonlyMap<string, SetElement>): SetElement[] {
  const out = [...sorted];
  const find = (key: string): number => {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (elementKey(out[mid] as SetElement) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const key of removed.keys()) {
    const i = find(key);
    if (i < out.length && elementKey(out[i] as SetElement) === key) out.splice(i, 1);
  }
  for (const [key, el] of added) out.splice(find(key), 0, el);
  return out;
}

/** How a set's elements moved from one NamedSet of it to the next. */
export interface SetChange {
  readonly from: NamedSet;
  readonly add: readonly SetElement[];
  readonly delete: readonly SetElement[];
}

const changes = new WeakMap<NamedSet, SetChange>();

/**
 * The elements added to and removed from the set since the NamedSet before
 * it (undefined for a set built at once): the renderer patches what it made
 * of that one instead of reading the whole set again, so a pod event costs
 * its own elements, not the set's size.
 */
export function setChange(set: NamedSet): SetChange | undefined {
  return changes.get(set);
}

function scopeMatches(scope: SetScope, pod: Pod, labels: Labels): boolean {
  const namespace = pod.namespace;
  if (scope.kind === 'all') return true;
  if (scope.kind === 'node') return pod.nodeName === scope.node;
  if (scope.kind === 'namespace') return scope.namespace === namespace;
  return selectorMatches(scope.selector, labels);
}

export class SetRegistry {
  private readonly state: ClusterState;
  private readonly sets = new Map<string, Entry>();
  /** Reverse indexes: the sets a pod of a namespace may belong to. */
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly bySelector = new Set<string>();
  private readonly anywhere = new Set<string>();
  private readonly byNode = new Map<string, Set<string>>();
  /** Computed sets (nodes peers). */
  private readonly computed = new Set<string>();
  /** Pod key -> the sets it contributes to. */
  private readonly podSets = new Map<string, Set<string>>();
  private sortedNames: string[] | undefined;

  constructor(state: ClusterState) {
    this.state = state;
  }

  /** The set's name; `source` runs only the first time a selection is asked for, and its pods are read then. */
  name(kind: SetKind, selection: unknown, family: IPFamily, source: () => SetSource): string {
    const name = setName(kind, selection, family);
    if (!this.sets.has(name)) this.add(name, family, source());
    return name;
  }

  has(name: string): boolean {
    return this.sets.has(name);
  }

  /** Every set, sorted by name. */
  all(): NamedSet[] {
    this.sortedNames ??= [...this.sets.keys()].sort();
    return this.sortedNames.map((n) => this.named(n));
  }

  /** The set as the IR carries it (the same object until its elements change). */
  named(name: string): NamedSet {
    const e = this.sets.get(name);
    if (e === undefined) throw new Error(`SetRegistry: no set ${name}`);
    if (e.named !== undefined) return e.named;
    const { source } = e;
    const elements = source.type === 'prefix'
      ? source.elements
      : source.type === 'computed' ? e.computed ?? []
      : e.last !== undefined && e.added.size + e.removed.size <= e.last.elements.length / 8
        ? patchSorted(e.last.elements as readonly SetElement[], e.added, e.removed) as readonly string[] | readonly AddressPort[]
        : source.type === 'address'
          ? [...e.counts.keys()].sort()
          : [...e.counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, [el]]) => el as AddressPort);
    const named: NamedSet = { name, family: e.family, type: source.type === 'computed' ? 'address' : source.type, elements, comment: source.comment };
    // A computed set is compared whole (it keeps no added/removed): small, and rarely changed.
    if (e.last !== undefined && source.type !== 'computed') {
      changes.set(named, { from: e.last, add: [...e.added.values()], delete: [...e.removed.values()] });
      // Only the newest step is kept: each step holding the one before would keep every
      // version of the set alive for as long as the newest is.
      changes.delete(e.last);
    }
    e.added.clear();
    e.removed.clear();
    e.last = named;
    return (e.named = named);
  }

  delete(name: string): void {
    const e = this.sets.get(name);
    if (e === undefined) return;
    this.sets.delete(name);
    this.sortedNames = undefined;
    if (e.source.type === 'prefix') return;
    if (e.source.type === 'computed') return void this.computed.delete(name);
    const { scope } = e.source;
    if (scope.kind === 'namespace') this.byNamespace.get(scope.namespace)?.delete(name);
    else if (scope.kind === 'namespaces') this.bySelector.delete(name);
    else if (scope.kind === 'node') this.byNode.get(scope.node)?.delete(name);
    else this.anywhere.delete(name);
    for (const key of e.members.keys()) this.podSets.get(key)?.delete(name);
  }

  /**
   * A pod changed, appeared or went (pod undefined): its contribution to
   * every set it was in or may now be in is computed again. `pod` must be
   * the state's current object for the key. Returns the sets that changed.
   */
  updatePod(key: string, pod: Pod | undefined): string[] {
    const candidates = new Set(this.podSets.get(key));
    if (pod !== undefined && participates(pod)) {
      const labels = this.state.namespaceLabels(pod.namespace);
      for (const n of this.byNamespace.get(pod.namespace) ?? []) candidates.add(n);
      for (const n of this.anywhere) candidates.add(n);
      if (pod.nodeName !== undefined) for (const n of this.byNode.get(pod.nodeName) ?? []) candidates.add(n);
      for (const n of this.bySelector) {
        const src = (this.sets.get(n) as Entry).source as PodSetSource;
        if (scopeMatches(src.scope, pod, labels)) candidates.add(n);
      }
    }
    return [...candidates].filter((n) => this.recompute(this.sets.get(n) as Entry, key, pod));
  }

  /** What computed sets read changed (a node, a host-network pod): each is computed again; returns those whose elements changed. */
  refreshComputed(): string[] {
    const changed: string[] = [];
    for (const n of this.computed) {
      const e = this.sets.get(n) as Entry;
      const next = (e.source as ComputedSetSource).compute();
      const prev = e.computed ?? [];
      if (next.length === prev.length && next.every((x, i) => x === prev[i])) continue;
      e.computed = next;
      e.named = undefined;
      changed.push(n);
    }
    return changed;
  }

  /**
   * A namespace's labels changed: the selector-scoped sets whose match
   * flipped take or drop its pods, and the node-scoped sets (whose
   * contributions read namespace labels) recompute its pods on their node.
   */
  relabelNamespace(namespace: string, before: Labels, after: Labels): string[] {
    const changed: string[] = [];
    const pods = this.state.podsIn(namespace);
    for (const n of this.bySelector) {
      const e = this.sets.get(n) as Entry;
      const { scope } = e.source as PodSetSource;
      if (scope.kind !== 'namespaces' || selectorMatches(scope.selector, before) === selectorMatches(scope.selector, after)) continue;
      let any = false;
      for (const pod of pods) any = this.recompute(e, podKey(pod), pod) || any;
      if (any) changed.push(n);
    }
    for (const [node, names] of this.byNode) {
      const here = pods.filter((p) => p.nodeName === node);
      if (here.length === 0) continue;
      for (const n of names) {
        let any = false;
        for (const pod of here) any = this.recompute(this.sets.get(n) as Entry, podKey(pod), pod) || any;
        if (any) changed.push(n);
      }
    }
    return changed;
  }

  private add(name: string, family: IPFamily, source: SetSource): void {
    const e: Entry = { name, family, source, members: new Map(), counts: new Map(), named: undefined, last: undefined, added: new Map(), removed: new Map() };
    this.sets.set(name, e);
    this.sortedNames = undefined;
    if (source.type === 'prefix') return;
    if (source.type === 'computed') {
      this.computed.add(name);
      e.computed = source.compute();
      return;
    }
    const { scope } = source;
    if (scope.kind === 'namespace') {
      const s = this.byNamespace.get(scope.namespace) ?? new Set();
      s.add(name);
      this.byNamespace.set(scope.namespace, s);
      for (const pod of this.state.podsIn(scope.namespace)) this.recompute(e, podKey(pod), pod);
    } else if (scope.kind === 'node') {
      const s = this.byNode.get(scope.node) ?? new Set();
      s.add(name);
      this.byNode.set(scope.node, s);
      for (const pod of this.state.podsOn(scope.node)) this.recompute(e, podKey(pod), pod);
    } else if (scope.kind === 'namespaces') {
      this.bySelector.add(name);
      for (const ns of this.state.namespaceNames()) {
        if (!selectorMatches(scope.selector, this.state.namespaceLabels(ns))) continue;
        for (const pod of this.state.podsIn(ns)) this.recompute(e, podKey(pod), pod);
      }
    } else {
      this.anywhere.add(name);
      for (const pod of this.state.participatingPods()) this.recompute(e, podKey(pod), pod);
    }
  }

  /** Sets the pod's contribution to the set; true when the set's elements changed. */
  private recompute(e: Entry, key: string, pod: Pod | undefined): boolean {
    const src = e.source as PodSetSource;
    const inScope = pod !== undefined && participates(pod) && scopeMatches(src.scope, pod, this.state.namespaceLabels(pod.namespace));
    const next = inScope ? src.contribute(pod) : [];
    const prev = e.members.get(key) ?? [];
    if (prev.length === 0 && next.length === 0) return false;
    // Take the old contribution out and put the new one in; an element only
    // some pods contribute stays while one of them does.
    const existed = new Map<string, boolean>();
    for (const el of prev) {
      const k = elementKey(el);
      (e.counts.get(k) as [SetElement, number])[1]--;
      existed.set(k, true);
    }
    for (const el of next) {
      const k = elementKey(el);
      const c = e.counts.get(k);
      if (c !== undefined) {
        c[1]++;
        if (!existed.has(k)) existed.set(k, true);
      } else {
        e.counts.set(k, [el, 1]);
        existed.set(k, false);
      }
    }
    let changed = false;
    for (const [k, was] of existed) {
      const c = e.counts.get(k) as [SetElement, number];
      if (!was) {
        changed = true;
        if (e.removed.has(k)) e.removed.delete(k);
        else e.added.set(k, c[0]);
      } else if (c[1] === 0) {
        e.counts.delete(k);
        changed = true;
        if (e.added.has(k)) e.added.delete(k);
        else e.removed.set(k, c[0]);
      }
    }
    if (next.length > 0) {
      e.members.set(key, next);
      const s = this.podSets.get(key) ?? new Set();
      s.add(e.name);
      this.podSets.set(key, s);
    } else {
      e.members.delete(key);
      const s = this.podSets.get(key);
      s?.delete(e.name);
      if (s?.size === 0) this.podSets.delete(key);
    }
    if (changed) e.named = undefined;
    return changed;
  }
}
