// The file source: a folder of manifests (what `nftpol render -f DIR` reads),
// watched with fs.watch plus a periodic rescan, because watches miss events
// (a folder replaced, an NFS mount, an overflowed queue). Each folder is
// watched by itself, not with `recursive`: Node's recursive watch on Linux
// follows files, and after the first atomic save (write, rename over) it
// hears nothing of later saves of the same file. The folders watched follow
// the tree at every read.
//
// A read is all or nothing. Any error in any file (a half-written YAML, a
// bad field, an unreadable file), an empty file (a writer that truncated and
// has not written yet), or a folder with no object at all refuses the whole
// read and keeps the last good state: a partial read could drop a policy and
// open traffic it denies. Writers should replace files atomically (write,
// then rename), as Kubernetes does for ConfigMap volumes: a truncated file
// that still parses cannot be told from an intended one.
//
// The revision is a digest of the files' names and contents, so the same
// folder always has the same revision, whatever the clock or the order of
// events. It is computed before parsing: a read of an unchanged folder (each
// rescan in steady state) costs reading and hashing the bytes, not parsing.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceProblem } from '../model/problems.ts';
import type { ClusterObjects } from '../model/types.ts';
import { loadManifests, placeAndAddress } from '../sources/load-cluster.ts';
import { expandManifestPaths } from '../sources/manifest-files.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { ClusterSnapshot, ClusterSource, SourceRead } from './cluster-source.ts';

export interface FileSourceOptions {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** 0: rely on fs events alone. */
  readonly rescanIntervalMs: number;
  readonly clock: Clock;
  /** Called when the watch fails (it is set up again at the next rescan). */
  readonly onWatchError?: (message: string) => void;
}

/**
 * The revision of a folder's manifests (`files`: absolute path to bytes, as the
 * source read them): the first 16 hex digits of SHA-256 over each file's path
 * relative to `dir`, its length and its bytes, in path order. Exported so whoever
 * writes the folder (`nftpol test --dataplane agent`) knows which revision
 * /status must show once the agent has applied it.
 */
export function folderRevision(dir: string, files: ReadonlyMap<string, Uint8Array>): string {
  const h = createHash('sha256');
  for (const file of [...files.keys()].sort()) {
    const b = files.get(file) as Uint8Array;
    h.update(`${path.relative(dir, file)}\0${b.length}\0`).update(b);
  }
  return h.digest('hex').slice(0, 16);
}

function isEmpty(o: ClusterObjects): boolean {
  return o.namespaces.length + o.pods.length + o.policies.length + o.nodes.length === 0;
}

export class FileSource implements ClusterSource {
  readonly kind = 'files' as const;
  readonly location: string;
  private readonly opts: FileSourceOptions;
  /** Folder -> its watch. */
  private readonly watchers = new Map<string, FSWatcher>();
  private rescan: TimerHandle | undefined;
  private onChange: (() => void) | undefined;
  private last: ClusterSnapshot | undefined;
  private lastWarnings: readonly SourceProblem[] = [];
  private lastRejected: { readonly kind: 'rejected'; readonly revision: string; readonly problems: readonly SourceProblem[] } | undefined;

  constructor(opts: FileSourceOptions) {
    this.opts = opts;
    this.location = opts.dir;
  }

  get synced(): boolean {
    return this.last !== undefined;
  }

