// `--output json`: a PolicyTestReport envelope. One result per expanded case
// (every from/to pair), in file and case order; a failed case carries the
// policy engine's FlowVerdict (the same object `policy-explain -o json`
// prints as `flow`), so a pipeline can say why without running explain.
import type { IPFamily } from '../model/addresses.ts';
import type { FlowVerdict } from '../policy/trace.ts';
import { familyName, type FamilyName } from './flow-family.ts';
import type { CheckedBy, VerdictSourceName } from './verdict-source.ts';
import type { Expectation } from './policy-test.ts';
import { POLICY_TEST_API_VERSION } from './policy-test.ts';
import type { CaseResult, RunSummary, TestRun } from './run-tests.ts';
import { caseStep } from './run-tests.ts';

export interface PolicyTestCaseResult {
  /** The test file, as shown in text output. */
  readonly file: string;
  /** 0-based YAML document index of the PolicyTest in the file. */
  readonly document: number;
  /** metadata.name of the PolicyTest. */
  readonly test: string;
  /** Index of the case in its `cases` (a case with lists yields several results with one index). */
  readonly case: number;
  /** For a case of a step: the step's index in `steps` (absent for the starting state's cases). */
  readonly step?: number;
  /** The step's name, when it has one. */
  readonly stepName?: string;
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
  /** `nftpol test --family`: every case was decided over this family. Absent: each case on IPv4 when both ends have it, else IPv6. */
  readonly family?: FamilyName;
  readonly summary: RunSummary;
  readonly results: readonly PolicyTestCaseResult[];
}

/** One case's entry in `results`. */
function caseResultJson(c: CaseResult): PolicyTestCaseResult {
  const line = c.test.lineOf(c.case.field);
  const step = caseStep(c);
  return {
    file: c.test.file,
    document: c.test.document,
    test: c.test.name,
    case: c.case.index,
    ...(step && { step: step.index }),
    ...(step?.name !== undefined && { stepName: step.name }),
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
  };
}

/** The whole report of a run that kept its cases. */
export function buildJsonReport(run: TestRun): PolicyTestReport {
  const results = run.tests.flatMap((t) => t.cases.map(caseResultJson));
  return {
    apiVersion: POLICY_TEST_API_VERSION, kind: 'PolicyTestReport', dataplane: run.dataplane,
    ...(run.family !== undefined && { family: familyName(run.family) }), summary: run.summary, results,
  };
}

export function renderJsonReport(run: TestRun): string {
  return `${JSON.stringify(buildJsonReport(run), null, 2)}\n`;
}

/** Where the streamed report goes: write() returns false when the reader is behind (a Node stream). */
export interface JsonReportOutput {
  write(chunk: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

/** Text gathered before a write: a few hundred results a write, not one. */
const WRITE_AT = 64 * 1024;

/**
 * The same PolicyTestReport document, written as the run goes: the envelope,
 * then each result as it is decided (as runPolicyTests' onCase), then the
 * summary, which is known only at the end and so comes after `results` (key
 * order is not part of the schema). Nothing is written before the first
 * result, so a run refused for bad input leaves stdout empty. Waits for the
 * output to drain when it is behind, so memory stays flat however many
 * cases a run has.
 */
export class JsonReportWriter {
  private readonly out: JsonReportOutput;
  private readonly dataplane: VerdictSourceName;
  private readonly family: FamilyName | undefined;
  private pending = '';
  private started = false;

  constructor(out: JsonReportOutput, dataplane: VerdictSourceName, family?: IPFamily) {
    this.out = out;
    this.dataplane = dataplane;
    this.family = family === undefined ? undefined : familyName(family);
  }

  /** Adds one result; resolves once the output can take more. */
  async add(c: CaseResult): Promise<void> {
    this.pending += this.started ? ',\n' : this.head();
    this.started = true;
    this.pending += indent(JSON.stringify(caseResultJson(c), null, 2), '    ');
    if (this.pending.length >= WRITE_AT) await this.flush();
  }

  /** Closes `results`, adds the summary and writes what is left. */
  async end(summary: RunSummary): Promise<void> {
    this.pending += this.started ? '\n  ],\n' : `${this.head().slice(0, -'\n'.length)}],\n`;
    this.started = true;
    this.pending += `  "summary": ${indent(JSON.stringify(summary, null, 2), '  ').trimStart()}\n}\n`;
    await this.flush();
  }

  private head(): string {
    const family = this.family === undefined ? '' : `  "family": ${JSON.stringify(this.family)},\n`;
    return `{\n  "apiVersion": ${JSON.stringify(POLICY_TEST_API_VERSION)},\n  "kind": "PolicyTestReport",\n  "dataplane": ${JSON.stringify(this.dataplane)},\n${family}  "results": [\n`;
  }

  private async flush(): Promise<void> {
    const chunk = this.pending;
    this.pending = '';
    if (this.out.write(chunk) === false && this.out.once) {
      const once = this.out.once.bind(this.out);
      await new Promise<void>((resolve) => once('drain', resolve));
    }
  }
}

function indent(text: string, by: string): string {
  return by + text.replaceAll('\n', `\n${by}`);
}
