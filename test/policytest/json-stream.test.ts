// `nftpol test --output json` streams: results are written as the run
// decides them and the run keeps none, yet the document is the same
// PolicyTestReport (valid JSON, same fields and values) as the one built
// from a run that kept every case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { buildJsonReport, JsonReportWriter, type PolicyTestReport } from '../../src/policytest/report-json.ts';
import { runPolicyTests, type CaseResult } from '../../src/policytest/run-tests.ts';
import { modelVerdicts } from '../../src/policytest/verdict-source.ts';
import { policyTest, Scratch } from './helpers.ts';

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
  // 3 list cases of 40 x 40 pairs: 4,800 results, more than one batch, some failing.
  const ends = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'shop/api' : 'shop/web')).join(', ');
  await s.write('tests/many.yaml', policyTest('many', `  - {from: [${ends}], to: [${ends.replaceAll('api', 'db')}], port: 5432, expect: deny}\n`.repeat(3) +
    '  - {name: one, from: shop/api, to: shop/db, port: 5432, expect: allow}\n'));
  await s.write('tests/second.yaml', policyTest('second', '  - {from: ip:203.0.113.9, to: shop/web, port: http, expect: allow}\n'));
});
afterAll(async () => {
  await s.remove();
});

async function run(onCase?: (c: CaseResult) => void | Promise<void>) {
  const collected = await collectPolicyTests(['tests'], s.root);
  const outcome = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: s.root }), ...(onCase && { onCase }) });
  if (!outcome.ok) throw new Error(outcome.problems.map((p) => p.message).join('; '));
  return outcome.run;
}

describe('nftpol test --output json, streamed', () => {
  it('writes the same document as the whole report, in pieces, keeping no case', async () => {
    const kept = await run();
    const chunks: string[] = [];
    const writer = new JsonReportWriter({ write: (c: string) => chunks.push(c) }, 'model');
    let writesBeforeEnd = 0;
    const streamed = await run(async (c) => {
      await writer.add(c);
      writesBeforeEnd = chunks.length;
    });
    await writer.end(streamed.summary);
    expect(writesBeforeEnd).toBeGreaterThan(1);
    expect(streamed.tests.every((t) => t.cases.length === 0)).toBe(true);
    expect(streamed.summary).toEqual(kept.summary);
    expect(kept.summary.cases).toBe(4802);
    expect(kept.summary.failed).toBeGreaterThan(0);
    const doc = JSON.parse(chunks.join('')) as PolicyTestReport;
    expect(doc).toEqual(buildJsonReport(kept));
    // Indented like JSON.stringify(report, null, 2), summary last.
    expect(chunks.join('')).toBe(`${JSON.stringify({ ...buildJsonReport(kept), summary: undefined, results: doc.results }, null, 2).replace(/\n}$/, '')},\n  "summary": ${JSON.stringify(kept.summary, null, 2).replaceAll('\n', '\n  ')}\n}\n`);
  });

  it('through the command: valid JSON, and nothing on stdout for bad input', async () => {
    const r = await s.run('test', '-o', 'json', 'tests');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as PolicyTestReport;
    expect(doc.results).toHaveLength(4802);
    expect(doc.summary.cases).toBe(4802);
    await s.write('bad/bad.yaml', policyTest('bad', '  - {from: shop/nope, to: shop/db, port: 5432, expect: allow}\n'));
    const bad = await s.run('test', '-o', 'json', 'tests', 'bad');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
  });

  it('writes an empty results list as []', async () => {
    const chunks: string[] = [];
    const writer = new JsonReportWriter({ write: (c: string) => chunks.push(c) }, 'kernel');
    await writer.end({ files: 0, tests: 0, cases: 0, passed: 0, failed: 0 });
    expect(JSON.parse(chunks.join(''))).toEqual({
      apiVersion: 'nftpol.dev/v1alpha1', kind: 'PolicyTestReport', dataplane: 'kernel', results: [], summary: { files: 0, tests: 0, cases: 0, passed: 0, failed: 0 },
    });
  });

  it('waits for a stream that is behind to drain', async () => {
    let drained: (() => void) | undefined;
    const writer = new JsonReportWriter({ write: () => false, once: (_e: 'drain', f: () => void) => { drained = f; } }, 'model');
    let done = false;
    const ending = writer.end({ files: 0, tests: 0, cases: 0, passed: 0, failed: 0 }).then(() => { done = true; });
    await Promise.resolve();
    expect(done).toBe(false);
    drained?.();
    await ending;
    expect(done).toBe(true);
  });
});
