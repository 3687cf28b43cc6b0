// The text report: one line per PolicyTest, each failed case with the
// engine's explanation (the same text `policy-explain` prints), passing cases
// too with verbose, and last, alone on its line, "N passed, M failed".
import { plain, type Style } from '../cli/format/style.ts';
import { renderVerdictText } from '../cli/format/verdict-text.ts';
import type { CaseResult, RunSummary, TestResult, TestRun } from './run-tests.ts';
import { caseFlowLabel } from './run-tests.ts';

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
  const line = c.test.lineOf(`cases[${c.case.index}]`);
  return line === undefined ? c.test.file : `${c.test.file}:${line}`;
}

/** "cases[1] "db from web" shop/web -> shop/db 5432/TCP" */
export function caseTitle(c: CaseResult): string {
  const name = c.case.name !== undefined ? ` ${JSON.stringify(c.case.name)}` : '';
  return `cases[${c.case.index}]${name} ${caseFlowLabel(c)}`;
}

function indent(text: string, by: string): string {
  return text.split('\n').map((l) => (l === '' ? l : by + l)).join('\n');
}

function caseLines(c: CaseResult, s: Style): string[] {
  if (c.passed) return [`  ${s.green('ok')}    ${caseTitle(c)}: ${c.actual}`];
  const head = `  ${s.red('FAIL')}  ${caseTitle(c)}: expected ${c.case.expect}, got ${c.actual}  (${caseLocation(c)})`;
  return c.verdict ? [head, indent(renderVerdictText(c.verdict, s), '        ')] : [head];
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
  const on = run.dataplane === 'model' ? '' : ` on the ${run.dataplane} dataplane`;
  lines.push('', `${plural(summary.tests, 'PolicyTest')} in ${plural(summary.files, 'file')}, ${plural(summary.cases, 'case')}${on}`);
  // Plain, without colour: CI reads this line.
  lines.push(summaryLine(summary));
  return `${lines.join('\n')}\n`;
}
