// policies-examples/README.md counts each scenario's cases; they must be
// what `nftpol test` runs (a count goes stale when a case is added).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/nftpol-program.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** "| [default-deny](default-deny/) | ... (8 cases) | ..." -> default-deny: 8 */
function readmeCounts(): Record<string, number> {
  const text = readFileSync(`${ROOT}policies-examples/README.md`, 'utf8');
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^\| \[([\w-]+)\]\(\1\/\) \|[^|]*\((\d+) cases\)/gm)) counts[m[1] ?? ''] = Number(m[2]);
  return counts;
}

async function runCounts(): Promise<Record<string, number>> {
  let stdout = '';
  const code = await main(['test', 'policies-examples', '-o', 'json'], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, stdin: '' }, { cwd: ROOT });
  expect(code).toBe(0);
  const counts: Record<string, number> = {};
  for (const r of (JSON.parse(stdout) as { results: { file: string }[] }).results) {
    const scenario = r.file.split('/')[1] ?? '';
    counts[scenario] = (counts[scenario] ?? 0) + 1;
  }
  return counts;
}

describe('policies-examples/README.md', () => {
  it('counts as many cases per scenario as nftpol test runs, for every scenario', async () => {
    expect(readmeCounts()).toEqual(await runCounts());
  });
});
