// policy-explain [flow] --from A --to B --port P: the verdict of one flow,
// each direction with the policy and rule that decided it, and for a denial
// the closest rule and the field that failed ("why not").
import { PolicyEngine } from '../../policy/engine.ts';
import { FlowSpecError, resolveFlow } from '../../policy/flow-spec.ts';
import { flowExplanation, renderFlowMarkdown } from '../format/flow-output.ts';
import { requireFormat, toJson } from '../format/output.ts';
import { styleFor } from '../../explain/style.ts';
import { renderVerdictText } from '../../explain/verdict-text.ts';
import { inputExit, loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';

export interface FlowOptions extends GlobalOptions {
  readonly from?: string;
  readonly to?: string;
  readonly port?: string;
  readonly protocol?: string;
}

/**
 * Without --port, the engine's only port complaint is that the protocol needs one ("a TCP flow
 * needs a port"): here the port is a flag, so the message names it.
 */
function withPortOption<T>(opts: FlowOptions, resolve: () => T): T {
  try {
    return resolve();
  } catch (err) {
    if (!(err instanceof FlowSpecError && err.part === 'port' && opts.port === undefined)) throw err;
    const protocol = (opts.protocol ?? 'TCP').toUpperCase();
    throw new UsageError(`a ${protocol} flow needs --port: a number or a container-port name, optionally /PROTOCOL (80, 80/UDP, http)`);
  }
}

/**
 * Prints the verdict, whatever it is: exit 0 for allowed and denied alike.
 * `otherCommands` are the program's commands besides flow, named when there is nothing to explain.
 */
export async function runFlow(opts: FlowOptions, io: CliIO, otherCommands: readonly string[]): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown'], 'flow');
  const { from, to } = opts;
  if (from === undefined && to === undefined) {
    throw new UsageError(`nothing to explain: give --from and --to (and --port) for a flow, or a command: ${otherCommands.join(', ')} (see policy-explain --help)`);
  }
  if (from === undefined || to === undefined) {
    throw new UsageError(`a flow needs ${from === undefined ? '--from (the source' : '--to (the destination'}: NAME, NAMESPACE/NAME, KIND/NAME, ip:ADDRESS or node:NAME)`);
  }
  const loaded = await loadInput(opts, io);
  const { state, namespace } = loaded;
  const flow = withPortOption(opts, () => resolveFlow(state, {
    from,
    to,
    namespace,
    ...(opts.port !== undefined && { port: opts.port }),
    ...(opts.protocol !== undefined && { protocol: opts.protocol }),
  }));
  const verdict = new PolicyEngine(state).evaluate(flow);
  if (format === 'json') {
    const query = { from, to, port: opts.port ?? null, protocol: opts.protocol ?? null, namespace };
    io.stdout.write(toJson(flowExplanation(query, verdict)));
  } else if (format === 'markdown') {
    io.stdout.write(renderFlowMarkdown(verdict));
  } else {
    io.stdout.write(`${renderVerdictText(verdict, styleFor(io.stdout))}\n`);
  }
  return inputExit(loaded, EXIT.ok);
}
