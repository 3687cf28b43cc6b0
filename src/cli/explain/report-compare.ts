// report --against NEW (or --git-base REV): the page shows the new side's
// matrix, with the pairs whose connection set changed marked and listed, as
// `policy-explain diff` computes them (src/explain/semantic-diff.ts). The two
// sides are read as diff reads them (diff.ts: checkSides, loadSides).
import type { SemanticDiff } from '../../explain/semantic-diff.ts';
import type { ReportChange, ReportComparison, ReportEndpoint } from '../format/report-html.ts';
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
export function reportComparison(diff: SemanticDiff, endpoints: readonly ReportEndpoint[], names: { old: string; new: string }): ReportComparison {
  const index = new Map(endpoints.map((e, i) => [e.id, i]));
  const changes = diff.changes.flatMap((c): ReportChange[] => {
    const from = index.get(c.from);
    const to = index.get(c.to);
    // Both ends are on the new side (a change is of a pair present on both), unless -n narrowed them differently.
    if (from === undefined || to === undefined) return [];
    const mark = c.added.isEmpty() ? 'del' : c.removed.isEmpty() ? 'add' : 'both';
    return [{ from, to, before: c.before.format(), after: c.after.format(), added: c.added.format(), removed: c.removed.format(), mark }];
  });
  return { ...names, changes, appeared: diff.appeared, disappeared: diff.disappeared };
}
