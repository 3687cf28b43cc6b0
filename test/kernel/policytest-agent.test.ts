// `nftpol test --dataplane agent`: the kernel lab of `--dataplane kernel`, with one real
// `nftpol agent` process per node (in the node's netns, on a folder of its own) applying
// each state the runner writes into the folders. The conformance tests that change the
// world (every one with steps) must give the model's verdict for every case, each step
// reaching the kernel by the agents' deltas; the CLI keeps its reports and exit codes, and
// every reported case names its step; an agent that cannot start fails the run with what
// it said.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupOrphans, listNetns } from '../../src/lab/index.ts';
import { AgentVerdictSource, DEFAULT_AGENT_LANES } from '../../src/policytest/agent-verdicts.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import type { PolicyTestReport } from '../../src/policytest/report-json.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { modelVerdicts } from '../../src/policytest/verdict-source.ts';
import { nftpol } from '../policytest/helpers.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** How the agents are run from the sources (the CLI runs the nftpol beside itself the same way). */
const COMMAND = [process.execPath, path.join(ROOT, 'src/cli/nftpol-main.ts')];
/** A conformance test without steps, on the same world: the agents move between tests too. */
const WITHOUT_STEPS = ['should-support-a-default-deny-ingress-policy.yaml'];

await describeKernel('nftpol test --dataplane agent', () => {
  let scratch: string;
  beforeAll(async () => {
    await cleanupOrphans();
    scratch = await mkdtemp(path.join(tmpdir(), 'nftpol-agent-test-'));
    await writeFile(path.join(scratch, 'world.yaml'), WORLD);
    await writeFile(path.join(scratch, 'steps.yaml'), STEPS);
  });
  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('(a) the conformance tests with steps: the agents give the model verdict for every case, each step applied by their deltas', async () => {
    const all = await collectPolicyTests(['test/conformance'], ROOT);
    // The network-policy-api suite (test/conformance/network-policy-api/) has its own world and
    // its own tests (network-policy-api-*.test.ts).
    const stepped = all.tests.filter((t) => t.steps.length > 0 && !t.file.startsWith('test/conformance/network-policy-api/'));
    expect(stepped.length).toBe(10);
    const files = [...stepped.map((t) => t.file), ...WITHOUT_STEPS.map((f) => `test/conformance/${f}`)];
    const collected = await collectPolicyTests(files, ROOT);
    const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }) });
    const agent = new AgentVerdictSource({ command: COMMAND });
    const t0 = performance.now();
    const onAgents = await runPolicyTests(collected, { verdicts: agent, loader: new TestWorldLoader({ cwd: ROOT }) });
    const seconds = (performance.now() - t0) / 1000;
    if (!model.ok || !onAgents.ok) throw new Error('input problems in test/conformance');
    const t = agent.timings;
    console.log(
      `[agent] ${onAgents.run.summary.cases} cases in ${onAgents.run.summary.tests} PolicyTests (${stepped.length} with steps), ${seconds.toFixed(1)} s: ` +
        `${t.networks} lab network(s) built in ${(t.buildMs / 1000).toFixed(1)} s, ${t.states} states written and applied by the agents in ${(t.syncMs / 1000).toFixed(1)} s ` +
        `(${t.replaces} whole tables, ${t.deltas} deltas), ${t.probes} probes in ${(t.probeMs / 1000).toFixed(1)} s`,
    );
    const verdicts = (run: typeof model.run): string[] => run.tests.flatMap((x) => x.cases.map((c) => `${c.test.file} ${caseTitle(c)}: ${c.actual}`));
    expect(verdicts(onAgents.run)).toEqual(verdicts(model.run));
    expect(onAgents.run.summary.failed).toBe(0);
    expect(onAgents.run.dataplane).toBe('agent');
    // One network per lane for every world (same world.yaml): its two agents followed the
    // tests the lane took, 21 states in all.
    expect(t.networks).toBeLessThanOrEqual(DEFAULT_AGENT_LANES);
    expect(t.states).toBe(21);
    // Each agent replaced its table once, at its first sync; every later state was a delta.
    expect(t.replaces).toBe(2 * t.networks);
    expect(t.deltas).toBeGreaterThanOrEqual(stepped.length);
    const checked = new Set(onAgents.run.tests.flatMap((x) => x.cases.map((c) => c.checkedBy)));
    expect(checked).toEqual(new Set(['kernel']));
  }, 240_000);

  it('(b) through main(): exit 1 on a failed case, every result of a step names it in JSON and JUnit', async () => {
    const junit = path.join(scratch, 'junit.xml');
    const json = await nftpol(['test', '--dataplane', 'agent', '-o', 'json', '--junit', junit, 'steps.yaml'], scratch);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as PolicyTestReport;
    expect(doc).toMatchObject({ kind: 'PolicyTestReport', dataplane: 'agent', summary: { cases: 6, passed: 5, failed: 1 } });
    expect(doc.results.map((r) => [r.step ?? null, r.stepName ?? null, `${r.from} -> ${r.to}`, r.actual, r.checkedBy])).toEqual([
      [null, null, 'lab/c -> lab/a', 'allow', 'kernel'],
      [0, 'a admits only app=b', 'lab/b -> lab/a', 'allow', 'kernel'],
      [0, 'a admits only app=b', 'lab/c -> lab/a', 'deny', 'kernel'],
      [1, 'c is relabelled app=b', 'lab/c -> lab/a', 'allow', 'kernel'],
      [2, null, 'lab/c -> lab/a', 'allow', 'kernel'],
      [2, null, 'lab/b -> lab/a', 'allow', 'kernel'],
    ]);
    const failed = doc.results.find((r) => !r.passed);
    expect(failed).toMatchObject({ step: 2, expect: 'deny', actual: 'allow', verdict: { allowed: true } });
    expect(failed?.detail).toMatch(/^TCP answered by lab\/a in \d+ ms$/);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain('<property name="dataplane" value="agent"/>');
    expect(xml).toContain('<property name="stepName" value="c is relabelled app=b"/>');
  }, 90_000);

  it('(c) an agent that cannot start fails the run (exit 2, nothing on stdout) with its last log lines', async () => {
    const broken = { agent: () => new AgentVerdictSource({ command: COMMAND, agentArgs: ['--no-such-flag'] }) };
    const r = await nftpol(['test', '--dataplane', 'agent', '-o', 'json', 'steps.yaml'], scratch, { verdictSources: broken });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: the agent of node node-[12] exited with code 2 before its table reached revision [0-9a-f]{16} \(steps\.yaml document 0, its starting state\); command: .* agent --source files:\S+ --node node-[12] .* --no-such-flag\n {2}its last log lines:\n {4}error: unknown option '--no-such-flag'/);
  }, 60_000);

  it('(d) an agent that does not reach the revision in time fails the run with its status and last log lines', async () => {
    // The agent's first sync waits out a 10 s coalescing window; the run gives it 1 s.
    const slow = { agent: () => new AgentVerdictSource({ command: COMMAND, agentArgs: ['--coalesce-ms', '10000'], revisionTimeoutMs: 1000 }) };
    const r = await nftpol(['test', '--dataplane', 'agent', 'steps.yaml'], scratch, { verdictSources: slow });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: the agent of node node-[12] did not reach revision [0-9a-f]{16} \(steps\.yaml document 0, its starting state\) within 1000 ms: (its kernel is at revision none; its source has not read the folder as written \(it holds revision none\)|its status could not be read \(.*\))\n {2}its last log lines:\n/);
  }, 60_000);

  it('leaves no network namespace, agent or folder behind', async () => {
    const ours = (await listNetns()).filter((n) => n.startsWith(`np${process.pid}r`));
    expect(ours).toEqual([]);
    expect((await readdir(tmpdir())).filter((f) => f.startsWith('nftpol-agents-'))).toEqual([]);
  });
});

