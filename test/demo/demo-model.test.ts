// `nftpol demo` without what the live run needs (simulated through the injectable check):
// it says what is missing and answers from the engine alone, labelled so; `--steps` lists
// the scenario; a scenario that does not read cleanly is refused (exit 2). The live run is
// test/kernel/demo.test.ts.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO_ROOT, DEMO_STEPS } from '../../src/demo/scenario.ts';
import { cellAt, count, EXPECTED_COUNTS, nftpolDemo, type Report } from './helpers.ts';

const MISSING = ["no working `socat` on PATH: it relays each agent's /status out of its node's network namespace"];
const withoutSocat = { demo: { prerequisites: () => Promise.resolve([...MISSING]) } };

describe('nftpol demo, model only', () => {
  it('--json: mode model, what is missing, every step with the engine\'s matrix and no live one', async () => {
    const r = await nftpolDemo(['--json'], withoutSocat);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.kind).toBe('DemoReport');
    expect(report.mode).toBe('model');
    expect(report.missing).toEqual(MISSING);
    expect(report.world).toBeNull();
    expect(report.cleanup).toBeNull();
    expect(report.steps.map((s) => s.dir)).toEqual(DEMO_STEPS.map((s) => s.dir));
    for (const [i, step] of report.steps.entries()) {
      expect(step.live).toBeNull();
      expect(step.kernel).toEqual([]);
      expect(step.agree).toBeNull();
      expect({ allowed: count(step.expected, 'allowed'), denied: count(step.expected, 'denied') }).toEqual(EXPECTED_COUNTS[i]);
    }
    // The cells that tell the story: dev/debug reaches shop/api only after the label change,
    // shop/db opens when default-deny goes; the Admin tier shuts dev/debug out of shop again
    // though shop's NetworkPolicy still admits it; the Baseline closes shop/db, and shop's own
    // NetworkPolicy reopens it to shop/api only, while prometheus keeps shop/api throughout.
    const cell = (s: number, from: string, to: string): string | undefined => {
      const st = report.steps[s];
      return st ? cellAt(st, st.expected, from, to) : undefined;
    };
    expect([2, 3, 4, 5].map((s) => cell(s, 'dev/debug', 'shop/api'))).toEqual(['denied', 'allowed', 'allowed', 'denied']);
    expect([3, 4, 5, 6, 7].map((s) => cell(s, 'shop/web', 'shop/db'))).toEqual(['denied', 'allowed', 'allowed', 'denied', 'denied']);
    expect([5, 6, 7].map((s) => cell(s, 'shop/api', 'shop/db'))).toEqual(['allowed', 'denied', 'allowed']);
    expect([5, 6, 7].map((s) => cell(s, 'monitoring/prometheus', 'shop/api'))).toEqual(['allowed', 'allowed', 'allowed']);
    expect([5, 6, 7].map((s) => cell(s, 'dev/debug', 'shop/db'))).toEqual(['denied', 'denied', 'denied']);
  });

  it('every step after the first explains a cell it changed, in the engine\'s words: the tier, policy and rule that decided', async () => {
    const report = JSON.parse((await nftpolDemo(['--json'], withoutSocat)).stdout) as Report;
    expect(report.steps[0]?.why).toBeNull();
    for (const step of report.steps.slice(1)) {
      const why = step.why;
      if (why === null) throw new Error(`${step.dir} explains no cell`);
      expect(cellAt(step, step.expected, why.from, why.to), step.dir).toBe(why.verdict);
      expect(why.before).not.toBe(why.verdict);
    }
    const reason = (dir: string): string | undefined => report.steps.find((s) => s.dir === dir)?.why?.reason;
    expect(reason('05-admin-protect-namespace')).toBe('ingress of shop/api denied by cnp/protect-shop spec.ingress[0] "deny-from-dev" (Deny, Admin tier, priority 10)');
    expect(reason('06-baseline-default-deny')).toBe('ingress of shop/db denied by cnp/default-deny spec.ingress[0] "deny-from-pods" (Deny, Baseline tier, priority 100)');
    expect(reason('07-namespace-opens')).toBe('shop/db ingress allowed by shop/allow-api-to-db spec.ingress[0]');
    const text = (await nftpolDemo([], withoutSocat)).stdout;
    expect(text).toContain('  why dev/debug -> shop/api 8080/TCP is now denied: ingress of shop/api denied by cnp/protect-shop spec.ingress[0] "deny-from-dev" (Deny, Admin tier, priority 10)\n');
    expect(text).toContain('  why shop/api -> shop/db 5432/TCP is now allowed: shop/db ingress allowed by shop/allow-api-to-db spec.ingress[0]\n');
  });

  it('text: labelled model only, says what it needs and how to get the live run, prints no live matrix', async () => {
    const r = await nftpolDemo([], withoutSocat);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MODEL ONLY: no packets are sent');
    expect(r.stdout).toContain(`  - ${MISSING[0] as string}`);
    expect(r.stdout).toContain('./scripts/system-deps.sh');
    expect(r.stdout.match(/expected \(engine only\)/g)).toHaveLength(DEMO_STEPS.length);
    expect(r.stdout).not.toMatch(/live \(|reached the kernel/);
    expect(r.stdout).toContain('(model only: no packets sent)');
  });

  it('--steps lists the steps with the files each changes, needing nothing', async () => {
    const r = await nftpolDemo(['--steps'], { demo: { prerequisites: () => Promise.reject(new Error('--steps must not check the machine')) } });
    expect(r.code).toBe(0);
    for (const s of DEMO_STEPS) expect(r.stdout).toContain(s.title);
    expect(r.stdout).toContain('files: + default-deny.yaml');
    expect(r.stdout).toContain('files: ~ namespaces.yaml');
    expect(r.stdout).toContain('files: - default-deny.yaml');
    const json = JSON.parse((await nftpolDemo(['--steps', '--json'])).stdout) as { dir: string; change: unknown }[];
    expect(json.map((s) => s.dir)).toEqual(DEMO_STEPS.map((s) => s.dir));
    expect(json[4]?.change).toEqual({ added: [], changed: [], removed: ['default-deny.yaml'] });
  });

  it('--json with --keep is refused: the kept world ends by a signal, before any report', async () => {
    const r = await nftpolDemo(['--json', '--keep'], withoutSocat);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--keep holds the world until Ctrl-C, and --json prints its report at the end');
  });

  describe('a scenario that does not read cleanly', () => {
    let copy: string;
    beforeAll(async () => {
      copy = await mkdtemp(path.join(tmpdir(), 'nftpol-demo-scenario-'));
      await cp(DEFAULT_SCENARIO_ROOT, copy, { recursive: true });
      await writeFile(path.join(copy, '02-allow-namespace', 'allow-from-monitoring.yaml'),
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-from-monitoring, namespace: shop}\nspec:\n  podSelector: {matchLabel: {metrics: "true"}}\n');
    });
    afterAll(() => rm(copy, { recursive: true, force: true }));

    it('is refused with the file and field, exit 2, before any machine check', async () => {
      const r = await nftpolDemo(['--json'], { demo: { scenarioRoot: copy, prerequisites: () => Promise.reject(new Error('checked the machine')) } });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('the demo scenario step 02-allow-namespace does not read cleanly');
      expect(r.stderr).toContain('allow-from-monitoring.yaml');
      expect(r.stderr).toContain('matchLabel');
    });
  });

  describe('a step that explains a cell it does not change', () => {
    let copy: string;
    beforeAll(async () => {
      copy = await mkdtemp(path.join(tmpdir(), 'nftpol-demo-scenario-'));
      await cp(DEFAULT_SCENARIO_ROOT, copy, { recursive: true });
      // Without the Admin guard, step 05 is step 04 again: dev/debug -> shop/api stays allowed.
      await rm(path.join(copy, '05-admin-protect-namespace', 'admin-protect-shop.yaml'));
    });
    afterAll(() => rm(copy, { recursive: true, force: true }));

    it('is refused, naming the step and the cell, exit 2', async () => {
      const r = await nftpolDemo(['--json'], { demo: { scenarioRoot: copy, prerequisites: () => Promise.reject(new Error('checked the machine')) } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('the demo scenario step 05-admin-protect-namespace explains a cell it cannot: the step does not change dev/debug -> shop/api (allowed before and after)');
    });
  });
});
