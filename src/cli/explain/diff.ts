// policy-explain diff: what a change to the manifests opens and closes. The
// old side is -f (as every command reads it), the new side --against (the
// same kinds of paths); the diff itself is src/explain/semantic-diff.ts.
//
// Exit codes: 0 (whatever changed, unless --fail-on says otherwise), 1 when
// --fail-on's condition holds, 2 for bad input on either side.
import { matrixPods, matrixTooLarge } from '../../explain/matrix.ts';
import { hasAnyChange, hasNewAllows, semanticDiff, type SemanticDiff } from '../../explain/semantic-diff.ts';
import { styleFor } from '../../explain/style.ts';
import type { ClusterState } from '../../model/cluster-state.ts';
import { diffJson, renderDiffMarkdown, renderDiffText } from '../format/diff-output.ts';
import { requireFormat, toJson } from '../format/output.ts';
import { inputExit, loadInput, type LoadedInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { GlobalOptions } from './common.ts';
import { matrixAddresses } from './matrix.ts';

export const FAIL_ON = ['new-allows', 'any-change'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface DiffOptions extends GlobalOptions {
  /** The new side's manifests: files, folders, globs, "-" for stdin. */
  readonly against?: readonly string[];
  readonly failOn?: FailOn;
  readonly ip?: readonly string[];
}

/** Whether the diff meets --fail-on's condition. */
export function failsOn(diff: SemanticDiff, failOn: FailOn | undefined): boolean {
  if (failOn === 'new-allows') return hasNewAllows(diff);
  if (failOn === 'any-change') return hasAnyChange(diff);
  return false;
}

function checkSize(state: ClusterState, namespace: string | null, addresses: number, side: string): void {
  const tooLarge = matrixTooLarge(matrixPods(state, namespace), namespace, undefined, addresses);
  if (tooLarge !== undefined) throw new UsageError(`${side}: ${tooLarge}`);
}

/** The two sides' inputs, checked before either is read. */
function sides(opts: DiffOptions): { old: readonly string[]; against: readonly string[] } {
  const old = opts.filename ?? [];
  const against = opts.against ?? [];
  if (old.length === 0) throw new UsageError('diff compares manifests: give the old side with -f and the new side with --against');
  if (against.length === 0) throw new UsageError('diff needs the new side: --against PATH (a file, folder or glob; "-" reads stdin)');
  // stdin can be read once: one side may be `helm template … |`, not both.
  if (old.includes('-') && against.includes('-')) throw new UsageError('-f - and --against -: stdin can be only one side of the diff');
  return { old, against };
}

export async function runDiff(opts: DiffOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown'], 'diff');
  const { against } = sides(opts);
  const addresses = matrixAddresses(opts.ip);
  const before: LoadedInput = await loadInput(opts, io);
  const after: LoadedInput = await loadInput({ ...opts, filename: against }, io);
  const namespace = opts.namespace ?? null;
  checkSize(before.state, namespace, addresses.length, 'the old side (-f)');
  checkSize(after.state, namespace, addresses.length, 'the new side (--against)');
  const diff = semanticDiff(before.state, after.state, { namespace, addresses });
  switch (format) {
    case 'json': io.stdout.write(toJson(diffJson(diff))); break;
    case 'markdown': io.stdout.write(renderDiffMarkdown(diff)); break;
    default: io.stdout.write(renderDiffText(diff, styleFor(io.stdout)));
  }
  const code = failsOn(diff, opts.failOn) ? EXIT.failure : EXIT.ok;
  return inputExit(before, inputExit(after, code));
}
