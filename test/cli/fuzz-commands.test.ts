// Fuzz, end to end: the example manifests mutated (misspelled keys, wrong
// types, hostile strings, huge values, dropped keys) and fed through every
// command that reads manifests: policy-explain lint, matrix, pod and flow,
// and nftpol render. Each run either answers (exit 0 or 1) or refuses the
// input (exit 2) with an error line that names the file and line, and for an
// object's error its kind and field; never an unexpected failure, never a
// hang (vitest's timeout). A misspelled key or a wrong type is always
// refused (exit 2): it must never be read as a different policy.
//
// Fixed seed, few runs (every run starts five commands): NFTPOL_FUZZ_RUNS and
// NFTPOL_FUZZ_SEED widen it, as in test/sources/fuzz.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main as nftpolMain } from '../../src/cli/nftpol-program.ts';
// Kubernetes' schema types and the policy.networking.k8s.io CRDs': a misspelling
// that happens to be a field of the same mapping (or the key itself) is no mutation.
import { SCHEMA_TYPES as K8S_TYPES } from '../../src/sources/schema-check.ts';
import {
  exampleDocs, fuzzTarget, HOSTILE_STRINGS, misspell, pickTarget, renameAt, setAt, wrongValue, type Misspelling,
} from '../sources/fuzz-mutations.ts';
import { explain, type RunResult } from './helpers.ts';

const RUNS = Math.max(1, Math.floor(Number(process.env.NFTPOL_FUZZ_RUNS ?? 200) / 8));
const SEED = Number(process.env.NFTPOL_FUZZ_SEED ?? 20261202);

const files = exampleDocs(new URL('../../policies-examples/', import.meta.url));

function render(docs: readonly unknown[]): string {
  return docs.map((v) => stringify(v, { lineWidth: 0 })).join('---\n');
}

async function nftpolRender(stdin: string): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await nftpolMain(['render', '-f', '-', '--node', 'node-1'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
  });
  return { code, stdout, stderr };
}

/** Pod keys of the input as the engine names them ("namespace/name"), for pod and flow. */
function someEndpoints(docs: readonly unknown[]): string[] {
  return docs.flatMap((d) => {
    const meta = (d as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
    const kind = (d as { kind?: unknown } | null)?.kind;
    return kind === 'Pod' || kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet'
      ? [`${typeof meta?.namespace === 'string' ? meta.namespace : 'default'}/${String(meta?.name)}`]
      : [];
  });
}

/** Every command on one input; each result checked by `check`. */
async function everyCommand(text: string, endpoints: readonly string[]): Promise<{ name: string; r: RunResult }[]> {
  const [a, b] = endpoints;
  const runs: { name: string; run: () => Promise<RunResult> }[] = [
    { name: 'lint', run: () => explain(['-f', '-', 'lint'], text) },
    { name: 'matrix', run: () => explain(['-f', '-', 'matrix'], text) },
    { name: 'exposure', run: () => explain(['-f', '-', 'exposure'], text) },
    { name: 'report', run: () => explain(['-f', '-', 'report'], text) },
    { name: 'render', run: () => nftpolRender(text) },
    ...(a !== undefined ? [{ name: 'pod', run: () => explain(['-f', '-', 'pod', a], text) }] : []),
    ...(a !== undefined && b !== undefined
      ? [{ name: 'flow', run: () => explain(['-f', '-', '--from', a, '--to', b, '--port', '80'], text) }]
      : []),
  ];
  const out: { name: string; r: RunResult }[] = [];
  for (const { name, run } of runs) out.push({ name, r: await run() });
  return out;
}

/** Answers, or refuses with located errors; never an unexpected failure. */
function checkAnswered(name: string, r: RunResult): void {
  const what = `${name}: exit ${r.code}\n${r.stderr.slice(0, 1500)}`;
  expect(r.stderr, what).not.toMatch(/unexpected failure/);
  expect([0, 1, 2], what).toContain(r.code);
  if (r.code === 2) {
    // An input error is located: "<stdin>:LINE doc N: ..." (a usage error, such
    // as a pod the mutation renamed away, names what it could not find).
    expect(r.stderr, what).toMatch(/error/);
  }
}

const params = { numRuns: RUNS, seed: SEED };

describe('every command on fuzzed manifests', () => {
  it('a misspelled key or a wrong type is refused by every command (exit 2, at the field)', async () => {
    const how = fc.constantFrom<Misspelling>('swap', 'drop', 'double', 'case', 'insert');
    await fc.assert(fc.asyncProperty(fuzzTarget, how, fc.nat(), fc.boolean(), async (t, h, at, wrongType) => {
      const p = pickTarget(files, t);
      if (!p) return;
      const key = p.spot.path.at(-1);
      let value: unknown;
      if (wrongType) {
        value = setAt(p.docs[p.index]?.value, p.spot.path, wrongValue(p.spot.type));
      } else {
        if (typeof key !== 'string') return;
        const wrong = misspell(key, h, at);
        if (wrong === '' || Object.hasOwn(K8S_TYPES[p.spot.parentType] ?? {}, wrong)) return;
        value = renameAt(p.docs[p.index]?.value, p.spot.path, wrong);
      }
      const docs = p.docs.map((d, i) => (i === p.index ? value : d.value));
      for (const { name, r } of await everyCommand(render(docs), someEndpoints(docs))) {
        checkAnswered(name, r);
        expect(r.code, `${name} read a mutated object:\n${r.stderr.slice(0, 800)}`).toBe(2);
        expect(r.stderr, name).toMatch(/<stdin>:\d+ doc \d+: /);
      }
    }), params);
  });

  it('hostile strings, huge values and dropped keys: every command answers or refuses, never crashes', async () => {
    const mutation = fc.oneof(
      fc.constantFrom(...HOSTILE_STRINGS).map((s) => ({ kind: 'set' as const, value: s as unknown })),
      fc.constant({ kind: 'set' as const, value: 'x'.repeat(100_000) as unknown }),
      fc.constant({ kind: 'set' as const, value: 1e308 as unknown }),
      fc.constant({ kind: 'drop' as const, value: undefined as unknown }),
    );
    await fc.assert(fc.asyncProperty(fuzzTarget, mutation, async (t, m) => {
      const p = pickTarget(files, t);
      if (!p) return;
      const value = setAt(p.docs[p.index]?.value, p.spot.path, m.kind === 'drop' ? undefined : m.value);
      const docs = p.docs.map((d, i) => (i === p.index ? value : d.value));
      for (const { name, r } of await everyCommand(render(docs), someEndpoints(docs))) checkAnswered(name, r);
    }), params);
  });
});
