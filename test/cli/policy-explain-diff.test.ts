// policy-explain diff: exit codes, --fail-on, the JSON shape, stdin on one
// side, and its refusals. The sides are the demo scenario's steps
// (demo/scenario): 00 -> 01 adds a default deny in shop (only denials),
// 01 -> 02 allows monitoring in (only new allows).
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explain, fixture } from './helpers.ts';

const step = (name: string): string => fileURLToPath(new URL(`../../demo/scenario/${name}`, import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const START = step('00-start');
const DENY = step('01-default-deny');
const ALLOW = step('02-allow-namespace');

/** A step's manifests as one stream, as `helm template` prints them. */
const asStdin = (dir: string): string =>
  readdirSync(dir).sort().map((f) => readFileSync(`${dir}/${f}`, 'utf8')).join('\n---\n');

describe('policy-explain diff', () => {
  it('writes the documented JSON: changes with from, to, before, after, added, removed; and a summary', async () => {
    const r = await explain(['-f', DENY, 'diff', '--against', ALLOW, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['changes', 'summary']);
    expect(out.changes).toEqual([
      { from: 'monitoring/prometheus', to: 'shop/api', before: 'none', after: 'all', added: 'all', removed: 'none' },
      { from: 'monitoring/prometheus', to: 'shop/web', before: 'none', after: 'all', added: 'all', removed: 'none' },
    ]);
    expect(out.summary).toEqual({ changedPairs: 2, pairsWithAdded: 2, pairsWithRemoved: 0, appeared: [], disappeared: [], workloadsBefore: 5, workloadsAfter: 5 });
  });

  it('--fail-on new-allows exits 1 only when something becomes newly allowed', async () => {
    expect((await explain(['-f', DENY, 'diff', '--against', ALLOW, '--fail-on', 'new-allows'])).code).toBe(1);
    // Only denials: no new exposure.
    expect((await explain(['-f', START, 'diff', '--against', DENY, '--fail-on', 'new-allows'])).code).toBe(0);
    // The reverse of a tightening is a loosening.
    expect((await explain(['-f', DENY, 'diff', '--against', START, '--fail-on', 'new-allows'])).code).toBe(1);
  });

  it('--fail-on any-change exits 1 on any change, 0 on none', async () => {
    expect((await explain(['-f', START, 'diff', '--against', DENY, '--fail-on', 'any-change'])).code).toBe(1);
    const same = await explain(['-f', START, 'diff', '--against', START, '--fail-on', 'any-change']);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('no change: every pair may connect exactly as before\n');
  });

  it('reads either side from stdin, but not both', async () => {
    const r = await explain(['-f', DENY, 'diff', '--against', '-', '-o', 'json'], asStdin(ALLOW));
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { summary: { pairsWithAdded: number } }).summary.pairsWithAdded).toBe(2);
    const old = await explain(['-f', '-', 'diff', '--against', ALLOW, '-o', 'json'], asStdin(DENY));
    expect(old.stdout).toBe(r.stdout);
    const both = await explain(['-f', '-', 'diff', '--against', '-'], asStdin(DENY));
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('stdin can be only one side');
  });

  it('refuses without --against, without -f, an unknown --fail-on, and a format it cannot write', async () => {
    const noAgainst = await explain(['-f', DENY, 'diff']);
    expect(noAgainst.code).toBe(2);
    expect(noAgainst.stderr).toContain('--against');
    const noOld = await explain(['diff', '--against', DENY]);
    expect(noOld.code).toBe(2);
    expect(noOld.stderr).toContain('-f');
    expect((await explain(['-f', DENY, 'diff', '--against', ALLOW, '--fail-on', 'everything'])).code).toBe(2);
    expect((await explain(['-f', DENY, 'diff', '--against', ALLOW, '-o', 'dot'])).code).toBe(2);
  });

  it('writes text and markdown, newly allowed first', async () => {
    const text = await explain(['-f', DENY, 'diff', '--against', ALLOW]);
    expect(text.stdout).toContain('monitoring/prometheus -> shop/api\n  + allowed: all\n  before: none; after: all\n');
    const md = await explain(['-f', START, 'diff', '--against', ALLOW, '-o', 'markdown']);
    const rows = md.stdout.split('\n').filter((l) => l.startsWith('| `'));
    // monitoring keeps all to api and web: only the other pairs into shop changed, all of them denials.
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((l) => l.includes('| `all` | `none` |'))).toBe(true);
    expect(md.stdout).toContain('| From | To | Newly allowed | Newly denied | Before | After |');
  });

  it('narrows to -n and adds --ip addresses as ends, as the matrix does', async () => {
    const r = await explain(['-f', START, 'diff', '--against', DENY, '-n', 'shop', '--ip', '8.8.8.8', '-o', 'json']);
    const out = JSON.parse(r.stdout) as { changes: { from: string; to: string; removed: string }[]; summary: { workloadsBefore: number } };
    // shop's three workloads and the address; the default deny closes every way into shop, from the address too.
    expect(out.summary.workloadsBefore).toBe(4);
    expect(out.changes.filter((c) => c.from === 'ip:8.8.8.8').map((c) => `${c.to} -${c.removed}`)).toEqual(['shop/api -all', 'shop/db -all', 'shop/web -all']);
    expect(out.changes.every((c) => c.to.startsWith('shop/'))).toBe(true);
  });

  it('exits 2 on bad input on the new side', async () => {
    const r = await explain(['-f', DENY, 'diff', '--against', '/nonexistent/manifests']);
    expect(r.code).toBe(2);
  });
});

describe('policy-explain diff: the README example', () => {
  it('prints what README.md shows for test/cli/fixtures/diff', async () => {
    const r = await explain(['-f', fixture('diff/before'), 'diff', '--against', fixture('diff/after'), '--fail-on', 'new-allows']);
    expect(r.code).toBe(1);
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf('$ ./bin/policy-explain -f test/cli/fixtures/diff/before diff');
    expect(start).toBeGreaterThan(0);
    const shown = readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('  exit 1\n', start))
      .split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n');
    expect(shown).toBe(r.stdout);
  });
});
