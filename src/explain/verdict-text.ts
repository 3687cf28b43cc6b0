// Text form of a flow verdict: the verdict line, then each direction with the
// tier, policy and rule that decided it (an Admin or Baseline rule of a
// cluster-wide policy, the NetworkPolicies that isolate the pod, or the
// default), the Pass rules taken on the way, and for a denial the "why not".
import { clusterRuleText } from '../policy/tiers.ts';
import type { ClusterRuleHit, DirectionVerdict, EndpointSummary, FlowNote, FlowVerdict, PolicyMiss } from '../policy/trace.ts';
import { closestMiss } from '../policy/trace.ts';
import { plain, type Style } from './style.ts';

export function endpointLabel(e: EndpointSummary): string {
  if (e.kind === 'pod') return `${e.pod} (${e.ip})`;
  if (e.kind === 'node') return e.pod ? `host-network ${e.pod} on node ${e.node ?? '?'} (${e.ip})` : `node ${e.node ?? '?'} (${e.ip})`;
  return e.unknownPodOn ? `${e.ip} (unknown pod on ${e.unknownPodOn})` : e.ip;
}

export function flowLabel(v: FlowVerdict): string {
  const port = v.flow.port !== undefined ? `${v.flow.port}/${v.flow.protocol}` : v.flow.protocol;
  return `${endpointLabel(v.flow.from)} -> ${endpointLabel(v.flow.to)} ${port}`;
}

export { clusterRuleText };

const NEXT_TEXT: Readonly<Record<NonNullable<ClusterRuleHit['next']>, string>> = {
  NetworkPolicy: 'NetworkPolicy',
  Baseline: 'the Baseline tier',
  default: 'the default (allow)',
};

/** A Pass taken, and where evaluation went next. */
export function passText(h: ClusterRuleHit): string {
  return `${clusterRuleText(h)} passed to ${h.next !== undefined ? NEXT_TEXT[h.next] : 'the next tier'}`;
}

/** The lines of one policy's rules that did not match (why each missed). */
function clusterMissLines(pm: PolicyMiss): string[] {
  return [...(pm.reason ? [`  no match: ${pm.policy}: ${pm.reason}`] : []), ...pm.rules.map((r) => `  no match: ${pm.policy} ${r.field}: ${r.reason}`)];
}

/**
 * The cluster rules of a direction in the order the tiers evaluated them: the
 * trace keeps the misses and the Passes apart, so each is placed by its
 * policy's place in clusterPolicies (evaluation order), and a policy's misses
 * (its rules before the one that matched) before its Pass or decision. The
 * misses are shown only for a denial (an Accept that missed is worth reading
 * then, noise otherwise).
 */
function clusterStepLines(d: DirectionVerdict): string[] {
  const order = new Map((d.clusterPolicies ?? []).map((key, i) => [key, i]));
  const at = (policy: string): number => order.get(policy) ?? order.size;
  const steps: { readonly place: number; readonly lines: string[] }[] = [];
  if (!d.allowed) for (const pm of d.clusterMisses ?? []) steps.push({ place: 2 * at(pm.policy), lines: clusterMissLines(pm) });
  for (const p of d.passes ?? []) steps.push({ place: 2 * at(p.policy) + 1, lines: [`  ${passText(p)}`] });
  if (d.decision !== undefined) {
    steps.push({ place: 2 * at(d.decision.policy) + 1, lines: [`  ${d.decision.action === 'Accept' ? 'allowed' : 'denied'} by ${clusterRuleText(d.decision)}`] });
  }
  // A stable sort: misses of one policy keep the trace's (rule) order.
  return steps.sort((a, b) => a.place - b.place).flatMap((x) => x.lines);
}

/** The lines of a direction decided with cluster-wide policies in play (DirectionVerdict.tier set). */
function tierLines(d: DirectionVerdict, head: string): string[] {
  // The default's summary already says which Pass led there, if one did.
  if (d.tier === 'default') return [`${head} (${d.summary})`];
  const where = d.tier === 'NetworkPolicy' ? `decided by NetworkPolicy: isolated by ${d.policies.join(', ')}` : `decided in the ${d.tier ?? ''} tier`;
  const lines = [`${head} (${where})`, ...clusterStepLines(d)];
  if (d.tier === 'NetworkPolicy') lines.push(...networkPolicyLines(d));
  return lines;
}

/** The NetworkPolicy part of a direction: the rules that allow, or why each isolating policy's rules missed. */
function networkPolicyLines(d: DirectionVerdict): string[] {
  // NetworkPolicy's own rule (a pod and its own node always talk) decided, not its rules.
  if (d.ownNode === true) return [`  ${d.summary}`];
  const lines: string[] = [];
  for (const m of d.allowedBy) {
    const peer = m.peer === null ? 'any peer' : `${d.direction === 'ingress' ? 'from' : 'to'}[${m.peer}]`;
    const port = m.port === null ? 'any port' : `ports[${m.port}]`;
    lines.push(`  allowed by ${m.policy} ${m.field} (${peer}, ${port})`);
  }
  for (const pm of d.misses) {
    if (pm.reason) lines.push(`  ${pm.policy}: ${pm.reason}`);
    for (const r of pm.rules) lines.push(`  ${pm.policy} ${r.field}: ${r.reason}`);
  }
  return lines;
}

