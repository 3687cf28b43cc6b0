// policy-explain matrix: the command, its options and output formats; the
// matrix itself is computed in src/explain/matrix.ts.
import { computeMatrix, type MatrixPort } from '../../explain/matrix.ts';
import { styleFor } from '../../explain/style.ts';
import { parsePortSpec } from '../../policy/flow-spec.ts';
import { renderMatrixDot, renderMatrixMermaid } from '../format/matrix-graph.ts';
import { connectivityMatrix, renderMatrixMarkdown, renderMatrixText } from '../format/matrix-output.ts';
import { requireFormat, toJson } from '../format/output.ts';
import { loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';

export interface MatrixOptions extends GlobalOptions {
  readonly port?: string;
  readonly protocol?: string;
  readonly namespace?: string;
}

/** --port/--protocol into a MatrixPort; both absent = declared ports. */
export function matrixPort(port: string | undefined, protocol: string | undefined): MatrixPort | null {
  if (port === undefined && protocol === undefined) return null;
  if (port === undefined && protocol !== undefined && ['TCP', 'UDP', 'SCTP'].includes(protocol.toUpperCase())) {
    throw new UsageError(`--protocol ${protocol} needs --port too (or leave both out to use each destination's declared ports)`);
  }
  const spec = parsePortSpec(port, protocol);
  const p = spec.port;
  return { protocol: spec.protocol, port: typeof p === 'number' ? p : null, name: typeof p === 'string' ? p : null };
}

export async function runMatrix(opts: MatrixOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown', 'dot', 'mermaid'], 'matrix');
  const port = matrixPort(opts.port, opts.protocol);
  const { state } = await loadInput(opts, io);
  if (opts.namespace !== undefined && ![...state.pods.values()].some((p) => p.namespace === opts.namespace)) {
    throw new UsageError(`--namespace ${opts.namespace}: no pod or workload in that namespace`);
  }
  const m = computeMatrix(state, port, opts.namespace ?? null);
  switch (format) {
    case 'json': io.stdout.write(toJson(connectivityMatrix(m))); break;
    case 'markdown': io.stdout.write(renderMatrixMarkdown(m)); break;
    case 'dot': io.stdout.write(renderMatrixDot(m)); break;
    case 'mermaid': io.stdout.write(renderMatrixMermaid(m)); break;
    default: io.stdout.write(renderMatrixText(m, styleFor(io.stdout)));
  }
  return EXIT.ok;
}
