// Every PolicyTest under policies-examples/ and test/conformance/ must pass
// against the policy engine. The files are found when this module loads, so
// a new scenario is picked up without touching this test; each folder must
// hold at least one. A failure prints the engine's explanation of the case.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderVerdictText } from '../../src/explain/verdict-text.ts';
import { formatProblem } from '../../src/model/problems.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { modelVerdicts } from '../../src/policytest/verdict-source.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests, type TestRun } from '../../src/policytest/run-tests.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The network-policy-api suite under test/conformance/ has a test of its own
// (network-policy-api-conformance.test.ts), which also checks it is complete.
const OWN_TEST = 'test/conformance/network-policy-api/';

for (const dir of ['policies-examples', 'test/conformance']) {
  const all = await collectPolicyTests([dir], ROOT);
  const kept = (file: string): boolean => !file.startsWith(OWN_TEST);
  const collected = { ...all, files: all.files.filter(kept), tests: all.tests.filter((t) => kept(t.file)) };

  describe(`PolicyTests under ${dir}/`, () => {
    let run: TestRun | undefined;
    let inputErrors: string[] = [];

    beforeAll(async () => {
      const outcome = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }) });
      if (outcome.ok) run = outcome.run;
      else inputErrors = outcome.problems.filter((p) => p.severity === 'error').map(formatProblem);
    });

    it('holds at least one PolicyTest file, and every test and manifest is valid', () => {
      expect(collected.files.length).toBeGreaterThanOrEqual(1);
      expect(inputErrors).toEqual([]);
      expect(run).toBeDefined();
    });

    it.each(collected.files)('%s passes', (file) => {
      const tests = (run?.tests ?? []).filter((t) => t.test.file === file);
      expect(tests.length).toBeGreaterThanOrEqual(1);
      const failures = tests.flatMap((t) =>
        t.cases.filter((c) => !c.passed).map((c) =>
          `${t.test.name} ${caseTitle(c)}: expected ${c.case.expect}, got ${c.actual}\n${c.verdict ? renderVerdictText(c.verdict) : ''}`),
      );
      expect(failures).toEqual([]);
    });
  });
}
