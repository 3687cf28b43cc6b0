// The pod command's output: a PodExplanation (JSON), text, or markdown.
import type { Direction } from '../../model/types.ts';
import { actionWord } from '../../model/types.ts';
import type { BlockedPeer, Denial, DirectionReach, PodReach, PodSummary, RuleReach } from '../../explain/pod-reach.ts';
import { alignColumns } from './columns.ts';
import { mdCode, mdTable } from './markdown.ts';
import { envelope, type Envelope } from './output.ts';
import { plain, type Style } from '../../explain/style.ts';
import { noteText } from '../../explain/verdict-text.ts';

export interface PodExplanation extends Envelope<'PodExplanation'>, PodReach {}

export function podExplanation(reach: PodReach): PodExplanation {
  return envelope('PodExplanation', { ...reach });
}

function labelText(pod: PodSummary): string {
  const entries = Object.entries(pod.labels).map(([k, v]) => `${k}=${v}`);
  return entries.length > 0 ? entries.join(',') : '(none)';
}

function podHeading(pod: PodSummary): string {
  const ips = pod.ips.length > 0 ? pod.ips.join(', ') : 'no address';
  const node = pod.nodeName ? `, node ${pod.nodeName}` : '';
  const host = pod.hostNetwork ? ', host network' : '';
  return `${pod.kind} ${pod.namespace}/${pod.name} (${ips}${node}${host})`;
}

function reachVerb(direction: Direction): string {
  return direction === 'ingress' ? 'may be reached by' : 'may reach';
}

function selectingText(d: DirectionReach): string[][] {
  return d.selectedBy.map((p) => [
    p.policy,
    p.policyTypes.join(','),
    p.isolates
      ? `isolates ${d.direction}, ${p.failClosed === true ? 'has errors: failing closed, allows nothing' : p.rules === 0 ? `no ${d.direction} rules (allows nothing by itself)` : `${p.rules} ${d.direction} rule${p.rules === 1 ? '' : 's'}`}`
      : `does not isolate ${d.direction}`,
  ]);
}

/** The peer's policies for the other direction, which may deny a flow this rule admits. */
function otherEnd(direction: Direction): string {
  return direction === 'ingress' ? "the peer's egress" : "the peer's ingress";
}

/** A denying direction in words: "its own ingress in the Admin tier", "the peer's egress". */
function denialWho(d: Denial, direction: Direction): string {
  const who = d.end === 'own' ? `its own ${direction}` : otherEnd(direction);
  return d.tier === 'Admin' || d.tier === 'Baseline' ? `${who} in the ${d.tier} tier` : who;
}

/**
 * Who denied a flow the rule admits, from the engine's verdict: the pod's own
 * direction (an Admin-tier rule decided before NetworkPolicy), the peer's, or
 * both; a peer's denial alone reads as it always did.
 */
function blockedBy(b: BlockedPeer, direction: Direction): string {
  return b.deniedBy.length > 0 ? b.deniedBy.map((d) => denialWho(d, direction)).join(' and by ') : otherEnd(direction);
}

/** Whether a pod's own direction denied a flow one of the rules admits (the peer's alone keeps the NetworkPolicy wording). */
function ownDenials(d: DirectionReach): boolean {
  return d.rules.some((r) => r.blocked.some((b) => b.deniedBy.some((x) => x.end === 'own')));
}

function ruleText(r: RuleReach, direction: Direction, s: Style): string[] {
  const lines = [`${s.bold(r.policy)} ${r.field}: ${r.description}`];
  lines.push(r.allowed.length > 0 ? `  ${s.green('allowed')}: ${r.allowed.join(', ')}` : '  allowed: none of the known pods or workloads');
  for (const b of r.blocked) lines.push(`  ${s.red(`admitted, but denied by ${blockedBy(b, direction)}`)}: ${b.pod} (${b.reason})`);
  return lines;
}

/** Text lists at most this many pods a cluster rule decides for; JSON lists them all. */
const SHOWN_DECIDES = 8;

