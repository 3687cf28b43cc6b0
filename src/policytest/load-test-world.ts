// A PolicyTest's cluster: its `resources` (files, folders, globs relative to
// the test file) read by the sources, plus its inline `objects`, normalized by
// the same code, with addresses assigned to pods that have none. Worlds are
// cached: tests naming the same resources (and no inline objects) share one
// ClusterState and one PolicyEngine, and each resource set is read once.
//
// Precedence: an inline object replaces any earlier object, from the
// resources or from `objects`, with the same kind, namespace and name.
// Duplicates among the resources themselves are the sources' business (they
// report them, as they do for every nftpol command reading those files).
//
// A test with steps has one world per state: the start, then each step's
// `apply` (same precedence as `objects`) and `delete` on top of the state
// before it. Deleting what that state does not hold is an error naming the
// step's field, as `kubectl delete` refuses a missing object.
import path from 'node:path';
import { assembleCluster } from '../sources/assemble-cluster.ts';
import { ClusterState } from '../model/cluster-state.ts';
import type { RawObject } from '../sources/normalize-object.ts';
import type { SourceProblem } from '../model/problems.ts';
import type { ValidationMode } from '../sources/schema-check.ts';
import { isRecord } from '../sources/raw.ts';
import type { ClusterObjects } from '../model/types.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { placeAndAddress } from '../sources/load-cluster.ts';
import { readManifests, type ManifestDocuments } from '../sources/manifest-files.ts';
import { CLUSTER_SCOPED_KINDS, POLICY_TEST_KIND, type ObjectRef, type PolicyTest } from './policy-test.ts';

export interface TestWorld {
  /** Identifies the world: its resource set, plus the test document when it has inline objects. */
  readonly key: string;
  readonly objects: ClusterObjects;
  readonly state: ClusterState;
  /** One engine per world: its isolation memo serves every case asked of it. */
  readonly engine: PolicyEngine;
  /**
   * The manifest documents the world was assembled from, as decoded: the resources, the
   * inline objects and each step's `apply` in order, minus what a step deleted (what a
   * folder of manifests for this state holds: the agent dataplane writes them out).
   */
  readonly documents: readonly RawObject[];
  /**
   * For a test with steps: which test (file#document) and which state (0 the start,
   * i + 1 after steps[i]). A dataplane moves from one state to the next in order.
   */
  readonly sequence?: { readonly key: string; readonly state: number };
}

export interface LoadedWorld {
  /** Built even when the sources found errors (objects with errors in their fail-closed form). */
  readonly world: TestWorld;
  /** Every problem the sources found (errors, warnings, debug notes). */
  readonly problems: readonly SourceProblem[];
}

/** kind/namespace/name of a decoded object, as written (undefined when it has no kind or name). */
function identity(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || !isRecord(value.metadata)) return undefined;
  const { name, namespace } = value.metadata;
  if (typeof name !== 'string' || name === '') return undefined;
  const ns = CLUSTER_SCOPED_KINDS.has(value.kind) ? '' : typeof namespace === 'string' && namespace !== '' ? namespace : 'default';
  return `${value.kind}/${ns}/${name}`;
}

/** Decoded inline objects (`objects` or a step's `apply`), located in the test file so problems name their lines. */
function inlineDocuments(test: PolicyTest, values: readonly unknown[], field: string): RawObject[] {
  return values.map((value, k) => {
    const at = `${field}[${k}]`;
    const line = test.lineOf(at);
    return {
      source: { file: test.file, document: test.document },
      value,
      ...(line !== undefined && { line }),
      locate: (f: string) => test.lineOf(f === '' ? at : `${at}.${f}`),
    };
  });
}

