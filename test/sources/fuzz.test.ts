// Fuzz: the example manifests (policies-examples/*/manifests), mutated the
// ways people and attackers mutate YAML (misspelled, dropped and duplicated
// keys, wrong types, hostile strings and keys, huge values), then loaded as
// text. Loading never throws; every error names the file, line and document,
// and the object's field or kind; a misspelled key or a wrong type is always
// an error at that field (so no command reads the object with a changed
// meaning). Sizes are bounded, so no run is slow.
//
// Fixed seed, a few hundred runs: NFTPOL_FUZZ_RUNS=<n> runs more, and
// NFTPOL_FUZZ_SEED=<seed> another sequence (fast-check prints the seed and
// path of a failure).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { assembleCluster } from '../../src/sources/assemble-cluster.ts';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import type { SourceProblem } from '../../src/model/problems.ts';
import {
  exampleDocs, fieldText, fuzzTarget, HOSTILE_STRINGS, misspell, pickTarget, renameAt, setAt, wrongValue,
  type FuzzDoc, type Misspelling, type Path,
} from './fuzz-mutations.ts';
import { SCHEMA_TYPES as K8S_TYPES } from '../../src/sources/schema-check.ts';

const RUNS = Number(process.env.NFTPOL_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.NFTPOL_FUZZ_SEED ?? 20261202);
const FILE = 'fuzzed.yaml';

const files = exampleDocs(new URL('../../policies-examples/', import.meta.url));

function load(text: string): SourceProblem[] {
  const parsed = parseManifestText(text, FILE);
  return [...parsed.problems, ...assembleCluster(parsed.documents).problems];
}

function render(docs: readonly unknown[]): string {
  return docs.map((v) => stringify(v, { lineWidth: 0 })).join('---\n');
}

/** What every load must give, whatever the input. */
function checkWellFormed(problems: readonly SourceProblem[]): void {
  for (const p of problems.filter((q) => q.severity === 'error')) {
    expect(p.file).toBe(FILE);
    expect(p.document).toBeTypeOf('number');
    expect(p.line).toBeTypeOf('number');
    // An object's error names its field or its kind; a YAML error has only its line.
    if (!/YAML|yaml|duplicate key|indent|mapping|quote/.test(p.message)) expect(p.field ?? p.kind).toBeDefined();
    expect(p.message.length, p.message.slice(0, 300)).toBeLessThan(1000);
  }
}

function errorAt(problems: readonly SourceProblem[], document: number, fields: readonly string[]): boolean {
  return problems.some((p) => p.severity === 'error' && p.document === document && p.field !== undefined && fields.includes(p.field));
}

function mutated(docs: readonly FuzzDoc[], index: number, value: unknown): string {
  return render(docs.map((d, i) => (i === index ? value : d.value)));
}

const params = { numRuns: RUNS, seed: SEED };

