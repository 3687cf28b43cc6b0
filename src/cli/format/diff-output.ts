// policy-explain diff's output formats: text, markdown (a pull-request
// comment) and JSON (docs/output-schema.md, "policy-explain diff").
import type { SemanticDiff } from '../../explain/semantic-diff.ts';
import { plain, type Style } from '../../explain/style.ts';
import { mdCode, mdTable } from './markdown.ts';

/** The JSON summary: counts, and the pods and workloads on one side only. */
export interface DiffSummary {
  readonly changedPairs: number;
  /** Pairs with anything newly allowed. */
  readonly pairsWithAdded: number;
  /** Pairs with anything newly denied. */
  readonly pairsWithRemoved: number;
  readonly appeared: readonly string[];
  readonly disappeared: readonly string[];
  /** How many pods and workloads (and addresses asked for with --ip) each side has. */
  readonly workloadsBefore: number;
  readonly workloadsAfter: number;
}

export interface DiffJson {
  readonly changes: readonly { from: string; to: string; before: string; after: string; added: string; removed: string }[];
  readonly summary: DiffSummary;
}

export function diffSummary(d: SemanticDiff): DiffSummary {
  return {
    changedPairs: d.changes.length,
    pairsWithAdded: d.changes.filter((c) => !c.added.isEmpty()).length,
    pairsWithRemoved: d.changes.filter((c) => !c.removed.isEmpty()).length,
    appeared: d.appeared,
    disappeared: d.disappeared,
    workloadsBefore: d.before,
    workloadsAfter: d.after,
  };
}

export function diffJson(d: SemanticDiff): DiffJson {
  return {
    changes: d.changes.map((c) => ({
      from: c.from, to: c.to, before: c.before.format(), after: c.after.format(), added: c.added.format(), removed: c.removed.format(),
    })),
    summary: diffSummary(d),
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** One line: what changed, in counts. */
function headline(d: SemanticDiff): string {
  const s = diffSummary(d);
  if (s.changedPairs + s.appeared.length + s.disappeared.length === 0) return 'no change: every pair may connect exactly as before';
  const parts = [
    `${plural(s.changedPairs, 'pair')} changed (${s.pairsWithAdded} with new allows, ${s.pairsWithRemoved} with new denials)`,
    ...(s.appeared.length > 0 ? [`${s.appeared.length} appeared`] : []),
    ...(s.disappeared.length > 0 ? [`${s.disappeared.length} disappeared`] : []),
  ];
  return parts.join(', ');
}

export function renderDiffText(d: SemanticDiff, s: Style = plain): string {
  const lines = [headline(d)];
  for (const c of d.changes) {
    lines.push('', `${s.bold(c.from)} -> ${s.bold(c.to)}`);
    if (!c.added.isEmpty()) lines.push(`  ${s.green('+ allowed:')} ${c.added.format()}`);
    if (!c.removed.isEmpty()) lines.push(`  ${s.red('- denied: ')} ${c.removed.format()}`);
    lines.push(`  ${s.dim(`before: ${c.before.format()}; after: ${c.after.format()}`)}`);
  }
  if (d.appeared.length > 0) lines.push('', `appeared: ${d.appeared.join(', ')}`);
  if (d.disappeared.length > 0) lines.push('', `disappeared: ${d.disappeared.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function renderDiffMarkdown(d: SemanticDiff): string {
  const out = ['### NetworkPolicy changes', '', headline(d)];
  if (d.changes.length > 0) {
    const dash = (t: string): string => (t === 'none' ? '' : mdCode(t));
    out.push('', ...mdTable(['From', 'To', 'Newly allowed', 'Newly denied', 'Before', 'After'],
      d.changes.map((c) => [mdCode(c.from), mdCode(c.to), dash(c.added.format()), dash(c.removed.format()), mdCode(c.before.format()), mdCode(c.after.format())])));
  }
  if (d.appeared.length > 0) out.push('', `**Appeared:** ${d.appeared.map(mdCode).join(', ')}`);
  if (d.disappeared.length > 0) out.push('', `**Disappeared:** ${d.disappeared.map(mdCode).join(', ')}`);
  return `${out.join('\n')}\n`;
}
