// The semantic diff against the upstream e2e cases that change the world
// part-way (test/conformance, PolicyTests with steps): between consecutive
// states, the diff lists exactly the pairs whose expected verdict changed
// on some probed port, and each listed set agrees with the expectations of
// both states (a probed port is in `before`/`after` exactly when that
// state's case expects allow). The network-policy-api suite probes some
// pairs only (upstream's probes), so there the diff must list every pair
// whose probed verdict changed, and may list unprobed pairs too; and its
// sets are held to the engine's verdicts on the probed ports (the engine
// against upstream's expectations is the conformance test's job).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { semanticDiff } from '../../src/explain/semantic-diff.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { TestWorldLoader, type TestWorld } from '../../src/policytest/load-test-world.ts';
import type { PolicyTest, PolicyTestCase } from '../../src/policytest/policy-test.ts';
import { expandCase } from '../../src/policytest/run-tests.ts';
import { resolveNamedPort } from '../../src/policy/port-match.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { pairEndpoints } from '../../src/explain/pod-reach.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const collected = await collectPolicyTests(['test/conformance'], ROOT);
const withSteps = collected.tests.filter((t) => t.steps.length > 0);
const loader = new TestWorldLoader({ cwd: ROOT });

/** Expected verdicts of a state's cases: "from -> to" to "port/protocol" to allowed; ports resolved on the destination. */
function expectations(test: PolicyTest, cases: readonly PolicyTestCase[], world: TestWorld, byEngine = false): Map<string, Map<string, boolean>> {
  const engine = new PolicyEngine(world.state);
  const out = new Map<string, Map<string, boolean>>();
  for (const c of cases.flatMap((k) => expandCase(test, k))) {
    const dst = world.state.pods.get(c.to);
    const port = typeof c.case.port === 'number' ? c.case.port : dst && resolveNamedPort(dst, c.case.port, c.case.protocol);
    if (port === undefined) throw new Error(`${test.name}: ${c.to} has no port ${String(c.case.port)}`);
    const pair = `${c.from} -> ${c.to}`;
    const probes = out.get(pair) ?? new Map<string, boolean>();
    const from = world.state.pods.get(c.from);
    const ends = from && dst && pairEndpoints(from, dst);
    const allowed = byEngine && ends ? engine.allows({ from: ends[0], to: ends[1], protocol: c.case.protocol, port }) : c.case.expect === 'allow';
    probes.set(`${port}/${c.case.protocol}`, allowed);
    out.set(pair, probes);
  }
  return out;
}

/** The network-policy-api conformance tests probe a subset of the pairs (upstream's probes). */
function partialProbes(test: PolicyTest): boolean {
  return test.file.split(path.sep).includes('network-policy-api');
}

describe('semantic diff between consecutive states of the upstream e2e cases with steps', () => {
  it('finds the multi-step cases', () => {
    expect(withSteps.length).toBeGreaterThanOrEqual(5);
  });

  it.each(withSteps.map((t) => [t.name, t] as const))('%s', async (_name, test) => {
    const states = [test.cases, ...test.steps.map((s) => s.cases)];
    for (let i = 0; i + 1 < states.length; i++) {
      const [a, b] = await Promise.all([loader.worldFor(test, i), loader.worldFor(test, i + 1)]);
      const before = expectations(test, states[i] ?? [], a.world, partialProbes(test));
      const after = expectations(test, states[i + 1] ?? [], b.world, partialProbes(test));
      const verdictChanged = [...after].filter(([pair, probes]) =>
        [...probes].some(([probe, allowed]) => before.get(pair)?.get(probe) === !allowed)).map(([pair]) => pair).sort();
      // Every upstream step changes some verdict: the comparison is never of two empty lists.
      // (network-policy-api steps may probe other pairs than the state before: nothing to compare then.)
      if (!partialProbes(test)) expect(verdictChanged.length, `state ${i} -> ${i + 1}`).toBeGreaterThan(0);
      const diff = semanticDiff(a.world.state, b.world.state, { namespace: null });
      expect(diff.appeared).toEqual([]);
      expect(diff.disappeared).toEqual([]);
      const listed = diff.changes.map((c) => `${c.from} -> ${c.to}`).sort();
      if (partialProbes(test)) expect(listed, `state ${i} -> ${i + 1}`).toEqual(expect.arrayContaining(verdictChanged));
      else expect(listed, `state ${i} -> ${i + 1}`).toEqual(verdictChanged);
      // A pair the diff does not list keeps every probed verdict.
      for (const [pair, probes] of after) {
        if (listed.includes(pair)) continue;
        for (const [probe, allowed] of probes) if (before.get(pair)?.has(probe) === true) expect(before.get(pair)?.get(probe), `${pair} ${probe}`).toBe(allowed);
      }
      for (const c of diff.changes) {
        const pair = `${c.from} -> ${c.to}`;
        for (const [probe, allowed] of before.get(pair) ?? []) expect(c.before.has(probe.split('/')[1] ?? '', Number(probe.split('/')[0])), `${pair} ${probe} before`).toBe(allowed);
        for (const [probe, allowed] of after.get(pair) ?? []) expect(c.after.has(probe.split('/')[1] ?? '', Number(probe.split('/')[0])), `${pair} ${probe} after`).toBe(allowed);
      }
    }
  });
});
