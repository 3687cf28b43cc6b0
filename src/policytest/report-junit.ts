// `--junit FILE`: JUnit XML for CI test reports. One <testsuite> per
// PolicyTest, one <testcase> per expanded case (every from/to pair); a failed
// case's <failure> has the why-not as its message and the engine's full
// explanation as its text. No timings: the output is deterministic. On the kernel
// dataplane, cases decided at rule level (SCTP) carry a checkedBy=rules property.
import { plain } from '../explain/style.ts';
import { exceptionText, renderVerdictText, whyNot } from '../explain/verdict-text.ts';
import { familyName } from './flow-family.ts';
import { decidedByText, disagreementText } from './report-text.ts';
import type { CaseResult, TestRun } from './run-tests.ts';
import { caseFlowLabel, caseStep } from './run-tests.ts';
import { stepLabel } from './policy-test.ts';

// XML 1.0 allows tab, newline, carriage return and everything from U+0020 up,
// except the surrogates (unpaired ones) and U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for an XML attribute value or element content; drops characters XML cannot hold. */
export function escapeXml(text: string): string {
  return text.replace(INVALID_XML_CHARS, '\uFFFD').replace(/[&<>"'\r\n\t]/g, (ch) => {
    switch (ch) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      // In attributes a raw newline or tab would be normalized to a space.
      case '\n': return '&#10;';
      case '\r': return '&#13;';
      default: return '&#9;';
    }
  });
}

/** Element text: newlines kept as they are (readable in CI logs). */
function escapeText(text: string): string {
  return text.replace(INVALID_XML_CHARS, '\uFFFD').replace(/[&<>]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : '&gt;')).replace(/\r/g, '&#13;');
}

function attrs(pairs: Record<string, string | number | undefined>): string {
  return Object.entries(pairs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

/** The testcase name: the step (if any), the case's name (if any), the flow, and what was expected. */
export function junitCaseName(c: CaseResult): string {
  const flow = `${caseFlowLabel(c)} expect ${c.case.expect}`;
  const step = caseStep(c);
  const name = c.case.name !== undefined ? `${c.case.name}: ${flow}` : `${step ? `cases[${c.case.index}]` : c.case.field} ${flow}`;
  return step ? `[${stepLabel(step)}] ${name}` : name;
}

function failure(c: CaseResult): string {
  const why = c.verdict ? whyNot(c.verdict) : undefined;
  const allowedBy = c.verdict?.allowed ? allowedByText(c) : undefined;
  const decided = [decidedByText(c), disagreementText(c)].filter((l): l is string => l !== undefined);
  const message = `expected ${c.case.expect}, got ${c.actual}${decided.length > 0 ? ` (${decided.join('; ')})` : ''}${why ? `: ${why}` : allowedBy ? `: ${allowedBy}` : ''}`;
  const body = c.verdict ? `${message}\n\n${renderVerdictText(c.verdict, plain)}\n` : `${message}\n`;
  return `      <failure${attrs({ message, type: 'PolicyMismatch' })}>${escapeText(body)}</failure>\n`;
}

/** Why an unexpected allow happened, in a few words. */
function allowedByText(c: CaseResult): string | undefined {
  const v = c.verdict;
  if (!v) return undefined;
  const exception = exceptionText(v);
  if (exception !== undefined) return exception;
  const parts = [v.egress, v.ingress].map((d) => {
    const m = d.allowedBy[0];
    return m ? `${d.direction} allowed by ${m.policy} ${m.field}` : `${d.direction}: ${d.summary}`;
  });
  return parts.join('; ');
}

export function renderJunitReport(run: TestRun): string {
  const { summary } = run;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  out.push(`<testsuites${attrs({ name: 'nftpol test', tests: summary.cases, failures: summary.failed, errors: 0 })}>\n`);
  for (const t of run.tests) {
    const suiteName = t.test.name;
    out.push(`  <testsuite${attrs({ name: suiteName, tests: t.cases.length, failures: t.failed, errors: 0, skipped: 0, file: t.test.file })}>\n`);
    // `family` only with --family: the address family every case went over.
    const family = run.family === undefined ? '' : `      <property${attrs({ name: 'family', value: familyName(run.family) })}/>\n`;
    out.push(`    <properties>\n      <property${attrs({ name: 'dataplane', value: run.dataplane })}/>\n${family}      <property${attrs({ name: 'document', value: t.test.document })}/>\n    </properties>\n`);
    for (const c of t.cases) {
      const line = t.test.lineOf(c.case.field);
      const open = `    <testcase${attrs({ name: junitCaseName(c), classname: suiteName, file: t.test.file, line })}`;
      // A case the kernel dataplane decided at rule level (no SCTP sockets) says so; the
      // others were decided by the suite's dataplane.
      // A step's case names its step (index and name) for tools that group by it.
      const step = caseStep(c);
      const props = [
        ...(c.checkedBy === 'rules' ? [`        <property${attrs({ name: 'checkedBy', value: c.checkedBy })}/>\n`] : []),
        ...(step ? [`        <property${attrs({ name: 'step', value: step.index })}/>\n`] : []),
        ...(step?.name !== undefined ? [`        <property${attrs({ name: 'stepName', value: step.name })}/>\n`] : []),
      ];
      const checked = props.length === 0 ? '' : `      <properties>\n${props.join('')}      </properties>\n`;
      const out1 = c.passed ? '' : failure(c);
      out.push(checked === '' && out1 === '' ? `${open}/>\n` : `${open}>\n${checked}${out1}    </testcase>\n`);
    }
    out.push('  </testsuite>\n');
  }
  out.push('</testsuites>\n');
  return out.join('');
}
