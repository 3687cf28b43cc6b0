// Text form of a flow verdict: the verdict line, then each direction with the
// policy and rule that decided it, and for a denial the "why not".
import type { DirectionVerdict, EndpointSummary, FlowNote, FlowVerdict } from '../policy/trace.ts';
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

function directionLines(d: DirectionVerdict, s: Style): string[] {
  const who = d.pod ?? 'peer';
  const head = `${d.direction} of ${who}: ${d.allowed ? s.green('allowed') : s.red('denied')}`;
  if (!d.isolated) return [`${head} (${d.summary})`];
  const lines = [`${head} (isolated by ${d.policies.join(', ')})`];
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

/** The "why not" of a denial: the closest rule and the field that failed. */
export function whyNot(v: FlowVerdict): string | undefined {
  if (v.allowed) return undefined;
  if (v.decidedBy === 'unknown-pod') {
    const e = v.flow.from.unknownPodOn ? v.flow.from : v.flow.to;
    return `${e.ip} is in node ${e.unknownPodOn ?? '?'}'s pod CIDR and no known pod holds it (fail closed)`;
  }
  for (const d of [v.egress, v.ingress]) {
    if (d.allowed) continue;
    const c = closestMiss(d);
    if (c) return `${c.policy} ${c.miss.field}: ${c.miss.reason}`;
    const empty = d.misses.find((m) => m.reason);
    if (empty) return `${empty.policy}: ${empty.reason}`;
  }
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
