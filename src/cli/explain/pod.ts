// policy-explain pod NS/NAME: the policies that select a pod (or workload),
// who may reach it on which ports, and whom it may reach.
import { podKey } from '../../model/types.ts';
import type { ClusterState } from '../../model/cluster-state.ts';
import type { Pod } from '../../model/types.ts';
import { PolicyEngine } from '../../policy/engine.ts';
import { requireFormat, toJson } from '../format/output.ts';
import { podExplanation, renderPodMarkdown, renderPodText } from '../format/pod-output.ts';
import { styleFor } from '../../explain/style.ts';
import { loadInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';
import { podReach } from '../../explain/pod-reach.ts';

/** A pod or workload by "namespace/name" ("name" alone means namespace default). */
export function findPod(state: ClusterState, spec: string): Pod {
  const key = spec.includes('/') ? spec : `default/${spec}`;
  const pod = state.pods.get(key);
  if (pod) return pod;
  const ns = key.split('/')[0] ?? '';
  const known = [...state.pods.values()].filter((p) => p.namespace === ns).map(podKey).sort();
  const hint = known.length > 0 ? `; namespace ${ns} has ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', ...' : ''}` : '';
  throw new UsageError(`no pod or workload ${key} in the input${hint}`);
}

export async function runPod(podSpec: string, opts: GlobalOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown'], 'pod');
  const { state } = await loadInput(opts, io);
  const reach = podReach(new PolicyEngine(state), findPod(state, podSpec));
  if (format === 'json') io.stdout.write(toJson(podExplanation(reach)));
  else if (format === 'markdown') io.stdout.write(renderPodMarkdown(reach));
  else io.stdout.write(renderPodText(reach, styleFor(io.stdout)));
  return EXIT.ok;
}
