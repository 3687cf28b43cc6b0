// report --against NEW (or --git-base REV): the page shows the new side's
// matrix, with the pairs whose connection set changed marked and listed, as
// `policy-explain diff` computes them (src/explain/semantic-diff.ts). The two
// sides are read as diff reads them (diff.ts: checkSides, loadSides). The
// cluster-wide policies added, removed or changed are listed beside them, by
// key and content (clusterPolicyChanges).
import type { SemanticDiff } from '../../explain/semantic-diff.ts';
import type { ClusterPolicy } from '../../model/types.ts';
import { clusterPolicyKey } from '../../model/types.ts';
import type { ReportChange, ReportClusterChanges, ReportComparison, ReportEndpoint } from '../format/report-html.ts';
import type { DiffOptions } from './diff.ts';

/** Whether the options ask for a comparison. */
export function comparing(opts: Pick<DiffOptions, 'against' | 'gitBase'>): boolean {
  return (opts.against ?? []).length > 0 || opts.gitBase !== undefined;
}

function paths(ps: readonly string[]): string {
  return ps.map((p) => (p === '-' ? 'stdin' : p)).join(', ');
}

/** The two sides in words, for the page's heading: "deploy/ at origin/main" and "deploy/". */
export function sideNames(opts: Pick<DiffOptions, 'against' | 'gitBase' | 'filename'>): { old: string; new: string } {
  const files = paths(opts.filename ?? []);
  if (opts.gitBase !== undefined) return { old: `${files} at ${opts.gitBase}`, new: `${files} (working tree)` };
  return { old: files, new: paths(opts.against ?? []) };
}

/** The diff, with each changed pair as indexes into the page's endpoints (the new side's). */
export function reportComparison(
  diff: SemanticDiff, endpoints: readonly ReportEndpoint[], names: { old: string; new: string }, clusterPolicies?: ReportClusterChanges,
): ReportComparison {
  const index = new Map(endpoints.map((e, i) => [e.id, i]));
  const changes = diff.changes.flatMap((c): ReportChange[] => {
    const from = index.get(c.from);
    const to = index.get(c.to);
    // Both ends are on the new side (a change is of a pair present on both), unless -n narrowed them differently.
    if (from === undefined || to === undefined) return [];
    const mark = c.added.isEmpty() ? 'del' : c.removed.isEmpty() ? 'add' : 'both';
    return [{ from, to, before: c.before.format(), after: c.after.format(), added: c.added.format(), removed: c.removed.format(), mark }];
  });
  return { ...names, changes, appeared: diff.appeared, disappeared: diff.disappeared, ...(clusterPolicies !== undefined && { clusterPolicies }) };
}

/** JSON with object keys sorted, so two policies read from differently ordered YAML compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fields compared, named as the page says them; the source (file, line) is not: moving a policy changes nothing it does. */
const COMPARED: readonly { readonly field: string; readonly of: (p: ClusterPolicy) => unknown }[] = [
  { field: 'tier', of: (p) => p.tier },
  { field: 'priority', of: (p) => p.priority },
  { field: 'subject', of: (p) => p.subject },
  { field: 'ingress rules', of: (p) => p.ingress },
  { field: 'egress rules', of: (p) => p.egress },
  { field: 'failing closed', of: (p) => p.failClosed === true },
];

/**
 * The cluster-wide policies only the new side has, only the old side has,
 * and those whose normalized content differs (with the fields that do);
 * undefined when neither side has any. Keys name the kind (cnp/, anp/,
 * banp/), so an AdminNetworkPolicy rewritten as a ClusterNetworkPolicy of
 * the same name is one removed and one added.
 */
export function clusterPolicyChanges(before: readonly ClusterPolicy[], after: readonly ClusterPolicy[]): ReportClusterChanges | undefined {
  if (before.length === 0 && after.length === 0) return undefined;
  const old = new Map(before.map((p) => [clusterPolicyKey(p), p]));
  const now = new Map(after.map((p) => [clusterPolicyKey(p), p]));
  const sorted = (keys: Iterable<string>): string[] => [...keys].sort();
  const changed = sorted(now.keys()).flatMap((key) => {
    const was = old.get(key);
    const is = now.get(key);
    if (was === undefined || is === undefined) return [];
    const fields = COMPARED.filter((c) => canonical(c.of(was)) !== canonical(c.of(is))).map((c) => c.field);
    return fields.length === 0 ? [] : [{ key, fields }];
  });
  return {
    added: sorted([...now.keys()].filter((k) => !old.has(k))),
    removed: sorted([...old.keys()].filter((k) => !now.has(k))),
    changed,
  };
}
