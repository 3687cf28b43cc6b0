// policy-explain lint [--strict]: advice about policies that are valid but
// probably wrong. Exit 0, or 1 with --strict when there is any warning
// (info findings never fail).
import { lintCluster } from '../../lint/lint-cluster.ts';
import { lintReport, renderLintMarkdown, renderLintText } from '../format/lint-output.ts';
import { requireFormat, toJson } from '../format/output.ts';
import { styleFor } from '../../explain/style.ts';
import { loadInput } from '../input.ts';
import { EXIT, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';

export interface LintOptions extends GlobalOptions {
  readonly strict?: boolean;
}

export async function runLint(opts: LintOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown'], 'lint');
  const { objects } = await loadInput(opts, io);
  const report = lintReport(lintCluster(objects), opts.strict === true);
  if (format === 'json') io.stdout.write(toJson(report));
  else if (format === 'markdown') io.stdout.write(renderLintMarkdown(report));
  else io.stdout.write(renderLintText(report, styleFor(io.stdout)));
  return report.passed ? EXIT.ok : EXIT.findings;
}
