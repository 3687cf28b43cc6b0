// policy-explain exposure: the report as text, markdown and JSON (the JSON's
// schema is in docs/output-schema.md, ExposureReport).
import { EXPOSURE_LEVELS, type ExposureReport, type OutsideGroup, type OutsideReach, type WorkloadExposure } from '../../explain/exposure.ts';
import type { Style } from '../../explain/style.ts';
import { mdCode, mdTable } from './markdown.ts';
import { API_VERSION } from './output.ts';

/** Text lists at most this many reaching workloads per workload; JSON lists them all. */
const SHOWN_WORKLOADS = 8;
/** Text lists at most this many closed outside cidrs per direction (and of a group's addresses). */
const SHOWN_CLOSED = 4;

/** The JSON body: the report as computed, connection sets written as text; levels in the order used. */
export function exposureJson(r: ExposureReport): object {
  const counts = Object.fromEntries(EXPOSURE_LEVELS.map((l) => [l, r.workloads.filter((w) => w.level === l).length]));
  // The kind is set here rather than through output.ts's envelope: its kinds list is shared with other commands.
  return { apiVersion: API_VERSION, kind: 'ExposureReport', namespace: r.namespace, order: EXPOSURE_LEVELS, workloads: r.workloads, summary: counts };
}

const LEVEL_TEXT: Readonly<Record<WorkloadExposure['level'], string>> = {
  'outside-all': 'reachable from outside the cluster on every port and protocol',
  outside: 'reachable from outside the cluster',
  'all-workloads': 'reachable from every other workload',
  'other-namespaces': 'reachable from other namespaces',
  'own-namespace': 'reachable from its own namespace only',
  none: 'reachable by nothing',
};

function outsideText(o: OutsideReach, direction: 'ingress' | 'egress'): string[] {
  if (o.groups.length === 0) return ['none'];
  const clusterPolicies = o.clusterPolicies ?? [];
  if (!o.isolated && clusterPolicies.length === 0) return [`${o.connections.format()} (not isolated for ${direction})`];
  // Not isolated by NetworkPolicy, but cluster-wide policies decide some of it.
  const tiers = o.isolated ? '' : ` (not isolated for ${direction} by NetworkPolicy; cluster policies: ${clusterPolicies.join(', ')})`;
  // A cluster tier can cut one ipBlock's addresses into groups with
  // different sets: each group but the one with the most addresses names its
  // addresses, so that "through" does not read as the whole block.
  const most = clusterPolicies.length > 0 && o.groups.length > 1 ? mostAddresses(o.groups) : undefined;
  const lines = o.groups.map((g) => {
    const through = g.ipBlocks.map((b) => `${b.cidr}${b.except.length > 0 ? ` except ${b.except.join(', ')}` : ''} (${b.policy})`);
    const where = most !== undefined && g !== most ? ` ${direction === 'ingress' ? 'from' : 'to'} ${cidrList(g.addresses)}` : '';
    return `${g.connections.format()}${where}${through.length > 0 ? ` through ${through.join('; ')}` : ''}${tiers}`;
  });
  const closed = o.closed ?? [];
  if (closed.length > 0) lines.push(`none ${direction === 'ingress' ? 'from' : 'to'} ${cidrList(closed)}`);
  return lines;
}

/** The first few cidrs of a list, and how many more. */
function cidrList(cidrs: readonly string[]): string {
  const shown = cidrs.slice(0, SHOWN_CLOSED);
  const more = cidrs.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more (-o json lists them all)` : ''}`;
}

/** How many addresses a list of cidrs holds. */
function addressCount(cidrs: readonly string[]): bigint {
  return cidrs.reduce((n, c) => {
    const [ip = '', prefix = '0'] = c.split('/');
    return n + (1n << BigInt((ip.includes(':') ? 128 : 32) - Number(prefix)));
  }, 0n);
}

/** The group with the most addresses (the first of equals: the wider set). */
function mostAddresses(groups: readonly OutsideGroup[]): OutsideGroup | undefined {
  let best: { g: OutsideGroup; n: bigint } | undefined;
  for (const g of groups) {
    const n = addressCount(g.addresses);
    if (best === undefined || n > best.n) best = { g, n };
  }
  return best?.g;
}

function fromWorkloadsText(w: WorkloadExposure): string {
  const i = w.ingress;
  if (i.workloads.length === 0) return 'none';
  const n = i.workloads.length;
  const where = `${n} workload${n === 1 ? '' : 's'} in ${i.namespaces.length} namespace${i.namespaces.length === 1 ? '' : 's'}: ${i.namespaces.join(', ')}`;
  const who = i.allWorkloads ? `every other workload (${where})` : where;
  return `${i.connections.format()} from ${who}`;
}

export function renderExposureText(r: ExposureReport, s: Style): string {
  if (r.workloads.length === 0) return 'no pods or workloads\n';
  const out: string[] = [`exposure of ${r.workloads.length} workload${r.workloads.length === 1 ? '' : 's'}${r.namespace !== null ? ` in namespace ${r.namespace}` : ''}, widest first`];
  for (const w of r.workloads) {
    const level = w.level.startsWith('outside') ? s.red(w.level) : w.level === 'none' ? s.green(w.level) : w.level;
    out.push('', `${s.bold(w.workload)} (${w.kind}): ${level}: ${LEVEL_TEXT[w.level]}`);
    for (const line of outsideText(w.ingress.outside, 'ingress')) out.push(`  from outside:   ${line}`);
    out.push(`  from workloads: ${fromWorkloadsText(w)}`);
    const shown = w.ingress.allWorkloads ? [] : w.ingress.workloads.slice(0, SHOWN_WORKLOADS);
    for (const p of shown) out.push(`    ${p.workload}: ${p.connections.format()}`);
    const more = w.ingress.allWorkloads ? 0 : w.ingress.workloads.length - shown.length;
    if (more > 0) out.push(`    … and ${more} more (-o json lists them all)`);
    for (const line of outsideText(w.egress.outside, 'egress')) out.push(`  to outside:     ${line}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderExposureMarkdown(r: ExposureReport): string {
  const head = `### Exposure${r.namespace !== null ? ` of namespace ${mdCode(r.namespace)}` : ''}, widest first`;
  if (r.workloads.length === 0) return `${head}\n\nNo pods or workloads.\n`;
  const rows = r.workloads.map((w) => [
    mdCode(w.workload), w.level,
    outsideText(w.ingress.outside, 'ingress').join('\n'),
    fromWorkloadsText(w),
    outsideText(w.egress.outside, 'egress').join('\n'),
  ]);
  return `${[head, '', ...mdTable(['Workload', 'Exposure', 'From outside', 'From workloads', 'To outside'], rows)].join('\n')}\n`;
}
