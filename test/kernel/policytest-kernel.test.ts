// `nftpol test --dataplane kernel`: PolicyTests decided by real packets through the rulesets
// nftpol compiles, in a lab world (src/lab). The kernel must give the model's verdict for
// every case of the conformance suite and the examples; the CLI keeps its exit codes and
// reports; ip: endpoints, IPv6 and pods placed anywhere work.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupOrphans, listNetns } from '../../src/lab/index.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { modelVerdicts } from '../../src/policytest/verdict-source.ts';
import { DEFAULT_LANES, KernelVerdictSource } from '../../src/policytest/kernel-verdicts.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import type { PolicyTestReport } from '../../src/policytest/report-json.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests, type TestRun } from '../../src/policytest/run-tests.ts';
import { nftpol } from '../policytest/helpers.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Cases where the kernel is known to differ from the model, each with why. The test fails
 * when the list is wrong either way: a new disagreement, or one that went away. Empty:
 * kernel and model agree on every case.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {};

interface Compared {
  run: TestRun;
  disagreements: string[];
  failures: string[];
  seconds: number;
  kernel: KernelVerdictSource;
}

/**
 * The network-policy-api suite under test/conformance/ has its own world and its own kernel
 * test (network-policy-api-kernel.test.ts), so this lane's world and timings stay its own.
 */
const NOT_YET_ON_KERNEL = 'test/conformance/network-policy-api/';

/** Runs the PolicyTests under `dir` on the model and on the kernel, and compares every case. */
async function compare(dir: string): Promise<Compared> {
  const all = await collectPolicyTests([dir], ROOT);
  const kept = (file: string): boolean => !file.startsWith(NOT_YET_ON_KERNEL);
  const collected = { ...all, files: all.files.filter(kept), tests: all.tests.filter((t) => kept(t.file)) };
  const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }) });
  const kernel = new KernelVerdictSource();
  const t0 = performance.now();
  const onKernel = await runPolicyTests(collected, { verdicts: kernel, loader: new TestWorldLoader({ cwd: ROOT }) });
  const seconds = (performance.now() - t0) / 1000;
  if (!model.ok || !onKernel.ok) throw new Error(`input problems under ${dir}`);
  const modelCases = model.run.tests.flatMap((t) => t.cases);
  const kernelCases = onKernel.run.tests.flatMap((t) => t.cases);
  expect(kernelCases.length).toBe(modelCases.length);
  const disagreements: string[] = [];
  kernelCases.forEach((c, i) => {
    const m = modelCases[i];
    if (m?.actual !== c.actual) disagreements.push(`${c.test.file} ${caseTitle(c)}`);
  });
  const failures = kernelCases
    .filter((c) => !c.passed && !(`${c.test.file} ${caseTitle(c)}` in KNOWN_DISAGREEMENTS))
    .map((c) => `${c.test.file} ${caseTitle(c)}: expected ${c.case.expect}, got ${c.actual} (${c.checkedBy}: ${c.detail ?? ''})`);
  return { run: onKernel.run, disagreements, failures, seconds, kernel };
}

function report(label: string, r: Compared): void {
  const t = r.kernel.timings;
  console.log(
    `[kernel] ${label}: ${r.run.summary.cases} cases in ${r.run.summary.tests} PolicyTests, ${r.seconds.toFixed(1)} s ` +
      `(lane-seconds: ${t.networks} lab network(s) built in ${(t.buildMs / 1000).toFixed(1)} s, tables + conntrack ${(t.applyMs / 1000).toFixed(1)} s, ` +
      `${t.probes} probes ${(t.probeMs / 1000).toFixed(1)} s; ${t.ruleLevel} cases at rule level; ${t.deltaSyncs} node tables moved by a delta)`,
  );
}

