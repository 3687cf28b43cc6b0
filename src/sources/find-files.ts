// The one recursive finder for files under a folder (manifests, PolicyTests),
// and the one wording of a file that cannot be read.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Folders never searched: dependencies, not the user's manifests or tests. */
const SKIPPED_DIRS = new Set(['node_modules']);

/**
 * Files under `root` whose name passes `wanted`, relative to it, in sorted
 * order. Hidden folders and node_modules are skipped; linked files are read,
 * linked folders are not followed (no cycles).
 */
export async function filesUnder(root: string, wanted: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = rel === '' ? e.name : path.join(rel, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !SKIPPED_DIRS.has(e.name)) await walk(child);
        continue;
      }
      const isFile = e.isFile() || (e.isSymbolicLink() && (await stat(path.join(root, child)).catch(() => undefined))?.isFile() === true);
      if (isFile && wanted(e.name)) out.push(child);
    }
  };
  await walk('');
  return out;
}

/** Why a file could not be read, in a few words. */
export function readErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOENT') return 'no such file';
  return err instanceof Error ? err.message : String(err);
}
