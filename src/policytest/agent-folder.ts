// A test world as a folder of manifests, the way a user keeps one for the agent's files
// source: one file per object, named by kind, namespace and name, so a step that replaces
// an object rewrites its file and a delete removes it. Files are written atomically (a
// temporary name beside, then a rename, as Kubernetes does for ConfigMap volumes): the
// agent never reads half a file. The content is the object as decoded from the test
// (JSON, which the sources read as YAML).
//
// A world without Node objects and without pods naming a node is spread over the lab's
// default nodes; the folder then also holds those Nodes (names only), so every agent
// places its pods as the lab does (compile/compile-for-node.ts spreads pods over the nodes
// it knows, and an agent without Nodes would know only itself).
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { folderRevision } from '../agent/file-source.ts';
import { isRecord } from '../sources/raw.ts';
import { knownNodes } from '../sources/placement.ts';
import { CLUSTER_SCOPED_KINDS } from './policy-test.ts';
import { DEFAULT_NODES } from './kernel-layout.ts';
import type { TestWorld } from './load-test-world.ts';

/** File name (inside the folder) to content. */
export type FolderFiles = ReadonlyMap<string, Uint8Array>;

const SAFE = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/** A name part as it is when it is a plain Kubernetes name, else hex (never a path separator). */
function part(s: string): string {
  return SAFE.test(s) ? s : `x${Buffer.from(s, 'utf8').toString('hex')}`;
}

/** `Kind_namespace_name.json` (`Kind_name.json` for a Namespace or Node); undefined for a document without kind or name. */
function fileNameOf(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || value.kind === '' || !isRecord(value.metadata)) return undefined;
  const { name, namespace } = value.metadata;
  if (typeof name !== 'string' || name === '') return undefined;
  const ns = typeof namespace === 'string' && namespace !== '' ? namespace : 'default';
  return CLUSTER_SCOPED_KINDS.has(value.kind) ? `${part(value.kind)}_${part(name)}.json` : `${part(value.kind)}_${part(ns)}_${part(name)}.json`;
}

const encode = (value: unknown): Uint8Array => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');

/** The files of a world's folder. */
export function worldFiles(world: TestWorld): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const add = (name: string, content: Uint8Array): void => {
    // Two documents of one name cannot both be valid (the world would have failed to load),
    // but a name must never hide one: number the later one.
    let unique = name;
    for (let i = 2; files.has(unique); i++) unique = name.replace(/\.json$/, `-${i}.json`);
    files.set(unique, content);
  };
  world.documents.forEach((d, i) => add(fileNameOf(d.value) ?? `document-${String(i).padStart(4, '0')}.json`, encode(d.value)));
  if (knownNodes(world.objects).length === 0) {
    for (const node of DEFAULT_NODES) add(`Node_${node}.json`, encode({ apiVersion: 'v1', kind: 'Node', metadata: { name: node } }));
  }
  return files;
}

/** The revision the agent's files source reports for a folder holding exactly `files`. */
export function revisionOf(dir: string, files: FolderFiles): string {
  return folderRevision(dir, new Map([...files].map(([name, bytes]) => [path.join(dir, name), bytes])));
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** What changes from one folder to the next: files to write (new or changed) and to delete. */
export function folderChanges(from: FolderFiles, to: FolderFiles): { write: string[]; remove: string[] } {
  const write = [...to].filter(([name, bytes]) => {
    const old = from.get(name);
    return old === undefined || !same(old, bytes);
  }).map(([name]) => name);
  const remove = [...from.keys()].filter((name) => !to.has(name));
  return { write, remove };
}

/** Moves a folder holding `from` to hold `to`: each new or changed file written beside and renamed over, each gone one deleted. */
export async function moveFolder(dir: string, from: FolderFiles, to: FolderFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { write, remove } = folderChanges(from, to);
  for (const name of write) {
    // Hidden and not *.yaml/*.yml/*.json: the source never reads a temporary file.
    const temporary = path.join(dir, `.${name}.tmp`);
    await writeFile(temporary, to.get(name) as Uint8Array);
    await rename(temporary, path.join(dir, name));
  }
  for (const name of remove) await rm(path.join(dir, name), { force: true });
}
