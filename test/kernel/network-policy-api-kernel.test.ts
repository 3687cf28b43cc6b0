// The network-policy-api conformance suite (test/conformance/network-policy-api/, both API
// versions) on the kernel, over IPv4 and over IPv6: each PolicyTest's world in a lab (two
// nodes, eight pods, the two host-network pods on their nodes' addresses; dual-stack), the
// rulesets nftpol compiles for it, every TCP and UDP case decided by real packets (SCTP at
// rule level) and each step reaching the nodes by deltas. The kernel must give the model's
// verdict, and the expected one, for every case. The IPv6 lane is the runner's family 6 with
// the policies' IPv4 literals turned into their IPv6 counterparts
// (test/support/network-policy-api-ipv6.ts); every probe must go over the lane's family.
// One kernel verdict source serves the four runs: its lab networks (built from the
// dual-stack world, so they serve both families) are built once and closed at the end.
// Kept out of policytest-kernel.test.ts so its world and timings stay separate.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupOrphans } from '../../src/lab/index.ts';
import { familyOf, type IPFamily } from '../../src/model/addresses.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { DEFAULT_LANES, KernelVerdictSource, type KernelTimings } from '../../src/policytest/kernel-verdicts.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { modelVerdicts, type VerdictSource } from '../../src/policytest/verdict-source.ts';
import { describeKernel } from '../support/describe-requiring.ts';
import { collectedForIPv6, readAddressMap } from '../support/network-policy-api-ipv6.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = 'test/conformance/network-policy-api';

await describeKernel('network-policy-api conformance on the kernel', () => {
  let kernel: KernelVerdictSource;
  /** The kernel source, asked by every run, closed only after the last (the runner closes what it is given). */
  let shared: VerdictSource;
  /** Families of the ends of every flow the kernel was asked. */
  const seen = new Set<string>();

  beforeAll(async () => {
    await cleanupOrphans();
    kernel = new KernelVerdictSource();
    shared = {
      name: 'kernel',
      prepare: (worlds) => {
        for (const w of worlds) for (const c of w.cases) seen.add(`IPv${familyOf(c.flow.from.ip)} -> IPv${familyOf(c.flow.to.ip)}`);
        return kernel.prepare(worlds);
      },
      verdicts: (world, cases) => kernel.verdicts(world, cases),
    };
  });
  afterAll(async () => {
    await kernel.close();
  });

  for (const version of ['v1alpha2', 'v1alpha1']) {
    for (const family of [4, 6] as const satisfies readonly IPFamily[]) {
      it(`${version}, IPv${family}: every case gets the model verdict and passes`, async () => {
        const asWritten = await collectPolicyTests([`${SUITE}/${version}`], ROOT);
        const collected = family === 4 ? asWritten : collectedForIPv6(asWritten, await readAddressMap(path.join(ROOT, SUITE, 'world.yaml')));
        // IPv4 as the files run by default (IPv4 when both ends have it); IPv6 by the runner's family.
        const options = family === 6 ? { family } : {};
        const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }), ...options });
        const before: KernelTimings = { ...kernel.timings };
        seen.clear();
        const t0 = performance.now();
        const onKernel = await runPolicyTests(collected, { verdicts: shared, loader: new TestWorldLoader({ cwd: ROOT }), ...options });
        const seconds = (performance.now() - t0) / 1000;
        if (!model.ok || !onKernel.ok) throw new Error(`input problems under ${SUITE}/${version}`);
        const t = Object.fromEntries(Object.entries(kernel.timings).map(([k, v]) => [k, v - before[k as keyof KernelTimings]])) as unknown as KernelTimings;
        console.log(
          `[kernel] ${SUITE}/${version} IPv${family}: ${onKernel.run.summary.cases} cases in ${onKernel.run.summary.tests} PolicyTests, ${seconds.toFixed(1)} s ` +
            `(${t.networks} lab network(s) built in ${(t.buildMs / 1000).toFixed(1)} s, tables + conntrack ${(t.applyMs / 1000).toFixed(1)} s, ` +
            `${t.probes} probes ${(t.probeMs / 1000).toFixed(1)} s; ${t.ruleLevel} cases at rule level; ${t.deltaSyncs} node tables moved by a delta)`,
        );
        expect(seen).toEqual(new Set([`IPv${family} -> IPv${family}`]));
        const modelCases = model.run.tests.flatMap((x) => x.cases);
        const kernelCases = onKernel.run.tests.flatMap((x) => x.cases);
        expect(kernelCases.length).toBe(modelCases.length);
        const disagreements = kernelCases.flatMap((c, i) =>
          modelCases[i]?.actual === c.actual ? [] : [`${c.test.file} ${caseTitle(c)}: model ${modelCases[i]?.actual}, kernel ${c.actual} (${c.checkedBy}: ${c.detail ?? ''})`]);
        expect(disagreements).toEqual([]);
        const failures = kernelCases.filter((c) => !c.passed).map((c) => `${c.test.file} ${caseTitle(c)}: expected ${c.case.expect}, got ${c.actual} (${c.checkedBy}: ${c.detail ?? ''})`);
        expect(failures).toEqual([]);
        // Every test shares world.yaml: one lab network per lane serves all their states, in both families.
        expect(kernel.timings.networks).toBeLessThanOrEqual(DEFAULT_LANES);
        // The steps (patches, a relabel, a deletion) moved the node tables by deltas.
        expect(t.deltaSyncs).toBeGreaterThan(0);
        // TCP and UDP by packets (host-network servers included), SCTP at rule level.
        const checked = new Set(onKernel.run.tests.flatMap((x) => x.cases.map((c) => `${c.case.protocol} ${c.checkedBy}`)));
        expect(checked).toEqual(new Set(['TCP kernel', 'UDP kernel', 'SCTP rules']));
      }, 900_000);
    }
  }
});
