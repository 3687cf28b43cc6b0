// docs/ci.md and its example workflow: the workflow is YAML in the shape GitHub
// Actions reads (on, jobs, steps that each run or use something), and every
// nftpol / policy-explain command line in either file exists: its subcommand
// and each flag checked against the program's own commander definitions.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandLinesIn, commandLinesOfMarkdown, problemsOf, programOf, type CommandLine } from './command-lines.ts';
import { readWorkflow, workflowSteps } from './workflow.ts';

const CI_DOC = fileURLToPath(new URL('../../docs/ci.md', import.meta.url));

async function workflowCommandLines(): Promise<CommandLine[]> {
  return (await workflowSteps()).flatMap((s, i) => (s.run === undefined ? [] : commandLinesIn(s.run, `policy-review.yml step ${s.name ?? i}`)));
}

async function expectAllExist(lines: readonly CommandLine[]): Promise<void> {
  const problems: string[] = [];
  for (const line of lines) problems.push(...(await problemsOf(line, await programOf(line.program))));
  expect(problems).toEqual([]);
}

const summary = (lines: readonly CommandLine[]): string[] => lines.map((l) => `${l.program} ${l.args.join(' ')}`);

describe('the example workflow docs/examples/policy-review.yml', () => {
  it('is a GitHub Actions workflow: on pull_request, a job whose steps run or use something', async () => {
    const wf = await readWorkflow();
    expect(Object.keys(wf.on)).toContain('pull_request');
    expect(wf.permissions).toMatchObject({ 'security-events': 'write', 'pull-requests': 'write' });
    const uses = (await workflowSteps()).flatMap((s) => (s.uses === undefined ? [] : [s.uses.split('@')[0]]));
    expect(uses).toEqual(expect.arrayContaining(['actions/checkout', 'github/codeql-action/upload-sarif']));
  });

  it('runs the documented sequence: nftpol test with JUnit, lint --strict as SARIF, diff --git-base origin/main as markdown', async () => {
    expect(summary(await workflowCommandLines())).toEqual([
      'nftpol test policy-tests --junit reports/policy-tests.xml',
      'policy-explain -f deploy -f rendered lint --strict -o sarif',
      'policy-explain -f deploy diff --git-base origin/main --fail-on new-allows -o markdown',
    ]);
  });

  it('uses only subcommands and flags the programs have', async () => {
    await expectAllExist(await workflowCommandLines());
  });
});

describe('docs/ci.md', () => {
  it('writes only nftpol and policy-explain command lines that exist', async () => {
    const lines = await commandLinesOfMarkdown(CI_DOC);
    expect(new Set(lines.map((l) => l.program))).toEqual(new Set(['nftpol', 'policy-explain']));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    await expectAllExist(lines);
  });
});

describe('the check can fail', () => {
  it('catches a flag, a subcommand and a choice the programs do not have', async () => {
    const bad = commandLinesIn([
      'policy-explain -f deploy lint --strict --sarif > lint.sarif',
      'nftpol test policy-tests --junit-xml junit.xml',
      'policy-explain -f deploy compare --git-base origin/main',
      'policy-explain -f deploy diff --git-base origin/main --fail-on new-allow',
      'nftpol check policy-tests',
    ].join('\n'), 'bad');
    expect(bad).toHaveLength(5);
    // One at a time: programOf swaps commander's parse on the prototype while main() runs.
    const problems: string[] = [];
    for (const l of bad) problems.push((await problemsOf(l, await programOf(l.program))).join('\n'));
    expect(problems[0]).toContain('--sarif is not a flag of policy-explain lint');
    expect(problems[1]).toContain('--junit-xml is not a flag of nftpol test');
    expect(problems[2]).toContain('compare is no subcommand of policy-explain');
    expect(problems[3]).toContain("argument 'new-allow' is invalid");
    expect(problems[4]).toContain('check is no subcommand of nftpol');
  });

  it('reads the flags from the programs: --junit, --strict, --git-base, --fail-on, -o are there', async () => {
    const explain = await programOf('policy-explain');
    const opts = (name: string) => (explain.commands.find((c) => c.name() === name)?.options ?? []).map((o) => o.long);
    expect(opts('lint')).toContain('--strict');
    expect(opts('diff')).toEqual(expect.arrayContaining(['--git-base', '--fail-on']));
    expect(explain.options.map((o) => o.short)).toEqual(expect.arrayContaining(['-f', '-o']));
    const test = (await programOf('nftpol')).commands.find((c) => c.name() === 'test');
    expect(test?.options.map((o) => o.long)).toContain('--junit');
  });
});