function directionLines(d: DirectionVerdict, s: Style): string[] {
  const who = d.pod ?? 'peer';
  const head = `${d.direction} of ${who}: ${d.allowed ? s.green('allowed') : s.red('denied')}`;
  if (d.tier !== undefined) return tierLines(d, head);
  if (!d.isolated) return [`${head} (${d.summary})`];
  return [`${head} (isolated by ${d.policies.join(', ')})`, ...networkPolicyLines(d)];
}

/** The "why not" of a denial: the closest rule and the field that failed. */
export function whyNot(v: FlowVerdict): string | undefined {
  if (v.allowed) return undefined;
  if (v.decidedBy === 'unknown-pod') {
    const e = v.flow.from.unknownPodOn ? v.flow.from : v.flow.to;
    return `${e.ip} is in node ${e.unknownPodOn ?? '?'}'s pod CIDR and no known pod holds it (fail closed)`;
  }
  for (const d of [v.egress, v.ingress]) {
    const why = directionWhyNot(d);
    if (why !== undefined) return why;
  }
  return undefined;
}

/** The "why not" of one denied direction (undefined when it allows, or nothing names a reason). */
export function directionWhyNot(d: DirectionVerdict): string | undefined {
  if (d.allowed) return undefined;
  // A Deny of a cluster-wide policy decided: that rule is the answer.
  if (d.decision !== undefined) return `${d.direction} of ${d.pod ?? 'peer'} denied by ${clusterRuleText(d.decision)}`;
  const c = closestMiss(d);
  // Denied by NetworkPolicy after an Admin Pass: say so, the Pass is why NetworkPolicy decided.
  const after = (d.passes ?? []).map((p) => ` (NetworkPolicy decided because ${passText(p)})`).join('');
  if (c) return `${c.policy} ${c.miss.field}: ${c.miss.reason}${after}`;
  const empty = d.misses.find((m) => m.reason);
  if (empty) return `${empty.policy}: ${empty.reason}${after}`;
  return undefined;
}

/**
 * Why an allowing exception (self, node) decided the flow, in words; the
 * flow's two ends are compared so that two host-network pods of one node
 * (one address: the node's) are not called "a pod reaching itself".
 */
export function exceptionText(v: FlowVerdict): string | undefined {
  if (v.decidedBy === 'node') return 'traffic between a pod and its own node is always allowed';
  if (v.decidedBy !== 'self') return undefined;
  const { from, to } = v.flow;
  if (from.kind === 'pod' && to.kind === 'pod' && from.pod === to.pod) return 'a pod can always reach itself';
  if (from.kind === 'node' || to.kind === 'node') {
    const node = from.node ?? to.node ?? '?';
    return `both ends use node ${node}'s address ${from.ip} (host network), so this is the node talking to itself; no policy applies to it`;
  }
  return `both ends are the address ${from.ip}: traffic that stays inside one host is never filtered`;
}

/** A note the verdict rests on (a shared address, a policy failing closed), in words. */
export function noteText(n: FlowNote): string {
  if (n.kind === 'sharedAddress') {
    const whose = n.pod === n.holder ? `${n.holder}'s` : `${n.holder}'s, not ${n.pod}'s`;
    return `${n.ip} is claimed by ${n.claimants.length} running pods (${n.claimants.join(', ')}); ${n.holder} holds it ` +
      `(created last, else greatest namespace/name), so the traffic of ${n.ip} is ${whose}, as in the kernel`;
  }
  return `${n.policy} has errors in the input: failing closed, it isolates ${n.pod} for ${n.direction} and allows nothing`;
}

const NOTE_LABEL: Readonly<Record<FlowNote['kind'], string>> = { sharedAddress: 'warning:', failClosed: 'fail closed:' };

export function renderVerdictText(v: FlowVerdict, s: Style = plain): string {
  const verdict = v.allowed ? s.green(s.bold('ALLOWED')) : s.red(s.bold('DENIED'));
  const lines = [`${verdict}  ${flowLabel(v)}`];
  for (const n of v.notes ?? []) lines.push(`  ${s.bold(NOTE_LABEL[n.kind])} ${noteText(n)}`);
  const exception = exceptionText(v);
  if (exception !== undefined) lines.push(`  ${exception}`);
  if (v.decidedBy === 'unknown-pod') {
    const e = v.flow.from.unknownPodOn ? v.flow.from : v.flow.to;
    lines.push(`  ${e.ip} is in node ${e.unknownPodOn ?? '?'}'s pod CIDR but no known pod holds it: nftpol denies its traffic until the pod is known (fail closed)`);
  }
  for (const d of [v.egress, v.ingress]) lines.push(...directionLines(d, s).map((l) => `  ${l}`));
  const why = whyNot(v);
  if (why) lines.push(`  ${s.bold('why not:')} ${why}`);
  return lines.join('\n');
}
