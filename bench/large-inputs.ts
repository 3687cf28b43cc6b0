// Every command on large manifest files, as a user runs it: each command is
// a child process (`node src/cli/…-main.ts`), timed end to end, with its peak
// RSS. Inputs (bench/large-manifests.ts): 10,000 policies over 200 pods, and
// 112,000 pods with 400 policies. Also times the YAML reading alone, by
// library, on both inputs.
//
// `--baseline REV` (or NFTPOL_BENCH_BASELINE=REV when run alone) also runs
// the commands of git revision REV, so a change shows as before/after. Wall
// time depends on what else the machine runs; CPU time is printed beside it.
// Commands that run longer than a limit are stopped and reported as such.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as jsyaml from 'js-yaml';
import { parseAllDocuments, LineCounter } from 'yaml';
import { readYamlDocuments } from '../src/sources/yaml-documents.ts';
import type { Bench, BenchOptions } from './bench.ts';
import { exportSources, runChild, type ChildRun, type CodeRoot } from './child-run.ts';
import { count, millis, timed } from './bench.ts';
import { APPS_PER_NAMESPACE, largeManifests, namespaceName, podName, POD_HEAVY, POLICY_HEAVY } from './large-manifests.ts';

const REPO = path.resolve(import.meta.dirname, '..');
/** A command still running after this long is stopped (the old matrix on 112k pods never ends). */
const LIMIT_MS = 90_000;

function describeRun(r: ChildRun): string {
  if (r.timedOut) return `stopped after ${millis(LIMIT_MS)} (did not finish)`;
  const cpu = r.cpuMs === undefined ? '' : ` (CPU ${millis(r.cpuMs)})`;
  const rss = r.rssMb === undefined ? '' : `, peak RSS ${count(r.rssMb)} MB`;
  const lastLine = r.stderr.trim().split('\n').pop() ?? '';
  return `${millis(r.ms)}${cpu}${rss}, exit ${r.exit}${r.exit === 0 || r.exit === 1 ? '' : `: ${lastLine.slice(0, 200)}`}`;
}

function parseFigures(name: string, text: string, report: (line: string) => void): void {
  const mb = (text.length / 1e6).toFixed(1);
  const docs = text.split(/^---\n/m);
  const figures: [string, () => unknown][] = [
    ['yaml parseAllDocuments + LineCounter (before)', () => parseAllDocuments(text, { lineCounter: new LineCounter(), merge: true }).length],
    ['yaml parseAllDocuments, no LineCounter', () => parseAllDocuments(text).length],
    ['yaml parseAllDocuments, keepSourceTokens', () => parseAllDocuments(text, { keepSourceTokens: true }).length],
    ['js-yaml loadAll, whole text', () => jsyaml.loadAll(text).length],
    ['js-yaml load, document by document', () => docs.map((d) => jsyaml.load(d)).length],
    ['nftpol readYamlDocuments (after)', () => readYamlDocuments(text).length],
  ];
  for (const [label, fn] of figures) {
    // The slow libraries take tens of seconds on the 50 MB input: skip them there.
    if (text.length > 20e6 && !label.startsWith('js-yaml load,') && !label.startsWith('nftpol')) continue;
    const t = timed(fn);
    report(`${name} (${mb} MB): ${label}: ${millis(t.ms)}`);
  }
}

export interface LargeInputsOptions {
  readonly baseline?: string;
  /** Skip the 112k-pod input (50 MB). */
  readonly small?: boolean;
}

export async function runLargeInputs(report: (line: string) => void, opts: LargeInputsOptions = {}): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nftpol-large-'));
  const revisions: CodeRoot[] = [{ root: REPO, label: 'this tree', remove: () => undefined }];
  if (opts.baseline !== undefined) revisions.unshift(exportSources(REPO, opts.baseline));
  try {
    const policyHeavy = largeManifests(POLICY_HEAVY);
    writeFileSync(path.join(dir, 'policies.yaml'), policyHeavy);
    const a = `${namespaceName(0)}/${podName(0, 0)}`;
    const b = `${namespaceName(1)}/${podName(1, 0)}`;
    // 20 cases, some of them failing (a failure is explained with the engine's trace, as CI would see it).
    const cases = Array.from({ length: 20 }, (_, i) =>
      `  - {from: ${namespaceName(i % POLICY_HEAVY.namespaces)}/${podName(i % APPS_PER_NAMESPACE, 0)}, to: ${b}, port: 8080, expect: allow}\n`);
    writeFileSync(path.join(dir, 'test.yaml'),
      `apiVersion: nftpol.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: large}\nresources: [policies.yaml]\ncases:\n${cases.join('')}`);
    report(`input: ${count(POLICY_HEAVY.policies)} policies, ${POLICY_HEAVY.pods} pods, ${POLICY_HEAVY.namespaces} namespaces, ${(policyHeavy.length / 1e6).toFixed(1)} MB`);
    parseFigures('10k policies', policyHeavy, report);
    const commands: [string, 'policy-explain' | 'nftpol', string[]][] = [
      ['flow', 'policy-explain', ['-f', 'policies.yaml', '--from', a, '--to', b, '--port', '8080']],
      ['pod', 'policy-explain', ['-f', 'policies.yaml', 'pod', a]],
      ['lint', 'policy-explain', ['-f', 'policies.yaml', 'lint']],
      ['matrix', 'policy-explain', ['-f', 'policies.yaml', 'matrix', '--port', '8080']],
      ['nftpol test', 'nftpol', ['test', 'test.yaml']],
      ['nftpol render', 'nftpol', ['render', '-f', 'policies.yaml', '--node', 'node-0']],
    ];
    for (const [label, program, args] of commands) {
      for (const r of revisions) report(`10k policies: ${label} [${r.label}]: ${describeRun(await runChild(r.root, program, args, dir, LIMIT_MS))}`);
    }
    if (opts.small === true) return;

    const podHeavy = largeManifests(POD_HEAVY);
    writeFileSync(path.join(dir, 'pods.yaml'), podHeavy);
    report(`input: ${count(POD_HEAVY.pods)} pods, ${POD_HEAVY.policies} policies, ${POD_HEAVY.namespaces} namespaces, ${(podHeavy.length / 1e6).toFixed(1)} MB`);
    parseFigures('112k pods', podHeavy, report);
    for (const [label, args] of [['lint', ['-f', 'pods.yaml', 'lint']], ['matrix', ['-f', 'pods.yaml', 'matrix']], ['matrix -n ns-007', ['-f', 'pods.yaml', 'matrix', '-n', 'ns-007']]] as const) {
      for (const r of revisions) report(`112k pods: ${label} [${r.label}]: ${describeRun(await runChild(r.root, 'policy-explain', args, dir, LIMIT_MS))}`);
    }
  } finally {
    for (const r of revisions) r.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const largeInputs: Bench = {
  name: 'large-inputs',
  description: 'every command on 10k policies (7 MB) and on 112k pods (49 MB): time and peak RSS; YAML reading by library',
  baseline: true,
  run: (report, options: BenchOptions) => runLargeInputs(report, { ...(options.baseline !== undefined && { baseline: options.baseline }) }),
};

if (import.meta.main) {
  const baseline = process.env.NFTPOL_BENCH_BASELINE;
  await runLargeInputs((line) => console.log(line), { ...(baseline !== undefined && { baseline }), small: process.argv.includes('--small') });
}
