// policy-explain matrix: the command, its options and output formats; the
// matrix itself is computed in src/explain/matrix.ts.
import { computeMatrix, matrixPods, matrixTooLarge, type MatrixPort } from '../../explain/matrix.ts';
import { styleFor } from '../../explain/style.ts';
import type { Pod } from '../../model/types.ts';
import { parsePortSpec } from '../../policy/flow-spec.ts';
import { resolveNamedPort } from '../../policy/port-match.ts';
import { renderMatrixDot, renderMatrixMermaid } from '../format/matrix-graph.ts';
import { connectivityMatrix, renderMatrixMarkdown, renderMatrixText } from '../format/matrix-output.ts';
import { failClosedField, failClosedText, requireFormat, toJson } from '../format/output.ts';
import { inputExit, loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';

export interface MatrixOptions extends GlobalOptions {
  readonly port?: string;
  readonly protocol?: string;
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

/**
 * A port name that no pod of the matrix declares would make every cell "n/a":
 * a typo, reported as one (with the protocols it does exist for, if any).
 */
function checkPortName(pods: readonly Pod[], port: MatrixPort | null, namespace: string | undefined): void {
  const name = port?.name ?? null;
  if (port === null || name === null) return;
  if (pods.some((p) => resolveNamedPort(p, name, port.protocol) !== undefined)) return;
  const scope = namespace === undefined ? '' : ` in namespace ${namespace}`;
  const others = [...new Set(pods.flatMap((p) => p.ports.filter((c) => c.name === name).map((c) => c.protocol)))].sort();
  const hint = others.length > 0 ? ` (it is a ${others.join('/')} port: --port ${name}/${others[0] ?? ''})` : '';
  throw new UsageError(`--port ${name}: no pod or workload${scope} has a ${port.protocol} container port named ${name}${hint}`);
}

export async function runMatrix(opts: MatrixOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown', 'dot', 'mermaid'], 'matrix');
  const port = matrixPort(opts.port, opts.protocol);
  const loaded = await loadInput(opts, io);
  const { state } = loaded;
  // Only -n narrows the matrix, as `kubectl get -n`; a live context's namespace
  // is where names are looked up, but the matrix still shows every namespace.
  if (opts.namespace !== undefined && ![...state.pods.values()].some((p) => p.namespace === opts.namespace)) {
    throw new UsageError(`--namespace ${opts.namespace}: no pod or workload in that namespace`);
  }
  const pods = matrixPods(state, opts.namespace ?? null);
  checkPortName(pods, port, opts.namespace);
  // Refused before any verdict is asked: n² of them would not finish.
  const tooLarge = matrixTooLarge(pods, opts.namespace ?? null);
  if (tooLarge !== undefined) throw new UsageError(tooLarge);
  const m = computeMatrix(state, port, opts.namespace ?? null, pods);
  switch (format) {
    case 'json': io.stdout.write(toJson({ ...connectivityMatrix(m), ...failClosedField(loaded.failClosed) })); break;
    case 'markdown': io.stdout.write(`${renderMatrixMarkdown(m)}${failClosedText(loaded.failClosed)}`); break;
    case 'dot': io.stdout.write(renderMatrixDot(m)); break;
    case 'mermaid': io.stdout.write(renderMatrixMermaid(m)); break;
    default: io.stdout.write(`${renderMatrixText(m, styleFor(io.stdout))}${failClosedText(loaded.failClosed)}`);
  }
  return inputExit(loaded, EXIT.ok);
}
