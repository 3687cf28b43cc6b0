// Every upstream network-policy-api conformance test, both API versions, as PolicyTests
// (test/conformance/network-policy-api/: v1alpha2 ClusterNetworkPolicy, v1alpha1
// AdminNetworkPolicy/BaselineAdminNetworkPolicy), run through the real runner against
// the policy engine (model mode), in two lanes: IPv4 (the files as written: on the
// dual-stack world every case is decided on IPv4) and IPv6 (the runner's family 6, the
// policies' IPv4 literals turned into their IPv6 counterparts, as upstream's IPv6 runs
// compute them: test/support/network-policy-api-ipv6.ts). Every case must pass, and every
// flow must go over its lane's family; a failure prints the engine's explanation of the
// case. The files are found when this module loads; the two folders must hold the whole
// upstream suite (24 ShortNames each), so a file lost or left out fails here rather than
// shrinking the suite without a word.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderVerdictText } from '../../src/explain/verdict-text.ts';
import { familyOf, type IPFamily } from '../../src/model/addresses.ts';
import { formatProblem } from '../../src/model/problems.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { modelVerdicts, type VerdictSource } from '../../src/policytest/verdict-source.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests, type TestRun } from '../../src/policytest/run-tests.ts';
import { collectedForIPv6, readAddressMap } from '../support/network-policy-api-ipv6.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = 'test/conformance/network-policy-api';

/** Upstream test functions (ShortNames) per API version: 13 of the Admin tier (its integration and priority tests included) + 11 of the Baseline tier. */
const UPSTREAM_TESTS = 24;
/** Probes (PokeServer calls) upstream makes per API version, each one case here. */
const UPSTREAM_PROBES: Readonly<Record<string, number>> = { v1alpha2: 301, v1alpha1: 289 };

const addressMap = await readAddressMap(path.join(ROOT, SUITE, 'world.yaml'));

/** The model, noting the family of both ends of every flow it is asked. */
function recordingModel(seen: Set<string>): VerdictSource {
  return {
    name: 'model',
    verdicts(world, cases) {
      for (const c of cases) seen.add(`IPv${familyOf(c.flow.from.ip)} -> IPv${familyOf(c.flow.to.ip)}`);
      return modelVerdicts.verdicts(world, cases);
    },
  };
}

for (const version of ['v1alpha2', 'v1alpha1']) {
  const dir = `${SUITE}/${version}`;
  const asWritten = await collectPolicyTests([dir], ROOT);
  for (const family of [4, 6] as const satisfies readonly IPFamily[]) {
    const collected = family === 4 ? asWritten : collectedForIPv6(asWritten, addressMap);

    describe(`network-policy-api conformance ${version} (${dir}/), model, IPv${family}`, () => {
      let run: TestRun | undefined;
      let inputErrors: string[] = [];
      const seen = new Set<string>();

      beforeAll(async () => {
        // IPv4 as the files run by default (no family: IPv4 when both ends have it); IPv6 by the runner's family.
        const outcome = await runPolicyTests(collected, {
          verdicts: recordingModel(seen), loader: new TestWorldLoader({ cwd: ROOT }), ...(family === 6 && { family }),
        });
        if (outcome.ok) run = outcome.run;
        else inputErrors = outcome.problems.filter((p) => p.severity === 'error').map(formatProblem);
      });

      it('holds one PolicyTest per upstream test, every probe as a case, and every test and manifest is valid', () => {
        expect(collected.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
        expect(collected.tests.length).toBe(UPSTREAM_TESTS);
        const cases = collected.tests.reduce((n, t) => n + t.cases.length + t.steps.reduce((m, s) => m + s.cases.length, 0), 0);
        expect(cases).toBe(UPSTREAM_PROBES[version]);
        expect(inputErrors).toEqual([]);
        expect(run).toBeDefined();
        expect(run?.summary.cases).toBe(UPSTREAM_PROBES[version]);
      });

      it(`decides every case over IPv${family}`, () => {
        expect(seen).toEqual(new Set([`IPv${family} -> IPv${family}`]));
      });

      it.each(collected.files)('%s passes', (file) => {
        const tests = (run?.tests ?? []).filter((t) => t.test.file === file);
        expect(tests.length).toBe(1);
        const failures = tests.flatMap((t) =>
          t.cases.filter((c) => !c.passed).map((c) =>
            `${t.test.name} ${caseTitle(c)}: expected ${c.case.expect}, got ${c.actual}\n${c.verdict ? renderVerdictText(c.verdict) : ''}`),
        );
        expect(failures).toEqual([]);
      });
    });
  }
}
