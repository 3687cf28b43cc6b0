// namespace-not-isolated (info): namespaces with pods where no policy isolates
// any pod in a direction, so every pod there accepts (or sends) anything in
// that direction. Often deliberate, hence info; but it is the first thing to
// know when auditing a cluster, and a default-deny policy is the usual fix.
// One finding per namespace, naming the open directions, to keep the list
// as short as the namespaces. A direction in which cluster-wide policies
// select a pod of the namespace is not open (their rules decide some of it).
import { podKey } from '../../model/types.ts';
import type { Direction, Pod } from '../../model/types.ts';
import { firstFew, type LintFinding } from '../finding.ts';
import { DIRECTIONS, type LintContext } from '../lint-context.ts';

function hasClusterPolicies(ctx: LintContext, pod: Pod, direction: Direction): boolean {
  const tiers = ctx.engine.tierPolicies(pod, direction);
  return tiers.admin.length > 0 || tiers.baseline.length > 0;
}

export function checkNamespaceNotIsolated(ctx: LintContext): LintFinding[] {
  const byNs = new Map<string, Pod[]>();
  for (const pod of ctx.pods) {
    const list = byNs.get(pod.namespace);
    if (list) list.push(pod);
    else byNs.set(pod.namespace, [pod]);
  }
  const out: LintFinding[] = [];
  for (const [ns, pods] of [...byNs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const open: Direction[] = DIRECTIONS.filter((d) => !pods.some((pod) => ctx.engine.isIsolated(pod, d) || hasClusterPolicies(ctx, pod, d)));
    if (open.length === 0) continue;
    const source = ctx.state.namespaces.get(ns)?.source;
    const what = open.length === 2 ? 'send and accept' : open[0] === 'ingress' ? 'accept' : 'send';
    out.push({
      id: 'namespace-not-isolated',
      severity: 'info',
      object: { kind: 'Namespace', namespace: ns, name: ns },
      field: '',
      message: `no policy isolates any pod of namespace ${ns} for ${open.join(' or ')}: its ${pods.length} pod(s) ` +
        `(${firstFew(pods.map(podKey))}) ${what} any traffic`,
      ...(source ? { source } : {}),
    });
  }
  return out;
}
