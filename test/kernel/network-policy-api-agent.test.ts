// The network-policy-api conformance tests that change the cluster part-way (every one with
// steps: rules swapped, an action or priority changed, a named port, a CIDR rule inserted, a
// namespace relabelled, a NetworkPolicy deleted), both API versions, on the agent dataplane:
// one real `nftpol agent` per lab node applying each state the runner writes, by deltas. The
// agents must give the model's verdict for every case, and every case must pass.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { cleanupOrphans } from '../../src/lab/index.ts';
import { AgentVerdictSource, DEFAULT_AGENT_LANES } from '../../src/policytest/agent-verdicts.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { modelVerdicts } from '../../src/policytest/verdict-source.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = 'test/conformance/network-policy-api';
/** How the agents are run from the sources (the CLI runs the nftpol beside itself the same way). */
const COMMAND = [process.execPath, path.join(ROOT, 'src/cli/nftpol-main.ts')];

await describeKernel('network-policy-api conformance on the agent dataplane', () => {
  beforeAll(async () => {
    await cleanupOrphans();
  });

  it('the tests with steps: the agents give the model verdict for every case, each step applied by their deltas', async () => {
    const all = await collectPolicyTests([SUITE], ROOT);
    const stepped = all.tests.filter((t) => t.steps.length > 0);
    // 22 of the 24 tests per version change the cluster part-way (the two node-peer tests do not).
    expect(stepped.length).toBe(44);
    const collected = await collectPolicyTests(stepped.map((t) => t.file), ROOT);
    const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }) });
    const agent = new AgentVerdictSource({ command: COMMAND });
    const t0 = performance.now();
    const onAgents = await runPolicyTests(collected, { verdicts: agent, loader: new TestWorldLoader({ cwd: ROOT }) });
    const seconds = (performance.now() - t0) / 1000;
    if (!model.ok || !onAgents.ok) throw new Error(`input problems under ${SUITE}`);
    const t = agent.timings;
    const states = stepped.reduce((n, x) => n + 1 + x.steps.length, 0);
    console.log(
      `[agent] ${SUITE}: ${onAgents.run.summary.cases} cases in ${onAgents.run.summary.tests} PolicyTests (${states} states), ${seconds.toFixed(1)} s: ` +
        `${t.networks} lab network(s) built in ${(t.buildMs / 1000).toFixed(1)} s, ${t.states} states written and applied by the agents in ${(t.syncMs / 1000).toFixed(1)} s ` +
        `(${t.replaces} whole tables, ${t.deltas} deltas), ${t.probes} probes in ${(t.probeMs / 1000).toFixed(1)} s, ${t.ruleLevel} cases at rule level`,
    );
    const verdicts = (run: typeof model.run): string[] => run.tests.flatMap((x) => x.cases.map((c) => `${c.test.file} ${caseTitle(c)}: ${c.actual}`));
    expect(verdicts(onAgents.run)).toEqual(verdicts(model.run));
    expect(onAgents.run.summary.failed).toBe(0);
    expect(onAgents.run.dataplane).toBe('agent');
    // Every test shares world.yaml: one network per lane, its two agents following every state.
    expect(t.networks).toBeLessThanOrEqual(DEFAULT_AGENT_LANES);
    expect(t.states).toBe(states);
    // Each agent replaced its table once, at its first sync; every later state was a delta.
    expect(t.replaces).toBe(2 * t.networks);
    expect(t.deltas).toBeGreaterThanOrEqual(states - t.networks);
    // TCP and UDP by packets, SCTP at rule level.
    const checked = new Set(onAgents.run.tests.flatMap((x) => x.cases.map((c) => `${c.case.protocol} ${c.checkedBy}`)));
    expect(checked).toEqual(new Set(['TCP kernel', 'UDP kernel', 'SCTP rules']));
  }, 900_000);
});
