// The network-policy-api conformance tests, both API versions, on the agent dataplane: one
// real `nftpol agent` per lab node applying each state the runner writes (every later state,
// whether a step changes rules, an action or priority, a named port, a CIDR rule, a namespace's
// labels or deletes a NetworkPolicy, or the next test's world, by deltas). The agents must give
// the model's verdict for every case, and every case must pass: over IPv4 (the files as
// written) and over IPv6 (the runner's family 6, the policies' IPv4 literals turned into their
// IPv6 counterparts: test/support/network-policy-api-ipv6.ts). One agent verdict source serves
// both runs: its lab networks and agents (dual-stack) are started once, and the IPv6 run's
// states reach the same agents as further deltas.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupOrphans } from '../../src/lab/index.ts';
import { familyOf, type IPFamily } from '../../src/model/addresses.ts';
import { AgentVerdictSource, DEFAULT_AGENT_LANES, type AgentTimings } from '../../src/policytest/agent-verdicts.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { modelVerdicts, type VerdictSource } from '../../src/policytest/verdict-source.ts';
import { describeKernel } from '../support/describe-requiring.ts';
import { collectedForIPv6, readAddressMap } from '../support/network-policy-api-ipv6.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = 'test/conformance/network-policy-api';
/** How the agents are run from the sources (the CLI runs the nftpol beside itself the same way). */
const COMMAND = [process.execPath, path.join(ROOT, 'src/cli/nftpol-main.ts')];

await describeKernel('network-policy-api conformance on the agent dataplane', () => {
  let agent: AgentVerdictSource;
  /** The agent source, asked by both runs, closed after the last (the runner closes what it is given). */
  let shared: VerdictSource;
  /** Families of the ends of every flow the agents were asked. */
  const seen = new Set<string>();

  beforeAll(async () => {
    await cleanupOrphans();
    agent = new AgentVerdictSource({ command: COMMAND });
    shared = {
      name: 'agent',
      prepare: (worlds) => {
        for (const w of worlds) for (const c of w.cases) seen.add(`IPv${familyOf(c.flow.from.ip)} -> IPv${familyOf(c.flow.to.ip)}`);
        return agent.prepare(worlds);
      },
      verdicts: (world, cases) => agent.verdicts(world, cases),
    };
  });
  afterAll(async () => {
    await agent.close();
  });

  /** Every upstream test of both API versions (24 each), over each family. */
  const lanes = [
    { family: 4, folders: [SUITE], tests: 48 },
    { family: 6, folders: [SUITE], tests: 48 },
  ] as const satisfies readonly { family: IPFamily; folders: readonly string[]; tests: number }[];

  for (const { family, folders, tests } of lanes) {
    it(`IPv${family}, every test under ${folders.join(', ')}: the agents give the model verdict for every case, each step applied by their deltas`, async () => {
      const asWritten = await collectPolicyTests(folders, ROOT);
      // The whole suite: 44 of the 48 tests change the cluster part-way (the four node-peer tests do not).
      expect(asWritten.tests.length).toBe(tests);
      expect(asWritten.tests.filter((t) => t.steps.length > 0).length).toBe(44);
      const collected = family === 4 ? asWritten : collectedForIPv6(asWritten, await readAddressMap(path.join(ROOT, SUITE, 'world.yaml')));
      // IPv4 as the files run by default (IPv4 when both ends have it); IPv6 by the runner's family.
      const options = family === 6 ? { family } : {};
      const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }), ...options });
      const before: AgentTimings = { ...agent.timings };
      seen.clear();
      const t0 = performance.now();
      const onAgents = await runPolicyTests(collected, { verdicts: shared, loader: new TestWorldLoader({ cwd: ROOT }), ...options });
      const seconds = (performance.now() - t0) / 1000;
      if (!model.ok || !onAgents.ok) throw new Error(`input problems under ${SUITE}`);
      const t = Object.fromEntries(Object.entries(agent.timings).map(([k, v]) => [k, v - before[k as keyof AgentTimings]])) as unknown as AgentTimings;
      const states = asWritten.tests.reduce((n, x) => n + 1 + x.steps.length, 0);
      console.log(
        `[agent] ${SUITE} IPv${family}: ${onAgents.run.summary.cases} cases in ${onAgents.run.summary.tests} PolicyTests (${states} states), ${seconds.toFixed(1)} s: ` +
          `${t.networks} lab network(s) built in ${(t.buildMs / 1000).toFixed(1)} s, ${t.states} states written and applied by the agents in ${(t.syncMs / 1000).toFixed(1)} s ` +
          `(${t.replaces} whole tables, ${t.deltas} deltas), ${t.probes} probes in ${(t.probeMs / 1000).toFixed(1)} s, ${t.ruleLevel} cases at rule level`,
      );
      expect(seen).toEqual(new Set([`IPv${family} -> IPv${family}`]));
      const verdicts = (run: typeof model.run): string[] => run.tests.flatMap((x) => x.cases.map((c) => `${c.test.file} ${caseTitle(c)}: ${c.actual}`));
      expect(verdicts(onAgents.run)).toEqual(verdicts(model.run));
      expect(onAgents.run.summary.failed).toBe(0);
      expect(onAgents.run.dataplane).toBe('agent');
      // Every test shares world.yaml: one network per lane for both runs, its two agents following every state.
      expect(agent.timings.networks).toBeLessThanOrEqual(DEFAULT_AGENT_LANES);
      expect(t.states).toBe(states);
      // Each agent replaced its table once, at its first sync (in the first run); every later state was a delta.
      expect(agent.timings.replaces).toBe(2 * agent.timings.networks);
      expect(t.deltas).toBeGreaterThanOrEqual(states - t.networks);
      // TCP and UDP by packets, SCTP at rule level.
      const checked = new Set(onAgents.run.tests.flatMap((x) => x.cases.map((c) => `${c.case.protocol} ${c.checkedBy}`)));
      expect(checked).toEqual(new Set(['TCP kernel', 'UDP kernel', 'SCTP rules']));
    }, 900_000);
  }
});