await describeKernel('nftpol test --dataplane kernel', () => {
  let scratch: string;
  beforeAll(async () => {
    await cleanupOrphans();
    scratch = await mkdtemp(path.join(tmpdir(), 'nftpol-kernel-'));
    await writeFile(path.join(scratch, 'world.yaml'), WORLD);
    await writeFile(path.join(scratch, 'anywhere.yaml'), ANYWHERE);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('(a) test/conformance: the 3x3 world over two nodes gets the model verdict for every case', async () => {
    const r = await compare('test/conformance');
    report('test/conformance', r);
    expect(r.disagreements).toEqual(Object.keys(KNOWN_DISAGREEMENTS));
    expect(r.failures).toEqual([]);
    // One network per lane served all 64 worlds (same world.yaml, different policies): the
    // 54 PolicyTests' starting states and the 10 states after a step.
    expect(r.kernel.timings.networks).toBeLessThanOrEqual(DEFAULT_LANES);
    expect(r.run.summary.tests).toBe(54);
    // Each step moved the nodes' tables by deltas, as the agent would, not by a fresh table.
    expect(r.kernel.timings.deltaSyncs).toBeGreaterThanOrEqual(10);
    // SCTP cases were decided at rule level; everything else by real packets.
    const checked = new Set(r.run.tests.flatMap((t) => t.cases.map((c) => `${c.case.protocol} ${c.checkedBy}`)));
    expect(checked).toEqual(new Set(['TCP kernel', 'UDP kernel', 'SCTP rules']));
  }, 900_000);

  it('(b) policies-examples: every case passes on the kernel as on the model', async () => {
    const r = await compare('policies-examples');
    report('policies-examples', r);
    expect(r.disagreements).toEqual([]);
    expect(r.failures).toEqual([]);
  }, 600_000);

  it('(c) exit codes, JSON and JUnit through main()', async () => {
    await writeFile(path.join(scratch, 'failing.yaml'), FAILING);
    const junit = path.join(scratch, 'junit.xml');
    const fail = await nftpol(['test', '--dataplane', 'kernel', '-o', 'json', '--junit', junit, 'failing.yaml'], scratch);
    expect(fail.stderr).toBe('');
    expect(fail.code).toBe(1);
    const doc = JSON.parse(fail.stdout) as PolicyTestReport;
    expect(doc).toMatchObject({ kind: 'PolicyTestReport', dataplane: 'kernel', summary: { cases: 3, passed: 2, failed: 1 } });
    const failed = doc.results.find((r) => !r.passed);
    expect(failed).toMatchObject({
      from: 'lab/c', to: 'lab/a', port: 8080, expect: 'allow', actual: 'deny', checkedBy: 'kernel',
      // The model's trace, as with the model dataplane.
      verdict: { allowed: false, decidedBy: 'policy', ingress: { allowed: false } },
    });
    expect(failed?.detail).toMatch(/^TCP: no answer within 1000 ms \(2 tries\)$/);
    expect(doc.results.filter((r) => r.passed).map((r) => [r.protocol, r.checkedBy])).toEqual([['TCP', 'kernel'], ['SCTP', 'rules']]);
    expect(doc.results.find((r) => r.protocol === 'TCP' && r.passed)?.detail).toMatch(/^TCP answered by lab\/a in \d+ ms$/);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain('<property name="dataplane" value="kernel"/>');
    expect(xml).toContain('<property name="checkedBy" value="rules"/>');
    expect(xml).toContain('message="expected allow, got deny (decided by the kernel (real packets): TCP: no answer within 1000 ms (2 tries); the policy engine agrees: deny): lab/a-in');

    const text = await nftpol(['test', '--dataplane', 'kernel', 'failing.yaml'], scratch);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('        decided by the kernel (real packets): TCP: no answer within 1000 ms (2 tries)\n        the policy engine agrees: deny\n        DENIED  lab/c');
    expect(text.stdout).toContain('1 PolicyTest in 1 file, 3 cases on the kernel dataplane (1 case at rule level: no SCTP sockets)\n2 passed, 1 failed\n');

    const pass = await nftpol(['test', '--dataplane', 'kernel', 'anywhere.yaml'], scratch);
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    const bad = await nftpol(['test', '--dataplane', 'kernel', 'bad.yaml'], scratch);
    expect(bad).toMatchObject({ code: 2, stdout: '' });
  }, 120_000);

  it('(d) ip: endpoints (v4 and v6), IPv6 pods, pods anywhere, node endpoints, SCTP at rule level: as the model says', async () => {
    const collected = await collectPolicyTests([path.join(scratch, 'anywhere.yaml')], scratch);
    const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: scratch }) });
    const kernel = new KernelVerdictSource();
    const onKernel = await runPolicyTests(collected, { verdicts: kernel, loader: new TestWorldLoader({ cwd: scratch }) });
    if (!model.ok || !onKernel.ok) throw new Error('input problems');
    const verdicts = (run: TestRun): string[] => run.tests.flatMap((t) => t.cases.map((c) => `${caseTitle(c)}: ${c.actual}`));
    expect(verdicts(onKernel.run)).toEqual(verdicts(model.run));
    expect(onKernel.run.summary.failed).toBe(0);
    const byFlow = new Map(onKernel.run.tests.flatMap((t) => t.cases.map((c) => [`${c.from} -> ${c.to} ${c.case.port}/${c.case.protocol}`, c])));
    // The outside hosts and IPv6 flows really went through the kernel.
    expect(byFlow.get('ip:2001:db8:100::1 -> lab/a http/TCP')).toMatchObject({ actual: 'allow', checkedBy: 'kernel' });
    expect(byFlow.get('lab/b -> ip:2001:db8:100::53 53/UDP')).toMatchObject({ actual: 'allow', checkedBy: 'kernel' });
    expect(byFlow.get('lab/d -> lab/b 8080/TCP')).toMatchObject({ actual: 'allow', checkedBy: 'kernel' });
    expect(byFlow.get('lab/c -> lab/a 9000/SCTP')).toMatchObject({ actual: 'allow', checkedBy: 'rules' });
    expect(kernel.timings.networks).toBe(1);
  }, 120_000);

  it('leaves no network namespace behind', async () => {
    const ours = (await listNetns()).filter((n) => n.startsWith(`np${process.pid}r`));
    expect(ours).toEqual([]);
  });
});

