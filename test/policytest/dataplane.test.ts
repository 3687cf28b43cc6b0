import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { dataplaneFor, DataplaneUnavailableError, modelDataplane, type Dataplane } from '../../src/policytest/dataplane.ts';
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
    const denyAll: Dataplane = {
      name: 'kernel',
      verdicts(world, cases) {
        calls.push({ world, flows: cases.length });
        return Promise.resolve(cases.map(() => ({ allowed: false })));
      },
    };
    const collected = await collectPolicyTests(['tests'], s.root);
    const outcome = await runPolicyTests(collected, { dataplane: denyAll, loader: new TestWorldLoader({ cwd: s.root }) });
    if (!outcome.ok) throw new Error('unexpected input problems');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.flows).toBe(4);
    const { run } = outcome;
    expect(run.dataplane).toBe('kernel');
    expect(run.summary).toEqual({ files: 1, tests: 2, cases: 4, passed: 2, failed: 2 });
    // shop/api -> shop/db: the kernel said deny, as expected, though the model allows it.
    const apiToDb = run.tests[0]?.cases[0];
    expect(apiToDb).toMatchObject({ from: 'shop/api', actual: 'deny', passed: true });
    // A failed case still carries the model's explanation.
    const webToApi = run.tests[0]?.cases[2];
    expect(webToApi).toMatchObject({ passed: false, actual: 'deny', verdict: { allowed: true } });
  });

  it('the model dataplane is the policy engine; kernel is not in this build', async () => {
    expect(dataplaneFor('model')).toBe(modelDataplane);
    expect(() => dataplaneFor('kernel')).toThrow(new DataplaneUnavailableError('dataplane kernel is not available in this build'));
    expect(() => dataplaneFor('ebpf')).toThrow(/unknown dataplane "ebpf"/);
  });
});
