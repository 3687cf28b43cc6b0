// The lint command's output: a LintReport (JSON), aligned text, or markdown.
import type { LintFinding } from '../../lint/lint-cluster.ts';
import { formatSourceRef } from '../../model/problems.ts';
import { alignColumns } from './columns.ts';
import { mdCode, mdTable } from './markdown.ts';
import { envelope, type Envelope } from './output.ts';
import { plain, type Style } from '../../explain/style.ts';

export interface LintSummary {
  readonly warnings: number;
  readonly info: number;
}

export interface LintReport extends Envelope<'LintReport'> {
  readonly strict: boolean;
  /** False only with --strict and at least one warning (the exit code is then 1). */
  readonly passed: boolean;
  readonly summary: LintSummary;
  readonly findings: readonly LintFinding[];
}

export function lintSummary(findings: readonly LintFinding[]): LintSummary {
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  return { warnings, info: findings.length - warnings };
}

export function lintReport(findings: readonly LintFinding[], strict: boolean): LintReport {
  const summary = lintSummary(findings);
  return envelope('LintReport', { strict, passed: !(strict && summary.warnings > 0), summary, findings });
}

function objectName(f: LintFinding): string {
  // A Namespace and the cluster-scoped policies have no namespace to write.
  const name = f.object.kind === 'Namespace' || f.object.namespace === '' ? f.object.name : `${f.object.namespace}/${f.object.name}`;
  return `${f.object.kind} ${name}`;
}

function summaryLine(s: LintSummary): string {
  if (s.warnings + s.info === 0) return 'no findings';
  return `${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.info} info`;
}

export function renderLintText(report: LintReport, s: Style = plain): string {
  if (report.findings.length === 0) return `${summaryLine(report.summary)}\n`;
  const rows = report.findings.map((f) => [
    f.severity === 'warning' ? s.yellow('warning') : s.cyan('info'),
    objectName(f),
    f.field === '' ? '-' : f.field,
    `${f.message} ${s.dim(`[${f.id}]`)}${f.source ? s.dim(` (${formatSourceRef(f.source)})`) : ''}`,
  ]);
  const lines = alignColumns([['SEVERITY', 'OBJECT', 'FIELD', 'MESSAGE'], ...rows]);
  return `${[...lines, '', summaryLine(report.summary)].join('\n')}\n`;
}

export function renderLintMarkdown(report: LintReport): string {
  const lines = ['### Lint', ''];
  if (report.findings.length === 0) return `${[...lines, 'No findings.'].join('\n')}\n`;
  const rows = report.findings.map((f) => [
    f.severity, objectName(f), mdCode(f.field), f.message, mdCode(f.id), f.source ? formatSourceRef(f.source) : '',
  ]);
  lines.push(...mdTable(['severity', 'object', 'field', 'message', 'check', 'source'], rows), '', `${summaryLine(report.summary)}.`);
  return `${lines.join('\n')}\n`;
}