  get revision(): string | undefined {
    return this.last?.revision;
  }

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    await this.watchFolders();
    if (this.opts.rescanIntervalMs > 0) {
      // Each rescan is a read, which also sets up again any watch that failed.
      this.rescan = this.opts.clock.setInterval(() => this.onChange?.(), this.opts.rescanIntervalMs);
    }
    onChange();
  }

  async stop(): Promise<void> {
    this.onChange = undefined;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.rescan !== undefined) this.opts.clock.clear(this.rescan);
    this.rescan = undefined;
  }

  async read(): Promise<SourceRead> {
    if (this.onChange !== undefined) await this.watchFolders();
    // First the bytes and their digest: an unchanged folder (every rescan in
    // steady state) is known without parsing it again.
    const bytes = await this.readFolder();
    const seen = this.digest(bytes);
    if (this.last?.revision === seen) return { kind: 'state', snapshot: this.last, warnings: this.lastWarnings };
    if (this.lastRejected?.revision === seen) return { ...this.lastRejected, snapshot: this.last };

    const served = new Map<string, Uint8Array>();
    // readManifests reads each file once, in sorted order, through this: the
    // revision covers exactly the bytes that were parsed (a file that appeared
    // since readFolder is read now, and counted).
    const readServed = async (file: string): Promise<Uint8Array> => {
      const b = bytes.get(file) ?? await readFile(file);
      served.set(file, b);
      return b;
    };
    const loaded = await loadManifests([this.opts.dir], { readFile: readServed });
    const revision = this.digest(served);
    const problems: SourceProblem[] = [
      ...loaded.problems,
      ...[...served].filter(([, b]) => b.length === 0).map(([file]): SourceProblem => ({
        severity: 'error', file,
        message: 'the file is empty (being written?): the agent waits for its content; delete the file to remove its objects',
      })),
    ];
    if (!problems.some((p) => p.severity === 'error') && isEmpty(loaded.objects)) {
      problems.push({ severity: 'error', file: this.opts.dir, message: 'no objects nftpol reads (Namespace, Pod, workload, NetworkPolicy, Node): refusing to enforce an empty cluster' });
    }
    if (problems.some((p) => p.severity === 'error')) {
      this.lastRejected = { kind: 'rejected', revision, problems };
      return { ...this.lastRejected, snapshot: this.last };
    }
    // Placement and addresses as `nftpol render` gives them (see compileForNode).
    this.last = { revision, objects: placeAndAddress(loaded.objects) };
    this.lastWarnings = problems;
    this.lastRejected = undefined;
    return { kind: 'state', snapshot: this.last, warnings: problems };
  }

  /** Every manifest file under the folder (absolute path to bytes), as readManifests would find them. */
  private async readFolder(): Promise<Map<string, Uint8Array>> {
    const { files } = await expandManifestPaths([this.opts.dir]);
    const out = new Map<string, Uint8Array>();
    for (const f of files) {
      const abs = path.resolve(f);
      const b = await readFile(abs).catch(() => undefined); // gone or unreadable: the full read reports it
      if (b !== undefined) out.set(abs, b);
    }
    return out;
  }

  private digest(files: ReadonlyMap<string, Uint8Array>): string {
    return folderRevision(this.opts.dir, files);
  }

  /** Watches the folder and every folder under it, and only those. */
  private async watchFolders(): Promise<void> {
    const dirs = new Set([this.opts.dir]);
    try {
      for (const e of await readdir(this.opts.dir, { recursive: true, withFileTypes: true })) {
        if (e.isDirectory()) dirs.add(path.join(e.parentPath, e.name));
      }
    } catch {
      // The folder is gone or unreadable: the read says so; its watch (if any) stays.
    }
    for (const [d, w] of this.watchers) {
      if (dirs.has(d)) continue;
      w.close();
      this.watchers.delete(d);
    }
    for (const d of dirs) if (!this.watchers.has(d)) this.watchOne(d);
  }

  private watchOne(dir: string): void {
    try {
      const w = watch(dir, { persistent: false }, () => this.onChange?.());
      w.on('error', (err) => {
        this.opts.onWatchError?.(`watching ${dir} failed (${err.message}); the periodic rescan goes on and sets the watch up again`);
        w.close();
        if (this.watchers.get(dir) === w) this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch (err) {
      this.opts.onWatchError?.(`cannot watch ${dir} (${(err as Error).message}); relying on the periodic rescan`);
    }
  }
}
