// `--output json`: a PolicyTestReport envelope. One result per expanded case
// (every from/to pair), in file and case order; a failed case carries the
// policy engine's FlowVerdict (the same object `policy-explain -o json`
// prints as `flow`), so a pipeline can say why without running explain.
import type { FlowVerdict } from '../policy/trace.ts';
import type { CheckedBy, VerdictSourceName } from './verdict-source.ts';
import type { Expectation } from './parse-test-file.ts';
import { POLICY_TEST_API_VERSION } from './parse-test-file.ts';
import type { RunSummary, TestRun } from './run-tests.ts';

export interface PolicyTestCaseResult {
  /** The test file, as shown in text output. */
  readonly file: string;
  /** 0-based YAML document index of the PolicyTest in the file. */
  readonly document: number;
  /** metadata.name of the PolicyTest. */
  readonly test: string;
  /** Index of the case in `cases` (a case with lists yields several results with one index). */
  readonly case: number;
  readonly name?: string;
  /** 1-based line of the case in the file. */
  readonly line?: number;
  readonly from: string;
  readonly to: string;
  /** As written: a number or a container port name. */
  readonly port: number | string;
  readonly protocol: string;
  readonly expect: Expectation;
  readonly actual: Expectation;
  readonly passed: boolean;
  /** What decided `actual`: `model`, `kernel` (real packets), or `rules` (the kernel's applied rulesets read for the flow: no SCTP sockets). */
  readonly checkedBy: CheckedBy;
  /** How the dataplane decided (kernel: the probe's outcome), when it says. */
  readonly detail?: string;
  /** Failed cases only. */
  readonly verdict?: FlowVerdict;
}

export interface PolicyTestReport {
  readonly apiVersion: typeof POLICY_TEST_API_VERSION;
  readonly kind: 'PolicyTestReport';
  readonly dataplane: VerdictSourceName;
  readonly summary: RunSummary;
  readonly results: readonly PolicyTestCaseResult[];
}

export function buildJsonReport(run: TestRun): PolicyTestReport {
  const results: PolicyTestCaseResult[] = [];
  for (const t of run.tests) {
    for (const c of t.cases) {
      const line = t.test.lineOf(`cases[${c.case.index}]`);
      results.push({
        file: t.test.file,
        document: t.test.document,
        test: t.test.name,
        case: c.case.index,
        ...(c.case.name !== undefined && { name: c.case.name }),
        ...(line !== undefined && { line }),
        from: c.from,
        to: c.to,
        port: c.case.port,
        protocol: c.case.protocol,
        expect: c.case.expect,
        actual: c.actual,
        passed: c.passed,
        checkedBy: c.checkedBy,
        ...(c.detail !== undefined && { detail: c.detail }),
        ...(c.verdict && { verdict: c.verdict }),
      });
    }
  }
  return { apiVersion: POLICY_TEST_API_VERSION, kind: 'PolicyTestReport', dataplane: run.dataplane, summary: run.summary, results };
}

export function renderJsonReport(run: TestRun): string {
  return `${JSON.stringify(buildJsonReport(run), null, 2)}\n`;
}
