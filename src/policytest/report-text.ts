// The text report: one line per PolicyTest, each failed case with the
// engine's explanation (the same text `policy-explain` prints), passing cases
// too with verbose, and last, alone on its line, "N passed, M failed".
import { plain, type Style } from '../explain/style.ts';
import { renderVerdictText } from '../explain/verdict-text.ts';
import type { CaseResult, RunSummary, TestResult, TestRun } from './run-tests.ts';
import { caseFlowLabel, caseStep } from './run-tests.ts';
import { stepLabel } from './policy-test.ts';

export interface TextReportOptions {
  /** Also list passing cases. */
  readonly verbose?: boolean;
  readonly style?: Style;
}

/** "42 passed, 1 failed": the closing line CI reads. */
export function summaryLine(s: RunSummary): string {
  return `${s.passed} passed, ${s.failed} failed`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Where a case is written: "tests/db.yaml:14", for editors to jump to. */
export function caseLocation(c: CaseResult): string {
  const line = c.test.lineOf(c.case.field);
  return line === undefined ? c.test.file : `${c.test.file}:${line}`;
}

/**
 * "cases[1] "db from web" shop/web -> shop/db 5432/TCP"; a step's case names its step:
 * "steps[0].cases[1] "db from web" (step "web relabeled") shop/web -> ...".
 */
export function caseTitle(c: CaseResult): string {
  const name = c.case.name !== undefined ? ` ${JSON.stringify(c.case.name)}` : '';
  const step = caseStep(c);
  const at = step?.name !== undefined ? ` (step ${JSON.stringify(stepLabel(step))})` : '';
  return `${c.case.field}${name}${at} ${caseFlowLabel(c)}`;
}

function indent(text: string, by: string): string {
  return text.split('\n').map((l) => (l === '' ? l : by + l)).join('\n');
}

/** Which dataplane decided a case, and how: nothing for the model (the explanation says it all). */
export function decidedByText(c: CaseResult): string | undefined {
  if (c.checkedBy === 'model') return undefined;
  const how = c.checkedBy === 'kernel' ? 'decided by the kernel (real packets)' : 'decided at rule level (no SCTP sockets on this kernel)';
  return c.detail !== undefined && c.checkedBy === 'kernel' ? `${how}: ${c.detail}` : how;
}

/** For a case the kernel decided against the policy engine: say so, since it is nftpol's bug, not the policy's. */
export function disagreementText(c: CaseResult): string | undefined {
  if (c.checkedBy === 'model' || !c.verdict) return undefined;
  const model = c.verdict.allowed ? 'allow' : 'deny';
  if (model === c.actual) return `the policy engine agrees: ${model}`;
  return `the policy engine says ${model}: the ${c.checkedBy === 'rules' ? 'ruleset' : 'kernel'} and the model disagree (an nftpol bug, please report it)`;
}

function caseLines(c: CaseResult, s: Style): string[] {
  if (c.passed) return [`  ${s.green('ok')}    ${caseTitle(c)}: ${c.actual}${c.checkedBy === 'rules' ? s.dim('  (rule-level: no SCTP sockets)') : ''}`];
  const head = `  ${s.red('FAIL')}  ${caseTitle(c)}: expected ${c.case.expect}, got ${c.actual}  (${caseLocation(c)})`;
  const notes = [decidedByText(c), disagreementText(c)].filter((l): l is string => l !== undefined).map((l) => `        ${l}`);
  return c.verdict ? [head, ...notes, indent(renderVerdictText(c.verdict, s), '        ')] : [head, ...notes];
}

function testLines(t: TestResult, verbose: boolean, s: Style): string[] {
  const where = t.test.document > 0 ? `${t.test.file} doc ${t.test.document}` : t.test.file;
  const head = t.failed === 0
    ? `${s.green('ok')}    ${t.test.name} (${plural(t.cases.length, 'case')})  ${s.dim(where)}`
    : `${s.red('FAIL')}  ${t.test.name} (${t.failed} of ${plural(t.cases.length, 'case')} failed)  ${s.dim(where)}`;
  const lines = [head];
  for (const c of t.cases) if (verbose || !c.passed) lines.push(...caseLines(c, s));
  return lines;
}

export function renderTextReport(run: TestRun, opts: TextReportOptions = {}): string {
  const s = opts.style ?? plain;
  const lines: string[] = [];
  for (const t of run.tests) lines.push(...testLines(t, opts.verbose === true, s));
  const { summary } = run;
  const ruleLevel = run.tests.reduce((n, t) => n + t.cases.filter((c) => c.checkedBy === 'rules').length, 0);
  const on = run.dataplane === 'model' ? '' : ` on the ${run.dataplane} dataplane${ruleLevel > 0 ? ` (${plural(ruleLevel, 'case')} at rule level: no SCTP sockets)` : ''}`;
  const over = run.family === undefined ? '' : ` over IPv${run.family}`;
  lines.push('', `${plural(summary.tests, 'PolicyTest')} in ${plural(summary.files, 'file')}, ${plural(summary.cases, 'case')}${over}${on}`);
  // Plain, without colour: CI reads this line.
  lines.push(summaryLine(summary));
  return `${lines.join('\n')}\n`;
}
