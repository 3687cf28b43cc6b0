// Renders of every policies-examples scenario against test/nft/golden/*.nft, byte
// for byte. A difference is a change in what the kernel would enforce: review
// the golden diff like code, then `UPDATE_GOLDEN=1 npx vitest run test/nft/golden`
// rewrites the files (see README.md).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, goldenFiles, renderAllScenarios, scenarioNames } from './scenarios.ts';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const HINT = 'the render differs from its golden file: review the change, then `UPDATE_GOLDEN=1 npx vitest run test/nft/golden`';

const renders = await renderAllScenarios();

describe('golden nft scripts of policies-examples', () => {
  it('covers every scenario, with node-1 and node-2 at least', () => {
    const scenarios = scenarioNames();
    expect(scenarios.length).toBeGreaterThanOrEqual(13);
    for (const s of scenarios) {
      const nodes = renders.filter((r) => r.scenario === s).map((r) => r.node);
      expect(nodes, s).toEqual(expect.arrayContaining(['node-1', 'node-2']));
    }
  });

  it.each(renders.map((r) => [r.file, r] as const))('%s', (file, r) => {
    const at = path.join(GOLDEN_DIR, file);
    const golden = existsSync(at) ? readFileSync(at, 'utf8') : undefined;
    if (UPDATE) {
      if (golden !== r.script) {
        writeFileSync(at, r.script);
        console.warn(`[golden] ${golden === undefined ? 'wrote' : 'updated'} test/nft/golden/${file}`);
      }
      return;
    }
    expect(golden, `test/nft/golden/${file} is missing: run UPDATE_GOLDEN=1 npx vitest run test/nft/golden`).toBeDefined();
    expect(r.script, HINT).toBe(golden);
  });

  it('has no golden file that no render produces', () => {
    const expected = new Set(renders.map((r) => r.file));
    const stale = goldenFiles().filter((f) => !expected.has(f));
    if (UPDATE) {
      for (const f of stale) {
        rmSync(path.join(GOLDEN_DIR, f));
        console.warn(`[golden] removed test/nft/golden/${f}`);
      }
      return;
    }
    expect(stale, 'stale golden files: run UPDATE_GOLDEN=1 npx vitest run test/nft/golden').toEqual([]);
  });

  it('renders the same bytes twice', async () => {
    const again = await renderAllScenarios();
    expect(again.map((r) => r.script)).toEqual(renders.map((r) => r.script));
  });
});
