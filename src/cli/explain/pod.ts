// policy-explain pod NAME: the policies that select a pod (or workload),
// who may reach it on which ports, and whom it may reach.
import { PolicyEngine } from '../../policy/engine.ts';
import { findPod } from '../../policy/find-pod.ts';
import { requireFormat, toJson } from '../format/output.ts';
import { podExplanation, renderPodMarkdown, renderPodText } from '../format/pod-output.ts';
import { styleFor } from '../../explain/style.ts';
import { inputExit, loadInput } from '../input.ts';
import { EXIT, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';
import { podReach } from '../../explain/pod-reach.ts';

export async function runPod(podSpec: string, opts: GlobalOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown'], 'pod');
  const loaded = await loadInput(opts, io);
  const { state, namespace } = loaded;
  const reach = podReach(new PolicyEngine(state), findPod(state, podSpec, namespace));
  if (format === 'json') io.stdout.write(toJson(podExplanation(reach)));
  else if (format === 'markdown') io.stdout.write(renderPodMarkdown(reach));
  else io.stdout.write(renderPodText(reach, styleFor(io.stdout)));
  return inputExit(loaded, EXIT.ok);
}