describe('fuzzed manifests', () => {
  it('start from examples that load without errors', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const problems = load(render(f.docs.map((d) => d.value)));
      expect(problems.filter((p) => p.severity === 'error'), f.file).toEqual([]);
    }
  });

  it('a misspelled key is an error at that key', () => {
    const how = fc.constantFrom<Misspelling>('swap', 'drop', 'double', 'case', 'insert');
    fc.assert(fc.property(fuzzTarget, how, fc.nat(), (t, h, at) => {
      const p = pickTarget(files, t);
      if (!p) return;
      const key = p.spot.path.at(-1);
      if (typeof key !== 'string') return;
      const wrong = misspell(key, h, at);
      const holderFields = K8S_TYPES[p.spot.parentType] ?? {};
      if (wrong === '' || Object.hasOwn(holderFields, wrong)) return;
      const problems = load(mutated(p.docs, p.index, renameAt(p.docs[p.index]?.value, p.spot.path, wrong)));
      checkWellFormed(problems);
      const renamed: Path = [...p.spot.path.slice(0, -1), wrong];
      expect(errorAt(problems, p.index, [fieldText(renamed), fieldText(p.spot.path)]), `${fieldText(renamed)} in ${JSON.stringify(problems)}`).toBe(true);
    }), params);
  });

  it('a value of the wrong type is an error at that field', () => {
    fc.assert(fc.property(fuzzTarget, (t) => {
      const p = pickTarget(files, t);
      if (!p) return;
      const problems = load(mutated(p.docs, p.index, setAt(p.docs[p.index]?.value, p.spot.path, wrongValue(p.spot.type))));
      checkWellFormed(problems);
      expect(errorAt(problems, p.index, [fieldText(p.spot.path)]), `${fieldText(p.spot.path)} in ${JSON.stringify(problems)}`).toBe(true);
    }), params);
  });

  it('a dropped key loads or fails with well-formed errors', () => {
    fc.assert(fc.property(fuzzTarget, (t) => {
      const p = pickTarget(files, t);
      if (!p) return;
      checkWellFormed(load(mutated(p.docs, p.index, setAt(p.docs[p.index]?.value, p.spot.path, undefined))));
    }), params);
  });

  it('a duplicated key is an error of the YAML reader at its line', () => {
    fc.assert(fc.property(fc.nat(), fc.nat(), (fi, li) => {
      const f = files[fi % files.length];
      if (!f) return;
      const lines = render(f.docs.map((d) => d.value)).split('\n');
      const keyLines = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^\s*[A-Za-z][\w./-]*:( |$)/.test(l));
      const chosen = keyLines[li % Math.max(1, keyLines.length)];
      if (!chosen) return;
      const text = [...lines.slice(0, chosen.i + 1), chosen.l, ...lines.slice(chosen.i + 1)].join('\n');
      const problems = load(text);
      checkWellFormed(problems);
      expect(problems.some((p) => p.severity === 'error' && p.line === chosen.i + 2 && /duplicate key/.test(p.message)), JSON.stringify(problems)).toBe(true);
    }), params);
  });

  it('hostile strings in fields, and as keys, load or fail with well-formed errors; a hostile key is an unknown field', () => {
    const hostile = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));
    fc.assert(fc.property(fuzzTarget, hostile, fc.boolean(), (t, s, asKey) => {
      const p = pickTarget(files, t);
      if (!p) return;
      const value = p.docs[p.index]?.value;
      if (!asKey) {
        checkWellFormed(load(mutated(p.docs, p.index, setAt(value, p.spot.path, p.spot.type === 'string' ? s : { [s]: s }))));
        return;
      }
      const holder = p.spot.path.slice(0, -1);
      if (s === '' || Object.hasOwn(K8S_TYPES[p.spot.parentType] ?? {}, s) || s === '<<') return;
      const problems = load(mutated(p.docs, p.index, setAt(value, [...holder, s], 'x')));
      checkWellFormed(problems);
      expect(errorAt(problems, p.index, [fieldText([...holder, s])]), `${JSON.stringify(s)} in ${JSON.stringify(problems)}`).toBe(true);
    }), params);
  });

  it('huge values (long strings, long lists) load or fail with short errors', () => {
    fc.assert(fc.property(fuzzTarget, fc.integer({ min: 1_000, max: 50_000 }), (t, n) => {
      const p = pickTarget(files, t);
      if (!p) return;
      const value = p.docs[p.index]?.value;
      const current = p.spot.path.reduce<unknown>((v, s) => (v as Record<string | number, unknown>)[s], value);
      const huge = Array.isArray(current) && current.length > 0 ? Array.from({ length: Math.min(n, 2_000) }, () => current[0]) : 'a'.repeat(n);
      checkWellFormed(load(mutated(p.docs, p.index, setAt(value, p.spot.path, huge))));
    }), { ...params, numRuns: Math.max(1, Math.floor(RUNS / 10)) });
  });
});