/** The cluster-wide policies in evaluation order, each rule in words under its policy, and whom it decides for. */
function clusterPoliciesText(d: DirectionReach, s: Style): string[] {
  if (d.clusterPolicies.length === 0) return [];
  const lines = ['  cluster policies (in evaluation order):'];
  for (const p of d.clusterPolicies) {
    const closed = p.failClosed === true ? ', has errors: failing closed' : '';
    lines.push(`    ${s.bold(p.policy)} (${p.tier} tier, priority ${p.priority}${closed})`);
    for (const r of p.rules) {
      lines.push(`      ${r.field}${r.name !== undefined ? ` "${r.name}"` : ''}: ${r.description}`);
      const shown = r.decides.slice(0, SHOWN_DECIDES);
      const more = r.decides.length - shown.length;
      lines.push(`        ${r.action === 'Pass' ? 'passes' : 'decides'} for: ${shown.length > 0 ? shown.join(', ') : 'none of the known pods or workloads'}${more > 0 ? ` and ${more} more (-o json lists them all)` : ''}`);
    }
  }
  return lines;
}

function directionText(d: DirectionReach, s: Style): string[] {
  const title = d.direction === 'ingress' ? 'Ingress' : 'Egress';
  const open = !d.isolated && d.clusterPolicies.length === 0;
  const lines = [`${s.bold(title)}: ${open ? s.green(d.summary) : d.summary}`];
  lines.push(...clusterPoliciesText(d, s));
  if (d.selectedBy.length > 0) {
    lines.push('  selected by:', ...alignColumns(selectingText(d)).map((l) => `    ${l}`));
  }
  if (d.rules.length > 0) {
    lines.push(`  ${reachVerb(d.direction)}:`, ...d.rules.flatMap((r) => ruleText(r, d.direction, s)).map((l) => `    ${l}`));
  }
  return lines;
}

export function renderPodText(reach: PodReach, s: Style = plain): string {
  const lines = [s.bold(podHeading(reach.pod)), `labels: ${labelText(reach.pod)}`];
  for (const n of reach.sharedAddresses ?? []) lines.push(`${s.bold('warning:')} ${noteText(n)}`);
  lines.push('', ...directionText(reach.ingress, s), '', ...directionText(reach.egress, s));
  return `${lines.join('\n')}\n`;
}

function directionMarkdown(d: DirectionReach): string[] {
  const title = d.direction === 'ingress' ? 'Ingress' : 'Egress';
  const lines = [`### ${title}`, '', `${d.summary.charAt(0).toUpperCase()}${d.summary.slice(1)}.`];
  if (d.clusterPolicies.length > 0) {
    lines.push('', ...mdTable(['cluster policy', 'tier', 'priority', 'rule', 'action', 'rule in words', 'decides (or passes) for'],
      d.clusterPolicies.flatMap((p) => p.rules.map((r) => [
        p.policy, p.tier, String(p.priority), `${mdCode(r.field)}${r.name !== undefined ? ` ${r.name}` : ''}`, actionWord(p, r.action), r.description,
        r.decides.length > 0 ? r.decides.join(', ') : '(none)',
      ]))));
  }
  if (d.selectedBy.length > 0) {
    lines.push('', ...mdTable(['selected by', 'policyTypes', `isolates ${d.direction}`, `${d.direction} rules`],
      d.selectedBy.map((p) => [p.policy, p.policyTypes.join(', '), p.isolates ? 'yes' : 'no', p.failClosed === true ? '0 (has errors: failing closed)' : String(p.rules)])));
  }
  if (d.rules.length > 0) {
    const peerHead = d.direction === 'ingress' ? 'from' : 'to';
    // With an own-direction denial the column names each denier per pod.
    const own = ownDenials(d);
    const blocked = (b: BlockedPeer): string => (own ? `${b.pod} (by ${blockedBy(b, d.direction)}): ${b.reason}` : `${b.pod}: ${b.reason}`);
    lines.push('', ...mdTable(['rule', peerHead, 'ports', 'allowed pods', own ? 'admitted, but denied' : `admitted, but denied by ${otherEnd(d.direction)}`],
      d.rules.map((r) => [
        `${r.policy} ${mdCode(r.field)}`,
        r.peers.join('<br>'),
        r.ports.join(', '),
        r.allowed.length > 0 ? r.allowed.join(', ') : '(none)',
        r.blocked.length > 0 ? r.blocked.map(blocked).join('<br>') : '',
      ])));
  }
  return lines;
}

export function renderPodMarkdown(reach: PodReach): string {
  const lines = [`## ${podHeading(reach.pod)}`, '', `Labels: ${mdCode(labelText(reach.pod))}`, ''];
  for (const n of reach.sharedAddresses ?? []) lines.push(`> **Warning:** ${noteText(n)}`, '');
  lines.push(...directionMarkdown(reach.ingress), '', ...directionMarkdown(reach.egress));
  return `${lines.join('\n')}\n`;
}
