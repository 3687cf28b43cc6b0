// The flow command's output: a FlowExplanation (JSON), markdown, or text
// (renderVerdictText). The FlowVerdict is embedded as is, under `flow`.
import type { DirectionVerdict, FlowVerdict } from '../../policy/trace.ts';
import { mdCode, mdTable } from './markdown.ts';
import { envelope, type Envelope } from './output.ts';
import { clusterRuleText, exceptionText, flowLabel, noteText, passText, whyNot } from '../../explain/verdict-text.ts';

/** The flow as the user asked for it, before resolution. */
export interface FlowQuery {
  readonly from: string;
  readonly to: string;
  readonly port: string | null;
  readonly protocol: string | null;
  /** Where names without a namespace were looked up: -n, the kubeconfig context's, or "default". */
  readonly namespace: string;
}

export interface FlowExplanation extends Envelope<'FlowExplanation'> {
  readonly query: FlowQuery;
  readonly allowed: boolean;
  /** The closest rule and failing field of a denial; null when allowed. */
  readonly whyNot: string | null;
  readonly flow: FlowVerdict;
}

export function flowExplanation(query: FlowQuery, verdict: FlowVerdict): FlowExplanation {
  return envelope('FlowExplanation', {
    query,
    allowed: verdict.allowed,
    whyNot: whyNot(verdict) ?? null,
    flow: verdict,
  });
}

function decidedBy(d: DirectionVerdict): string {
  // With cluster-wide policies: the Pass rules taken, then the Admin/Baseline rule that decided, or NetworkPolicy's answer below.
  const passes = (d.passes ?? []).map((p) => passText(p));
  if (d.decision !== undefined) return [...passes, `${d.decision.action === 'Accept' ? 'allowed' : 'denied'} by ${clusterRuleText(d.decision)}`].join('\n');
  if (d.tier === 'default') return d.summary;
  if (passes.length > 0) return [...passes, decidedByNetworkPolicy(d)].join('\n');
  return decidedByNetworkPolicy(d);
}

function decidedByNetworkPolicy(d: DirectionVerdict): string {
  if (!d.isolated || d.ownNode === true) return d.summary;
  const by = d.allowedBy.map((m) => `${m.policy} ${mdCode(m.field)}`);
  if (by.length > 0) return `allowed by ${by.join(', ')}`;
  const misses = d.misses.flatMap((pm) => [
    ...(pm.reason ? [`${pm.policy}: ${pm.reason}`] : []),
    ...pm.rules.map((r) => `${pm.policy} ${mdCode(r.field)}: ${r.reason}`),
  ]);
  return misses.join('\n');
}

export function renderFlowMarkdown(v: FlowVerdict): string {
  const lines = [`### ${v.allowed ? 'ALLOWED' : 'DENIED'}: ${flowLabel(v)}`, ''];
  const exception = exceptionText(v);
  if (exception !== undefined) lines.push(`${exception.charAt(0).toUpperCase()}${exception.slice(1)}.`, '');
  for (const n of v.notes ?? []) lines.push(`> **${n.kind === 'failClosed' ? 'Fail closed' : 'Warning'}:** ${noteText(n)}`, '');
  const rows = [v.egress, v.ingress].map((d) => [
    d.direction,
    d.pod ?? '(not a pod)',
    `${d.isolated ? d.policies.join(', ') : 'not isolated'}${d.tier !== undefined ? ` (decided: ${d.tier})` : ''}`,
    d.allowed ? 'allowed' : 'denied',
    decidedBy(d),
  ]);
  lines.push(...mdTable(['direction', 'pod', 'isolated by', 'verdict', 'reason'], rows));
  const why = whyNot(v);
  if (why) lines.push('', `**Why not:** ${why}`);
  return `${lines.join('\n')}\n`;
}
