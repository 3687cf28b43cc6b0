// policy-explain matrix: the command, its options and output formats; the
// matrix itself is computed in src/explain/matrix.ts.
import { computeConnectionMatrix, computeMatrix, matrixPods, matrixTooLarge, type MatrixPort } from '../../explain/matrix.ts';
import { parseIp } from '../../model/addresses.ts';
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
  /** Addresses to add as rows and columns (outside networks, nodes), as given. */
  readonly ip?: readonly string[];
}

/**
 * --ip values into canonical addresses, each once, in the order given. One
 * address, not a network: policies may treat the addresses of a network
 * differently (an ipBlock's except), so a row stands for one address.
 */
export function matrixAddresses(values: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const text = raw.startsWith('ip:') ? raw.slice(3) : raw;
    if (text.includes('/')) {
      throw new UsageError(`--ip ${raw}: give one address of that network (e.g. ${text.split('/')[0] ?? ''}); policies can treat its addresses differently (ipBlock except), so a row is one address`);
    }
    const parsed = parseIp(text);
    if (!parsed.ok) throw new UsageError(`--ip ${raw}: ${parsed.message}`);
    if (!out.includes(parsed.ip)) out.push(parsed.ip);
  }
  return out;
}

/** --port/--protocol into a MatrixPort; both absent = null: each pair's connection set. */
export function matrixPort(port: string | undefined, protocol: string | undefined): MatrixPort | null {
  if (port === undefined && protocol === undefined) return null;
  if (port === undefined && protocol !== undefined && ['TCP', 'UDP', 'SCTP'].includes(protocol.toUpperCase())) {
    throw new UsageError(`--protocol ${protocol} needs --port too (or leave both out for each pair's set of allowed ports and protocols)`);
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
  const addresses = matrixAddresses(opts.ip);
  const pods = matrixPods(state, opts.namespace ?? null);
  checkPortName(pods, port, opts.namespace);
  // Refused before any verdict is asked: n² of them would not finish.
  const tooLarge = matrixTooLarge(pods, opts.namespace ?? null, undefined, addresses.length);
  if (tooLarge !== undefined) throw new UsageError(tooLarge);
  // Without a port, each pair's exact connection set; with one, that port's verdict.
  const m = port === null
    ? computeConnectionMatrix(state, opts.namespace ?? null, pods, addresses)
    : computeMatrix(state, port, opts.namespace ?? null, pods, addresses);
  switch (format) {
    case 'json': io.stdout.write(toJson({ ...connectivityMatrix(m), ...failClosedField(loaded.failClosed) })); break;
    case 'markdown': io.stdout.write(`${renderMatrixMarkdown(m)}${failClosedText(loaded.failClosed)}`); break;
    case 'dot': io.stdout.write(renderMatrixDot(m)); break;
    case 'mermaid': io.stdout.write(renderMatrixMermaid(m)); break;
    default: io.stdout.write(`${renderMatrixText(m, styleFor(io.stdout))}${failClosedText(loaded.failClosed)}`);
  }
  return inputExit(loaded, EXIT.ok);
}
