// The CI sequence of docs/ci.md, end to end: the example workflow's own nftpol
// and policy-explain command lines (not helm, not the GitHub actions), run
// in-process in a throwaway git repository with two commits, where the second
// commit opens a new flow. origin/main is made to point at the first commit, as
// it would on a pull request, so the diff command runs exactly as written.
import { mkdir, mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, fixture, type RunResult } from '../cli/helpers.ts';
import { nftpol } from '../policytest/helpers.ts';
import { commandLinesIn, type CommandLine } from './command-lines.ts';
import { workflowSteps } from './workflow.ts';

let repo = '';
const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });

const POLICY_TEST = `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: shop}
resources: [../deploy, ../rendered]
cases:
  - {from: shop/web, to: shop/api, port: 8080, expect: allow}
  - {from: shop/web, to: shop/db, port: 5432, expect: deny}
  - {from: ingress/controller, to: shop/web, port: 8080, expect: deny}
`;

// What "helm template" would leave in rendered/ (never committed: CI renders it).
const RENDERED = `apiVersion: v1
kind: Namespace
metadata: {name: ingress}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: ingress}
spec:
  selector: {matchLabels: {app: controller}}
  template:
    metadata: {labels: {app: controller}}
    spec:
      containers: [{name: controller, image: ingress/controller}]
`;

beforeAll(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'ci-sequence-'));
  await git('init', '-q', '-b', 'main');
  await mkdir(path.join(repo, 'deploy'));
  await mkdir(path.join(repo, 'policy-tests'));
  await cp(fixture('diff/before/shop.yaml'), path.join(repo, 'deploy/shop.yaml'));
  await writeFile(path.join(repo, 'policy-tests/shop.yaml'), POLICY_TEST);
  await git('add', '.');
  await git('commit', '-q', '-m', 'shop');
  // The pull request: among other changes, web may now reach api on 8081 too.
  await cp(fixture('diff/after/shop.yaml'), path.join(repo, 'deploy/shop.yaml'));
  await git('commit', '-q', '-am', 'open web -> api 8081, db metrics');
  await git('update-ref', 'refs/remotes/origin/main', 'HEAD~1');
  // The workflow's render step.
  await mkdir(path.join(repo, 'rendered'));
  await mkdir(path.join(repo, 'reports'));
  await writeFile(path.join(repo, 'rendered/shop.yaml'), RENDERED);
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

/** Runs one workflow command line from the repository's root; stdout goes where the line redirects it. */
async function runInRepo(line: CommandLine, redirect: string | undefined): Promise<RunResult> {
  let result: RunResult;
  if (line.program === 'nftpol') result = await nftpol(line.args, repo);
  else {
    // policy-explain resolves -f against the process's folder: made absolute here instead of a chdir.
    const args = line.args.map((a, i) => (['-f', '--filename'].includes(line.args[i - 1] ?? '') ? path.join(repo, a) : a));
    result = await explain(args);
  }
  if (redirect !== undefined) await writeFile(path.join(repo, redirect), result.stdout);
  return result;
}

describe('the CI sequence on a pull request that opens a new flow', () => {
  it('writes the JUnit report, lint SARIF with results, and a failing diff that names the new pair', async () => {
    const steps = (await workflowSteps()).filter((s) => s.run !== undefined && commandLinesIn(s.run, '').length > 0);
    const results: RunResult[] = [];
    for (const step of steps) {
      const run = step.run as string;
      const redirect = /> (reports\/\S+)/.exec(run)?.[1];
      const [line] = commandLinesIn(run, step.name ?? '');
      results.push(await runInRepo(line as CommandLine, redirect));
    }
    const [test, lint, diff] = results as [RunResult, RunResult, RunResult];

    expect(test.code, test.stdout + test.stderr).toBe(0);
    const junit = await readFile(path.join(repo, 'reports/policy-tests.xml'), 'utf8');
    expect(junit).toMatch(/^<\?xml/);
    expect(junit).toContain('<testsuite name="shop"');
    expect(junit.match(/<testcase /g)).toHaveLength(3);

    expect(lint.code, lint.stderr).toBe(0);
    const sarif = JSON.parse(await readFile(path.join(repo, 'reports/lint.sarif'), 'utf8')) as { version: string; runs: { results: { ruleId: string }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);

    expect(diff.stderr).toBe('');
    expect(diff.code).toBe(1);
    const markdown = await readFile(path.join(repo, 'reports/diff.md'), 'utf8');
    expect(markdown).toContain('### NetworkPolicy changes');
    expect(markdown).toContain('| `shop/web` | `shop/api` | `TCP 8081` |');
  });

  it('the diff fails only on new allows: against the same revision it passes', async () => {
    const r = await explain(['-f', path.join(repo, 'deploy'), 'diff', '--git-base', 'HEAD', '--fail-on', 'new-allows', '-o', 'markdown']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('`shop/web` | `shop/api`');
  });
});
