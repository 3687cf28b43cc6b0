// The network-policy-api conformance suite (test/conformance/network-policy-api/, both API
// versions) on the kernel: each PolicyTest's world in a lab (two nodes, eight pods, the two
// host-network pods on their nodes' addresses), the rulesets nftpol compiles for it, every
// TCP and UDP case decided by real packets (SCTP at rule level) and each step reaching the
// nodes by deltas. The kernel must give the model's verdict, and the expected one, for every
// case. Kept out of policytest-kernel.test.ts so its world and timings stay separate.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { cleanupOrphans } from '../../src/lab/index.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { DEFAULT_LANES, KernelVerdictSource } from '../../src/policytest/kernel-verdicts.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { modelVerdicts } from '../../src/policytest/verdict-source.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = 'test/conformance/network-policy-api';

await describeKernel('network-policy-api conformance on the kernel', () => {
  beforeAll(async () => {
    await cleanupOrphans();
  });

  for (const version of ['v1alpha2', 'v1alpha1']) {
    it(`${version}: every case gets the model verdict and passes`, async () => {
      const collected = await collectPolicyTests([`${SUITE}/${version}`], ROOT);
      const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }) });
      const kernel = new KernelVerdictSource();
      const t0 = performance.now();
      const onKernel = await runPolicyTests(collected, { verdicts: kernel, loader: new TestWorldLoader({ cwd: ROOT }) });
      const seconds = (performance.now() - t0) / 1000;
      if (!model.ok || !onKernel.ok) throw new Error(`input problems under ${SUITE}/${version}`);
      const t = kernel.timings;
      console.log(
        `[kernel] ${SUITE}/${version}: ${onKernel.run.summary.cases} cases in ${onKernel.run.summary.tests} PolicyTests, ${seconds.toFixed(1)} s ` +
          `(${t.networks} lab network(s) built in ${(t.buildMs / 1000).toFixed(1)} s, tables + conntrack ${(t.applyMs / 1000).toFixed(1)} s, ` +
          `${t.probes} probes ${(t.probeMs / 1000).toFixed(1)} s; ${t.ruleLevel} cases at rule level; ${t.deltaSyncs} node tables moved by a delta)`,
      );
      const modelCases = model.run.tests.flatMap((x) => x.cases);
      const kernelCases = onKernel.run.tests.flatMap((x) => x.cases);
      expect(kernelCases.length).toBe(modelCases.length);
      const disagreements = kernelCases.flatMap((c, i) =>
        modelCases[i]?.actual === c.actual ? [] : [`${c.test.file} ${caseTitle(c)}: model ${modelCases[i]?.actual}, kernel ${c.actual} (${c.checkedBy}: ${c.detail ?? ''})`]);
      expect(disagreements).toEqual([]);
      const failures = kernelCases.filter((c) => !c.passed).map((c) => `${c.test.file} ${caseTitle(c)}: expected ${c.case.expect}, got ${c.actual} (${c.checkedBy}: ${c.detail ?? ''})`);
      expect(failures).toEqual([]);
      // Every test shares world.yaml: one lab network per lane serves all their states.
      expect(t.networks).toBeLessThanOrEqual(DEFAULT_LANES);
      // The steps (patches, a relabel, a deletion) moved the node tables by deltas.
      expect(t.deltaSyncs).toBeGreaterThan(0);
      // TCP and UDP by packets (host-network servers included), SCTP at rule level.
      const checked = new Set(onKernel.run.tests.flatMap((x) => x.cases.map((c) => `${c.case.protocol} ${c.checkedBy}`)));
      expect(checked).toEqual(new Set(['TCP kernel', 'UDP kernel', 'SCTP rules']));
    }, 900_000);
  }
});
