import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { dataplaneFor, modelDataplane, type Dataplane, type WorldQuestions } from '../../src/policytest/dataplane.ts';
import { KernelDataplane } from '../../src/policytest/kernel-dataplane.ts';
import { TestWorldLoader, type TestWorld } from '../../src/policytest/load-test-world.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { policyTest, Scratch } from './helpers.ts';

describe('Dataplane', () => {
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
    const denyAll: Dataplane = {
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
    const outcome = await runPolicyTests(collected, { dataplane: denyAll, loader: new TestWorldLoader({ cwd: s.root }) });
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
    const broken: Dataplane = {
      name: 'kernel',
      verdicts: () => Promise.reject(new Error('boom')),
      close: () => Promise.resolve(void hooks.push('close')),
    };
    const collected = await collectPolicyTests(['tests'], s.root);
    await expect(runPolicyTests(collected, { dataplane: broken, loader: new TestWorldLoader({ cwd: s.root }) })).rejects.toThrow('boom');
    expect(hooks).toEqual(['close']);
  });

  it('the model dataplane is the policy engine; the test command registers the kernel dataplane', async () => {
    expect(dataplaneFor('model')).toBe(modelDataplane);
    const model = await runPolicyTests(await collectPolicyTests(['tests'], s.root), { dataplane: modelDataplane, loader: new TestWorldLoader({ cwd: s.root }) });
    expect(model.ok && model.run.tests.flatMap((t) => t.cases.map((c) => c.checkedBy))).toEqual(['model', 'model', 'model', 'model']);
    await import('../../src/cli/commands/test-command.ts');
    expect(dataplaneFor('kernel')).toBeInstanceOf(KernelDataplane);
    expect(() => dataplaneFor('ebpf')).toThrow(/unknown dataplane "ebpf"/);
  });
});
