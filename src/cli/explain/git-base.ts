// diff --git-base REV: the -f paths as they were at another git revision of
// the repository they live in. Each path's files at REV (`git ls-tree`, then
// `git show REV:file`) are written into a scratch folder laid out as the
// repository, and the path is rewritten to point there, so folders and
// globs expand there exactly as they do in the working tree. Only files the
// manifest reader reads (.yaml, .yml, .json) are copied, except a path that
// names one file, which is copied whatever its name.
import { mkdir, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { isDynamicPattern } from 'tinyglobby';
import { UsageError } from '../io.ts';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** The old side's paths, materialized; remove() deletes the scratch folder. */
export interface RevisionPaths {
  readonly paths: readonly string[];
  /** Text (a problem printed about a file) with the scratch folder's paths written as git writes them: REV:path/in/repository. */
  readonly asRevision: (text: string) => string;
  readonly remove: () => Promise<void>;
}

async function git(cwd: string, args: readonly string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const r = await execa('git', args, { cwd, reject: false, stripFinalNewline: true, env: { GIT_TERMINAL_PROMPT: '0' } });
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { ok: r.exitCode === 0 && r.failed !== true, stdout: text(r.stdout), stderr: text(r.stderr) };
}

async function gitBytes(cwd: string, args: readonly string[]): Promise<Uint8Array> {
  const r = await execa('git', args, { cwd, encoding: 'buffer', reject: false });
  if (r.exitCode !== 0) throw new UsageError(`git ${args.join(' ')} failed: ${Buffer.from(r.stderr).toString('utf8').trim()}`);
  return r.stdout;
}

/** The part of a path before its first glob segment (the whole path when it has none). */
function staticPrefix(p: string): string {
  const segments = p.split(path.sep);
  const i = segments.findIndex((s) => isDynamicPattern(s));
  return i < 0 ? p : segments.slice(0, i).join(path.sep) || path.sep;
}

/** The nearest ancestor of `p` (or `p` itself) that exists; `p` may be a glob or not exist yet. */
async function nearestExisting(p: string): Promise<{ existing: string; isDir: boolean }> {
  for (let dir = p; ; dir = path.dirname(dir)) {
    const s = await stat(dir).catch(() => undefined);
    if (s !== undefined || path.dirname(dir) === dir) return { existing: dir, isDir: s?.isDirectory() ?? true };
  }
}

async function repositoryOf(p: string): Promise<{ top: string; rel: string }> {
  const absolute = path.resolve(p);
  const { existing, isDir } = await nearestExisting(staticPrefix(absolute));
  // git reports the top folder through symlinks resolved: so is the path.
  const real = await realpath(existing);
  const cwd = isDir ? real : path.dirname(real);
  const r = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (!r.ok) throw new UsageError(`--git-base: ${p} is not in a git repository (${r.stderr || 'git rev-parse failed'})`);
  const top = await realpath(r.stdout);
  const rel = path.relative(top, path.join(real, path.relative(existing, absolute)));
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UsageError(`--git-base: ${p} is outside the repository at ${top}`);
  return { top, rel };
}

async function checkRevision(top: string, rev: string): Promise<string> {
  if (rev === '' || rev.startsWith('-')) throw new UsageError(`--git-base ${JSON.stringify(rev)}: not a revision`);
  const r = await git(top, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  if (!r.ok) throw new UsageError(`--git-base ${rev}: no such revision in the repository at ${top} (a shallow CI checkout may need git fetch of it first)`);
  return r.stdout;
}

/** The files at `commit` under `rel` (a file or folder, relative to the repository) that the reader would read. */
async function filesAt(top: string, commit: string, rel: string, exactFile: boolean): Promise<string[]> {
  const r = await git(top, ['ls-tree', '-r', '-z', '--name-only', commit, '--', rel === '' ? '.' : rel]);
  if (!r.ok) throw new UsageError(`--git-base: git ls-tree ${rel}: ${r.stderr}`);
  const names = r.stdout.split('\0').filter((n) => n !== '');
  return names.filter((n) => (exactFile && n === rel) || MANIFEST_FILE.test(n));
}

/**
 * Writes what `paths` (as given to -f) held at `rev` into a scratch folder and
 * returns the paths pointing there. Refuses stdin, paths outside a git
 * repository, an unknown revision, and paths with nothing at that revision.
 */
export async function pathsAtRevision(paths: readonly string[], rev: string): Promise<RevisionPaths> {
  if (paths.includes('-')) throw new UsageError('--git-base renders the -f paths at another revision: stdin (-f -) has no revision');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'policy-explain-git-base-'));
  const remove = (): Promise<void> => rm(scratch, { recursive: true, force: true });
  try {
    const out: string[] = [];
    const commits = new Map<string, string>();
    for (const p of paths) {
      const { top, rel } = await repositoryOf(p);
      const commit = commits.get(top) ?? (await checkRevision(top, rev));
      commits.set(top, commit);
      const prefix = staticPrefix(rel);
      const exactFile = prefix === rel;
      const files = await filesAt(top, commit, prefix === path.sep ? '' : prefix, exactFile);
      if (files.length === 0) throw new UsageError(`--git-base ${rev}: ${p} holds no manifests at that revision`);
      // One scratch tree per repository, so two paths of one repository share it.
      const root = path.join(scratch, String([...commits.keys()].indexOf(top)));
      for (const f of files) {
        const target = path.join(root, f);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, await gitBytes(top, ['show', `${commit}:${f}`]));
      }
      out.push(path.join(root, rel));
    }
    const roots = [...commits.keys()].map((_, i) => `${path.join(scratch, String(i))}${path.sep}`);
    const asRevision = (text: string): string => roots.reduce((t, root) => t.split(root).join(`${rev}:`), text);
    return { paths: out, asRevision, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
