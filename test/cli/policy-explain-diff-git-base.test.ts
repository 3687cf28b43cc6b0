// policy-explain diff --git-base REV: the -f paths at REV against the same
// paths now, on a throwaway git repository with two commits (the README's
// before and after fixtures); and its refusals.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, fixture } from './helpers.ts';

let repo = '';
const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });

beforeAll(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'diff-git-base-'));
  await git('init', '-q', '-b', 'main');
  await mkdir(path.join(repo, 'deploy'));
  await cp(fixture('diff/before/shop.yaml'), path.join(repo, 'deploy/shop.yaml'));
  await writeFile(path.join(repo, 'deploy/notes.txt'), 'not a manifest\n');
  // Invalid at the first commit (a misspelt field), fixed in the second.
  await mkdir(path.join(repo, 'broken'));
  await writeFile(path.join(repo, 'broken/ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labelz: {x: y}}\n');
  await git('add', '.');
  await git('commit', '-q', '-m', 'before');
  await cp(fixture('diff/after/shop.yaml'), path.join(repo, 'deploy/shop.yaml'));
  await writeFile(path.join(repo, 'broken/ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: y}}\n');
  await git('commit', '-q', '-am', 'after');
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

const changes = (stdout: string): string[] =>
  (JSON.parse(stdout) as { changes: { from: string; to: string; added: string }[] }).changes.map((c) => `${c.from} -> ${c.to} +${c.added}`);

describe('policy-explain diff --git-base', () => {
  it('compares a folder at REV with the folder now, as --against does', async () => {
    const r = await explain(['-f', path.join(repo, 'deploy'), 'diff', '--git-base', 'HEAD~1', '-o', 'json', '--fail-on', 'new-allows']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const against = await explain(['-f', fixture('diff/before'), 'diff', '--against', fixture('diff/after'), '-o', 'json']);
    expect(r.stdout).toBe(against.stdout);
    expect(changes(r.stdout)).toContain('shop/web -> shop/api +TCP 8081');
  });

  it('reads a file and a glob at REV too; the same revision as now is no change', async () => {
    for (const f of [path.join(repo, 'deploy/shop.yaml'), path.join(repo, 'deploy/*.yaml')]) {
      const r = await explain(['-f', f, 'diff', '--git-base', 'HEAD~1', '-o', 'json']);
      expect(r.code, r.stderr).toBe(0);
      expect(changes(r.stdout)).toHaveLength(4);
      expect((await explain(['-f', f, 'diff', '--git-base', 'HEAD', '--fail-on', 'any-change'])).code).toBe(0);
    }
  });

  it('refuses outside a git repository, an unknown revision, stdin, and --against with it', async () => {
    const lone = await mkdtemp(path.join(os.tmpdir(), 'diff-no-git-'));
    try {
      await writeFile(path.join(lone, 'a.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
      const r = await explain(['-f', lone, 'diff', '--git-base', 'HEAD']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is not in a git repository');
    } finally {
      await rm(lone, { recursive: true, force: true });
    }
    const unknown = await explain(['-f', path.join(repo, 'deploy'), 'diff', '--git-base', 'no-such-branch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no such revision');
    const option = await explain(['-f', path.join(repo, 'deploy'), 'diff', '--git-base', '--upload-pack=x']);
    expect(option.code).toBe(2);
    const stdin = await explain(['-f', '-', 'diff', '--git-base', 'HEAD'], 'kind: Namespace\n');
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('stdin');
    const both = await explain(['-f', path.join(repo, 'deploy'), 'diff', '--git-base', 'HEAD', '--against', fixture('diff/after')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give one');
  });

  it('names a file with problems at REV as git does (REV:path), not by its scratch copy', async () => {
    const r = await explain(['-f', path.join(repo, 'broken'), 'diff', '--git-base', 'HEAD~1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('HEAD~1:broken/ns.yaml');
    expect(r.stderr).not.toContain('policy-explain-git-base-');
  });

  it('says so when the paths hold no manifests at REV', async () => {
    const r = await explain(['-f', path.join(repo, 'deploy/notes.txt'), 'diff', '--git-base', 'HEAD']);
    // A path naming one file is read whatever its name; notes.txt is no manifest: no objects.
    expect(r.code).toBe(2);
    const missing = await explain(['-f', path.join(repo, 'charts'), 'diff', '--git-base', 'HEAD']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('holds no manifests at that revision');
  });
});
