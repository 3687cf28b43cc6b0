// Another git revision's code beside this tree's, for benchmarks that measure
// before and after in one run (`--baseline REV`): `git archive REV <paths>`
// unpacked into a temporary folder with this tree's node_modules linked in
// (the baseline runs on the packages installed here), its modules imported
// from there. Nothing of the old code is kept in the tree.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = path.resolve(import.meta.dirname, '..');

export interface Revision {
  /** The short commit id, for tables. */
  readonly label: string;
  /** Imports a module of the revision by its path in the repository, e.g. "src/policy/engine.ts". */
  load(file: string): Promise<unknown>;
  /** Removes the exported files. */
  remove(): void;
}

function git(args: readonly string[]): Buffer {
  return execFileSync('git', args, { cwd: REPO, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Exports `paths` (and package.json, which makes its .ts files ES modules) of a revision. */
export function exportRevision(rev: string, paths: readonly string[]): Revision {
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).toString().trim();
  } catch {
    throw new Error(`--baseline ${rev}: not a commit of this repository`);
  }
  const label = commit.slice(0, 7);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nftpol-baseline-${label}-`));
  const tar = git(['archive', '--format=tar', commit, '--', 'package.json', ...paths]);
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  return {
    label,
    load: (file) => import(pathToFileURL(path.join(dir, file)).href),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