// Three pods, no Node objects: the lab's default nodes (node-1, node-2), which the folder
// then names so that every agent places the pods as the lab does.
const WORLD = `apiVersion: v1
kind: Namespace
metadata: {name: lab}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: lab, labels: {app: a}}
spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: lab, labels: {app: b}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: lab, labels: {app: c}}
spec: {containers: [{name: c, image: x}]}
`;

// A policy added, a pod relabelled, the policy deleted; the last case is wrong on purpose.
const STEPS = `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: lab-changes}
resources: [world.yaml]
cases:
  - {from: lab/c, to: lab/a, port: 8080, expect: allow}
steps:
  - name: a admits only app=b
    apply:
      - apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: a-from-b, namespace: lab}
        spec:
          podSelector: {matchLabels: {app: a}}
          policyTypes: [Ingress]
          ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: http}]}]
    cases:
      - {from: lab/b, to: lab/a, port: 8080, expect: allow}
      - {from: lab/c, to: lab/a, port: 8080, expect: deny}
  - name: c is relabelled app=b
    apply:
      - apiVersion: v1
        kind: Pod
        metadata: {name: c, namespace: lab, labels: {app: b}}
        spec: {containers: [{name: c, image: x}]}
    cases:
      - {from: lab/c, to: lab/a, port: 8080, expect: allow}
  - delete: [{kind: NetworkPolicy, namespace: lab, name: a-from-b}]
    cases:
      - {from: lab/c, to: lab/a, port: 8080, expect: allow}
      - {from: lab/b, to: lab/a, port: 8080, expect: deny}
`;
