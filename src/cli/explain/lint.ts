// policy-explain lint [--strict]: advice about policies that are valid but
// probably wrong. Exit 0, or 1 with --strict when there is any warning
// (info findings never fail). With -n, only the findings about objects of
// that namespace (as `kubectl get -n`); lint still reads the whole input, so
// a policy's peers in other namespaces are known.
import { lintCluster } from '../../lint/lint-cluster.ts';
import type { ClusterObjects } from '../../model/types.ts';
import { lintReport, renderLintMarkdown, renderLintText } from '../format/lint-output.ts';
import { lintSarif } from '../format/lint-sarif.ts';
import { packageVersion } from '../version.ts';
import { findingLines, repositoryRoot } from './lint-locations.ts';
import { failClosedField, failClosedText, requireFormat, toJson } from '../format/output.ts';
import { styleFor } from '../../explain/style.ts';
import { inputExit, loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';

export interface LintOptions extends GlobalOptions {
  readonly strict?: boolean;
}

function hasNamespace(objects: ClusterObjects, namespace: string): boolean {
  return objects.namespaces.some((n) => n.name === namespace)
    || objects.pods.some((p) => p.namespace === namespace)
    || objects.policies.some((p) => p.namespace === namespace);
}

export async function runLint(opts: LintOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown', 'sarif'], 'lint');
  const loaded = await loadInput(opts, io);
  const { objects } = loaded;
  const only = opts.namespace;
  if (only !== undefined && !hasNamespace(objects, only)) {
    throw new UsageError(`--namespace ${only}: no namespace, pod, workload or policy of that namespace in the input`);
  }
  const findings = lintCluster(objects).filter((f) => only === undefined || f.object.namespace === only);
  const report = lintReport(findings, opts.strict === true);
  if (format === 'sarif') {
    // Code scanning paths are relative to the repository the manifests are in.
    const cwd = process.cwd();
    io.stdout.write(toJson(lintSarif(findings, { version: packageVersion(), root: repositoryRoot(cwd), cwd, lines: findingLines(cwd) })));
  } else if (format === 'json') io.stdout.write(toJson({ ...report, ...failClosedField(loaded.failClosed) }));
  else if (format === 'markdown') io.stdout.write(`${renderLintMarkdown(report)}${failClosedText(loaded.failClosed)}`);
  else io.stdout.write(`${renderLintText(report, styleFor(io.stdout))}${failClosedText(loaded.failClosed)}`);
  return inputExit(loaded, report.passed ? EXIT.ok : EXIT.findings);
}
