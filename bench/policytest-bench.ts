// How fast `nftpol test` runs many cases over one world: a generated cluster
// (20 namespaces x 10 workloads, 60 policies) and one PolicyTest whose cases
// expand to ~5,000 flows. Times the whole run as the CLI does it (find and
// parse the test file, read the manifests, build the world, resolve and decide
// every flow, render the text report) and prints cases per second.
// Run alone with `node bench/policytest-bench.ts`, or through bench/run.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveFlow } from '../src/policy/flow-spec.ts';
import { collectPolicyTests } from '../src/policytest/collect-tests.ts';
import { modelVerdicts } from '../src/policytest/verdict-source.ts';
import { TestWorldLoader } from '../src/policytest/load-test-world.ts';
import { expandCases, runPolicyTests } from '../src/policytest/run-tests.ts';
import { renderTextReport } from '../src/policytest/report-text.ts';
import type { Bench } from './bench.ts';

const NAMESPACES = 20;
const APPS = 10;
const TIERS = ['front', 'back', 'db'] as const;

export function manifests(): string {
  const docs: string[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `ns-${n}`;
    docs.push(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: {team: ${n % 2 === 0 ? 'a' : 'b'}}}\n`);
    for (let a = 0; a < APPS; a++) {
      const tier = TIERS[a % TIERS.length] as string;
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app-${a}, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: app-${a}}}
  template:
    metadata: {labels: {app: app-${a}, tier: ${tier}}}
    spec:
      containers:
        - name: main
          image: example/app
          ports: [{name: http, containerPort: 8080}, {name: postgres, containerPort: 5432}]
`);
    }
    docs.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: ${ns}}
spec: {podSelector: {}, policyTypes: [Ingress]}
`);
    docs.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: front-to-back, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {tier: back}}
  ingress: [{from: [{podSelector: {matchLabels: {tier: front}}}], ports: [{port: http}]}]
`);
    docs.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: team-a-to-db, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {tier: db}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {tier: back}}}]
      ports: [{port: 5432}]
`);
  }
  return docs.join('---\n');
}

/** Cases of 10 sources x 10 destinations each; expectations filled in from the engine afterwards. */
function caseLines(count: number): { from: string[]; to: string[]; port: string | number }[] {
  const out: { from: string[]; to: string[]; port: string | number }[] = [];
  const ports: (string | number)[] = ['http', 5432, 8080, 'postgres'];
  for (let i = 0; out.length * 100 < count; i++) {
    const from = Array.from({ length: 10 }, (_, k) => `ns-${(i + k) % NAMESPACES}/app-${(i * 3 + k) % APPS}`);
    const to = Array.from({ length: 10 }, (_, k) => `ns-${(i * 7 + k) % NAMESPACES}/app-${(i + k * 3) % APPS}`);
    out.push({ from, to, port: ports[i % ports.length] as string | number });
  }
  return out;
}

export interface PolicyTestBenchResult {
  readonly cases: number;
  readonly seconds: number;
  readonly casesPerSecond: number;
}

export async function runPolicyTestBench(opts: { cases?: number; print?: (line: string) => void } = {}): Promise<PolicyTestBenchResult> {
  const print = opts.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const dir = await mkdtemp(path.join(tmpdir(), 'nftpol-bench-'));
  try {
    await writeFile(path.join(dir, 'cluster.yaml'), manifests());
    const head = 'apiVersion: nftpol.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: bench}\nresources: [cluster.yaml]\ncases:\n';
    const rows = caseLines(opts.cases ?? 5000);
    // First pass: learn each flow's verdict, so the timed run has only passing cases (as CI would).
    const draft = head + rows.map((r) => `  - {from: [${r.from.join(', ')}], to: [${r.to.join(', ')}], port: ${r.port}, expect: allow}\n`).join('');
    await writeFile(path.join(dir, 'bench-test.yaml'), draft);
    const draftTest = (await collectPolicyTests(['bench-test.yaml'], dir)).tests[0];
    if (!draftTest) throw new Error('the generated PolicyTest did not parse');
    const { world } = await new TestWorldLoader({ cwd: dir }).worldFor(draftTest);
    const lines: string[] = [];
    for (const e of expandCases(draftTest)) {
      const allowed = world.engine.allows(resolveFlow(world.state, { from: e.from, to: e.to, port: e.case.port, protocol: e.case.protocol }));
      lines.push(`  - {from: ${e.from}, to: ${e.to}, port: ${e.case.port}, expect: ${allowed ? 'allow' : 'deny'}}\n`);
    }
    await writeFile(path.join(dir, 'bench-test.yaml'), head + lines.join(''));

    const start = performance.now();
    const collected = await collectPolicyTests(['bench-test.yaml'], dir);
    const outcome = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: dir }) });
    if (!outcome.ok) throw new Error(`bench input has errors: ${outcome.problems.map((p) => p.message).join('; ')}`);
    renderTextReport(outcome.run);
    const seconds = (performance.now() - start) / 1000;
    const { cases, failed } = outcome.run.summary;
    if (failed > 0) throw new Error(`${failed} bench cases failed`);
    const casesPerSecond = cases / seconds;
    print(`policytest: ${cases} cases (${NAMESPACES * APPS} workloads, ${NAMESPACES * 3} policies, 1 world) in ${seconds.toFixed(3)} s: ${Math.round(casesPerSecond).toLocaleString('en-US')} cases/s`);
    return { cases, seconds, casesPerSecond };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const policyTestBench: Bench = {
  name: 'policytest',
  description: 'nftpol test: ~5,000 cases over one generated world, end to end',
  run: (report) => runPolicyTestBench({ print: report }),
};

if (import.meta.main) await runPolicyTestBench();
