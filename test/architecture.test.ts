// The pipeline in the folders: src/README.md lists the stages in order, and a
// file may import only from its own stage or one listed before it. This reads
// every import under src/ and fails on one that points to a later stage, on a
// folder that README does not list, and on a listed folder that does not exist.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

function stagesInReadme(): string[] {
  const text = fs.readFileSync(path.join(SRC, 'README.md'), 'utf8');
  return [...text.matchAll(/^- `([a-z0-9-]+)\/`/gm)].map((m) => m[1] as string);
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative import specifiers of a file: static, type-only, re-exports and dynamic. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
}

function stageOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0] as string;
}

describe('src/ layout', () => {
  const stages = stagesInReadme();
  const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

  it('src/README.md lists every folder of src/, and only those', () => {
    expect(stages.length).toBeGreaterThan(5);
    expect([...stages].sort()).toEqual([...folders].sort());
  });

  it('no file imports from a stage listed after its own', () => {
    const rank = new Map(stages.map((s, i) => [s, i]));
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const own = stageOf(file);
      for (const spec of importsOf(file)) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(SRC + path.sep)) {
          violations.push(`${path.relative(SRC, file)} imports ${spec}, outside src/`);
          continue;
        }
        const to = stageOf(target);
        if ((rank.get(to) ?? Infinity) > (rank.get(own) ?? -1)) {
          violations.push(`${path.relative(SRC, file)} (${own}) imports ${path.relative(SRC, target)} (${to})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