function refIdentity(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

function refLabel(ref: ObjectRef): string {
  return ref.namespace === undefined ? `${ref.kind} ${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** The documents of a test's state: 0 the start, i + 1 after steps[i]; with an error per delete of nothing. */
function stateDocuments(resources: readonly RawObject[], test: PolicyTest, state: number): { documents: RawObject[]; problems: SourceProblem[] } {
  let documents = mergeDocuments(resources, inlineDocuments(test, test.objects, 'objects'));
  const problems: SourceProblem[] = [];
  for (const step of test.steps.slice(0, state)) {
    documents = mergeDocuments(documents, inlineDocuments(test, step.apply, `steps[${step.index}].apply`));
    step.delete.forEach((ref, j) => {
      const id = refIdentity(ref);
      const kept = documents.filter((d) => identity(d.value) !== id);
      if (kept.length === documents.length) {
        const field = `steps[${step.index}].delete[${j}]`;
        const line = test.lineOf(field);
        problems.push({
          severity: 'error', file: test.file, document: test.document, ...(line !== undefined && { line }),
          kind: POLICY_TEST_KIND, name: test.name, field,
          message: `${refLabel(ref)} does not exist in the world before this step, so it cannot be deleted`,
        });
      }
      documents = kept;
    });
  }
  return { documents, problems };
}

/** Resources (in order) then inline objects; an inline object drops every earlier one of the same identity. */
export function mergeDocuments(resources: readonly RawObject[], inline: readonly RawObject[]): RawObject[] {
  const out: (RawObject | undefined)[] = [...resources];
  const at = new Map<string, number[]>();
  out.forEach((r, i) => {
    const id = r && identity(r.value);
    if (id !== undefined) at.set(id, [...(at.get(id) ?? []), i]);
  });
  for (const r of inline) {
    const id = identity(r.value);
    if (id !== undefined) {
      for (const i of at.get(id) ?? []) out[i] = undefined;
      at.set(id, [out.length]);
    }
    out.push(r);
  }
  return out.filter((r): r is RawObject => r !== undefined);
}

export interface WorldLoaderOptions {
  /** Directory that relative test-file paths start from. */
  readonly cwd: string;
  /** --validate for resources and inline objects alike (default strict). */
  readonly validate?: ValidationMode;
}

export class TestWorldLoader {
  private readonly cwd: string;
  private readonly validate: ValidationMode;
  private readonly resourceCache = new Map<string, Promise<ManifestDocuments>>();
  private readonly worldCache = new Map<string, Promise<LoadedWorld>>();

  constructor(opts: WorldLoaderOptions) {
    this.cwd = opts.cwd;
    this.validate = opts.validate ?? 'strict';
  }

  /** The resource paths of a test as the sources should read them: relative to the working directory. */
  resourcePaths(test: PolicyTest): string[] {
    const dir = path.dirname(test.file);
    return test.resources.map((r) => (path.isAbsolute(r) ? path.normalize(r) : path.join(dir, r)));
  }

  /**
   * The world a test runs in (`state` 0, its start) or is in after steps[state - 1];
   * the same promise for every test with the same world. A test with steps has worlds
   * of its own, so each of its states belongs to it alone.
   */
  worldFor(test: PolicyTest, state = 0): Promise<LoadedWorld> {
    const paths = this.resourcePaths(test);
    const resourceKey = JSON.stringify(paths);
    const own = test.objects.length > 0 || test.steps.length > 0;
    const key = !own ? resourceKey : test.steps.length === 0 ? `${resourceKey}#${test.file}#${test.document}` : `${resourceKey}#${test.file}#${test.document}#${state}`;
    let world = this.worldCache.get(key);
    if (!world) {
      world = this.build(key, resourceKey, paths, test, state);
      this.worldCache.set(key, world);
    }
    return world;
  }

  /** How many distinct worlds and resource sets were loaded so far. */
  get counts(): { worlds: number; resourceSets: number } {
    return { worlds: this.worldCache.size, resourceSets: this.resourceCache.size };
  }

  private resources(resourceKey: string, paths: readonly string[]): Promise<ManifestDocuments> {
    let read = this.resourceCache.get(resourceKey);
    if (!read) {
      read = paths.length === 0 ? Promise.resolve({ documents: [], problems: [] }) : readManifests(paths, { cwd: this.cwd });
      this.resourceCache.set(resourceKey, read);
    }
    return read;
  }

  private async build(key: string, resourceKey: string, paths: readonly string[], test: PolicyTest, state: number): Promise<LoadedWorld> {
    const read = await this.resources(resourceKey, paths);
    const { documents, problems } = stateDocuments(read.documents, test, state);
    const assembled = assembleCluster(documents, { validate: this.validate });
    // Placed before addresses are given, as in a cluster: a pod's address then
    // comes from its node's pod CIDR, and model and kernel see the same nodes.
    const objects = placeAndAddress(assembled.objects);
    const cluster = new ClusterState(objects);
    const sequence = test.steps.length > 0 ? { sequence: { key: `${test.file}#${test.document}`, state } } : {};
    return {
      world: { key, objects, state: cluster, engine: new PolicyEngine(cluster), documents, ...sequence },
      problems: [...read.problems, ...problems, ...assembled.problems],
    };
  }
}
