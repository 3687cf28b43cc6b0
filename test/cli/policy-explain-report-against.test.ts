// policy-explain report --against NEW and --git-base REV: the new side's
// page with the pairs diff finds changed marked (newly allowed apart from
// removed), listed newly allowed first, and the workloads that appeared or
// disappeared; the two sides read as diff reads them, and refused as diff
// refuses them.
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedChange, EncodedChangeKind } from '../../src/cli/format/report-encode.ts';
import { explain, fixture } from './helpers.ts';

const BEFORE = fixture('diff/before');
const AFTER = fixture('diff/after');

interface Page {
  readonly ids: string[];
  readonly appeared: string[];
  /** "from -> to mark +added -removed", in the page's order. */
  readonly changes: string[];
}

function page(html: string): Page {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  if (m?.[1] === undefined) throw new Error('no embedded data');
  const data = JSON.parse(m[1]) as { endpoints: { id: string }[]; appeared: number[]; strings: string[]; changes: EncodedChange[]; changeKinds: EncodedChangeKind[] };
  const ids = data.endpoints.map((e) => e.id);
  const s = (i: number): string => data.strings[i] ?? '?';
  return {
    ids,
    appeared: data.appeared.map((i) => ids[i] ?? '?'),
    changes: data.changes.map(([from, to, k]) => {
      const [, , added = -1, removed = -1, mark = '?'] = data.changeKinds[k] ?? [];
      return `${ids[from] ?? '?'} -> ${ids[to] ?? '?'} ${mark} +${s(added)} -${s(removed)}`;
    }),
  };
}

/** The change list's rows as text: mark, from, to, added, removed, before, after. */
function listRows(html: string): string[] {
  return [...html.matchAll(/<tr data-from="\d+" data-to="\d+">(.*?)<\/tr>/g)].map((r) => [...(r[1] ?? '').matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]).join(' | '));
}

let repo = '';
const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });

beforeAll(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'report-git-base-'));
  await git('init', '-q', '-b', 'main');
  await mkdir(path.join(repo, 'deploy'));
  await cp(path.join(BEFORE, 'shop.yaml'), path.join(repo, 'deploy/shop.yaml'));
  await git('add', '.');
  await git('commit', '-q', '-m', 'before');
  await cp(path.join(AFTER, 'shop.yaml'), path.join(repo, 'deploy/shop.yaml'));
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

const EXPECTED = [
  'monitoring/prometheus -> shop/db add +TCP 9187 -none',
  'shop/api -> shop/db add +TCP 9187 -none',
  'shop/web -> shop/api add +TCP 8081 -none',
  'shop/web -> shop/db add +TCP 9187 -none',
];

describe('policy-explain report --against', () => {
  it('shows the new side with the changed pairs marked, as diff lists them, and the workload that appeared', async () => {
    const r = await explain(['-f', BEFORE, 'report', '--against', AFTER]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = page(r.stdout);
    expect(p.ids).toContain('shop/worker');
    expect(p.changes).toEqual(EXPECTED);
    expect(p.appeared).toEqual(['shop/worker']);
    expect(r.stdout).toContain(`<h2>Changes from ${BEFORE} to ${AFTER}</h2>`);
    expect(r.stdout).toContain('<strong>4 pairs changed</strong>: 4 with something newly allowed (+, or ± with removals too), 0 with removals only (−).');
    expect(r.stdout).toContain('<p id="appeared">Pods and workloads that appeared: shop/worker.</p>');
    expect(r.stdout).toContain('<p id="disappeared">Pods and workloads that disappeared: none.</p>');
    expect(listRows(r.stdout)[0]).toBe('+ | monitoring/prometheus | shop/db | TCP 9187 | none | none | TCP 9187');
    expect(r.stdout).toContain('<input type="checkbox" id="only-changed">');
    // The diff command says the same.
    const diff = await explain(['-f', BEFORE, 'diff', '--against', AFTER, '-o', 'json']);
    const json = JSON.parse(diff.stdout) as { changes: { from: string; to: string; added: string; removed: string }[] };
    expect(json.changes.map((c) => `${c.from} -> ${c.to} add +${c.added} -${c.removed}`)).toEqual(EXPECTED);
  });

  it('marks removals apart from new allows, and lists the workload that disappeared', async () => {
    const r = await explain(['-f', AFTER, 'report', '--against', BEFORE]);
    expect(r.code).toBe(0);
    const p = page(r.stdout);
    expect(p.changes).toEqual(EXPECTED.map((c) => c.replace(/ add \+(.*) -none$/, ' del +none -$1')));
    expect(p.ids).not.toContain('shop/worker');
    expect(r.stdout).toContain('<p id="disappeared">Pods and workloads that disappeared: shop/worker.</p>');
    expect(r.stdout).toContain('0 with something newly allowed (+, or ± with removals too), 4 with removals only (−).');
    expect(listRows(r.stdout)[0]).toBe('− | monitoring/prometheus | shop/db | none | TCP 9187 | TCP 9187 | none');
  });

  it('reads the new side from stdin, as diff does; no change is said so', async () => {
    const shop = await readFile(path.join(AFTER, 'shop.yaml'), 'utf8');
    const r = await explain(['-f', AFTER, 'report', '--against', '-'], shop);
    expect(r.code).toBe(0);
    expect(page(r.stdout).changes).toEqual([]);
    expect(r.stdout).toContain(`<h2>Changes from ${AFTER} to stdin</h2>`);
    expect(r.stdout).toContain('<p id="change-count">No pair changed its allowed connections.</p>');
  });

  it('compares -f at --git-base REV with -f now', async () => {
    const deploy = path.join(repo, 'deploy');
    const r = await explain(['-f', deploy, 'report', '--git-base', 'HEAD']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(page(r.stdout).changes).toEqual(EXPECTED);
    expect(r.stdout).toContain(`<h2>Changes from ${deploy} at HEAD to ${deploy} (working tree)</h2>`);
  });

  it('refuses what diff refuses: stdin on both sides, --against with --git-base, no -f', async () => {
    const both = await explain(['-f', '-', 'report', '--against', '-'], '');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('-f - and --against -: stdin can be only one side of the diff');
    const two = await explain(['-f', BEFORE, 'report', '--against', AFTER, '--git-base', 'HEAD']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('--git-base and --against both name the other side');
    const none = await explain(['report', '--against', AFTER]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('report --against compares manifests: give the old side with -f');
  });

  it('exits 2 when either side has errors, as diff does', async () => {
    const broken = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labelz: {x: y}}\n';
    const r = await explain(['-f', BEFORE, 'report', '--against', '-'], broken);
    expect(r.code).toBe(2);
  });
});