// Pods anywhere: no pod CIDRs; addresses in 10.99/16, 172.20/16, 10.244/16 (assigned to a
// Deployment), 2001:db8:aa::/48, fd12:3456::/32 and an IPv6-only pod; one pod names a node
// without a Node object, the others are spread over worker-a and worker-b.
const WORLD = `apiVersion: v1
kind: Namespace
metadata: {name: lab}
---
apiVersion: v1
kind: Node
metadata: {name: worker-a}
status:
  addresses: [{type: InternalIP, address: 192.0.2.10}, {type: InternalIP, address: '2001:db8:f::10'}]
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: lab, labels: {app: a}}
spec:
  containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]}]
status:
  phase: Running
  podIPs: [{ip: 10.99.0.5}, {ip: '2001:db8:aa::5'}]
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: lab, labels: {app: b}}
spec:
  nodeName: worker-b
  containers: [{name: c, image: x}]
status:
  phase: Running
  podIPs: [{ip: 172.20.9.7}, {ip: 'fd12:3456::7'}]
---
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: lab, labels: {app: d}}
spec:
  containers: [{name: c, image: x}]
status:
  phase: Running
  podIPs: [{ip: 'fd00:77::4'}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: c, namespace: lab}
spec:
  selector: {matchLabels: {app: c}}
  template:
    metadata: {labels: {app: c}}
    spec:
      containers: [{name: c, image: x}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-in, namespace: lab}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]
  ingress:
    - from: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}, {ipBlock: {cidr: '2001:db8:100::/48'}}]
      ports: [{port: http}]
    - from: [{podSelector: {matchLabels: {app: b}}}, {podSelector: {matchLabels: {app: d}}}]
      ports: [{port: 8080}, {port: dns, protocol: UDP}]
    - from: [{podSelector: {matchLabels: {app: c}}}]
      ports: [{port: 9000, protocol: SCTP}]
    - from: [{ipBlock: {cidr: 192.0.2.0/24}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-out, namespace: lab}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: '2001:db8:100::/48'}}]
      ports: [{port: 53, protocol: UDP}]
    - to: [{podSelector: {matchLabels: {app: a}}}]
`;

const ANYWHERE = `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: anywhere}
resources: [world.yaml]
cases:
  - {from: 'ip:203.0.113.9', to: lab/a, port: http, expect: allow}
  - {from: 'ip:203.0.113.200', to: lab/a, port: 8080, expect: deny}
  - {from: 'ip:2001:db8:100::1', to: lab/a, port: http, expect: allow}
  - {from: 'ip:2001:db8:101::1', to: lab/a, port: http, expect: deny}
  - {from: lab/b, to: 'ip:2001:db8:100::53', port: 53, protocol: UDP, expect: allow}
  - {from: lab/b, to: 'ip:2001:db8:101::53', port: 53, protocol: UDP, expect: deny}
  - {from: lab/b, to: 'ip:203.0.113.9', port: 80, expect: deny}
  - {from: lab/c, to: 'ip:203.0.113.9', port: 80, expect: allow}
  - {from: [lab/b, lab/d], to: lab/a, port: http, expect: allow}
  - {from: [lab/b, lab/d], to: lab/a, port: dns, protocol: UDP, expect: allow}
  - {from: lab/c, to: lab/a, port: 8080, expect: deny}
  - {from: lab/c, to: lab/a, port: 9000, protocol: SCTP, expect: allow}
  - {from: lab/b, to: lab/a, port: 9000, protocol: SCTP, expect: deny}
  - {from: lab/d, to: lab/b, port: 8080, expect: allow}
  - {from: lab/a, to: [lab/b, lab/c, lab/d], port: 8080, expect: allow}
  - {from: lab/c, to: lab/b, port: 8080, expect: allow}
  - {from: lab/b, to: lab/c, port: 8080, expect: deny}
  - {from: lab/a, to: lab/a, port: 8080, expect: allow}
  - {from: 'node:worker-a', to: [lab/a, lab/b, lab/c], port: 8080, expect: allow}
  - {from: [lab/a, lab/c], to: 'node:worker-a', port: 10250, expect: allow}
  - {from: lab/b, to: 'node:worker-a', port: 10250, expect: deny}
`;

const FAILING = `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: failing}
resources: [world.yaml]
cases:
  - {from: lab/b, to: lab/a, port: http, expect: allow}
  - {name: c reaches a, from: lab/c, to: lab/a, port: 8080, expect: allow}
  - {from: lab/c, to: lab/a, port: 9000, protocol: SCTP, expect: allow}
`;
