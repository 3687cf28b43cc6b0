// policy-explain exposure: the command; the report itself is computed in
// src/explain/exposure.ts.
import { computeExposure, exposurePairs, MAX_EXPOSURE_PAIRS } from '../../explain/exposure.ts';
import { styleFor } from '../../explain/style.ts';
import { exposureJson, renderExposureMarkdown, renderExposureText } from '../format/exposure-output.ts';
import { failClosedField, failClosedText, requireFormat, toJson } from '../format/output.ts';
import { inputExit, loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';

export async function runExposure(opts: GlobalOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown'], 'exposure');
  const loaded = await loadInput(opts, io);
  const { state } = loaded;
  const namespace = opts.namespace ?? null;
  if (namespace !== null && ![...state.pods.values()].some((p) => p.namespace === namespace)) {
    throw new UsageError(`--namespace ${namespace}: no pod or workload in that namespace`);
  }
  // Refused before any verdict is asked: every workload against every other would not finish.
  const pairs = exposurePairs(state, namespace);
  if (pairs > MAX_EXPOSURE_PAIRS) {
    const fmt = (n: number): string => n.toLocaleString('en-US');
    throw new UsageError(`an exposure report here asks ${fmt(pairs)} connection sets, more than the ${fmt(MAX_EXPOSURE_PAIRS)} it is limited to` +
      `${namespace === null ? ': narrow it to one namespace with -n NAMESPACE' : ''}; policy-explain pod NAMESPACE/NAME says who may reach one pod`);
  }
  const report = computeExposure(state, namespace);
  switch (format) {
    case 'json': io.stdout.write(toJson({ ...exposureJson(report), ...failClosedField(loaded.failClosed) })); break;
    case 'markdown': io.stdout.write(`${renderExposureMarkdown(report)}${failClosedText(loaded.failClosed)}`); break;
    default: io.stdout.write(`${renderExposureText(report, styleFor(io.stdout))}${failClosedText(loaded.failClosed)}`);
  }
  return inputExit(loaded, EXIT.ok);
}
