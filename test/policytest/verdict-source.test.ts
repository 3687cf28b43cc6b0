import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { chooseVerdictSource, modelVerdicts, type VerdictSource, type WorldQuestions } from '../../src/policytest/verdict-source.ts';
import { KernelVerdictSource } from '../../src/policytest/kernel-verdicts.ts';
import { TestWorldLoader, type TestWorld } from '../../src/policytest/load-test-world.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { policyTest, Scratch } from './helpers.ts';

describe('VerdictSource', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await Scratch.create();
    await s.write('tests/t.yaml', `${policyTest('t1', `  - {from: [shop/api, shop/web], to: shop/db, port: 5432, expect: deny}
  - {from: shop/web, to: shop/api, port: http, expect: allow}
`)}---
${policyTest('t2', '  - {from: shop/api, to: shop/web, port: 80, expect: allow}\n')}`);
  });
  afterAll(async () => {
    await s.remove();
  });

  it('is asked once per world with every flow of that world, and its answers decide the cases', async () => {
    const calls: { world: TestWorld; flows: number }[] = [];
    const hooks: string[] = [];
    const denyAll: VerdictSource = {
      name: 'kernel',
      prepare(worlds: readonly WorldQuestions[]) {
        hooks.push(`prepare ${worlds.length} world(s), ${worlds.reduce((n, w) => n + w.cases.length, 0)} flows`);
        return Promise.resolve();
      },
      verdicts(world, cases) {
        calls.push({ world, flows: cases.length });
        hooks.push('verdicts');
        // The last flow is "checked at rule level", the others by the kernel (the default).
        return Promise.resolve(cases.map((_, i) => (i === cases.length - 1 ? { allowed: false, checkedBy: 'rules' as const, detail: 'read' } : { allowed: false })));
      },
      close() {
        hooks.push('close');
        return Promise.resolve();
      },
    };
    const collected = await collectPolicyTests(['tests'], s.root);
    const outcome = await runPolicyTests(collected, { verdicts: denyAll, loader: new TestWorldLoader({ cwd: s.root }) });
    if (!outcome.ok) throw new Error('unexpected input problems');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.flows).toBe(4);
    // prepare sees every world first; close runs last.
    expect(hooks).toEqual(['prepare 1 world(s), 4 flows', 'verdicts', 'close']);
    const { run } = outcome;
    expect(run.dataplane).toBe('kernel');
    expect(run.summary).toEqual({ files: 1, tests: 2, cases: 4, passed: 2, failed: 2 });
    // shop/api -> shop/db: the kernel said deny, as expected, though the model allows it.
    const apiToDb = run.tests[0]?.cases[0];
    expect(apiToDb).toMatchObject({ from: 'shop/api', actual: 'deny', passed: true });
    // A failed case still carries the model's explanation.
    const webToApi = run.tests[0]?.cases[2];
    expect(webToApi).toMatchObject({ passed: false, actual: 'deny', verdict: { allowed: true }, checkedBy: 'kernel' });
    expect(webToApi).not.toHaveProperty('detail');
    expect(run.tests[1]?.cases[0]).toMatchObject({ checkedBy: 'rules', detail: 'read' });
  });

  it('closes the dataplane when it fails', async () => {
    const hooks: string[] = [];
    const broken: VerdictSource = {
      name: 'kernel',
      verdicts: () => Promise.reject(new Error('boom')),
      close: () => Promise.resolve(void hooks.push('close')),
    };
    const collected = await collectPolicyTests(['tests'], s.root);
    await expect(runPolicyTests(collected, { verdicts: broken, loader: new TestWorldLoader({ cwd: s.root }) })).rejects.toThrow('boom');
    expect(hooks).toEqual(['close']);
  });

  it('the model source is the policy engine; a source is chosen by name from those offered', async () => {
    const model = await runPolicyTests(await collectPolicyTests(['tests'], s.root), { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: s.root }) });
    expect(model.ok && model.run.tests.flatMap((t) => t.cases.map((c) => c.checkedBy))).toEqual(['model', 'model', 'model', 'model']);
    const offered = { model: () => modelVerdicts, kernel: () => new KernelVerdictSource() };
    expect(chooseVerdictSource(offered, 'model')).toBe(modelVerdicts);
    expect(chooseVerdictSource(offered, 'kernel')).toBeInstanceOf(KernelVerdictSource);
    expect(() => chooseVerdictSource(offered, 'ebpf')).toThrow(/unknown dataplane "ebpf"/);
    expect(() => chooseVerdictSource({ model: () => modelVerdicts }, 'kernel')).toThrow(/dataplane kernel is not available in this build/);
  });
});
