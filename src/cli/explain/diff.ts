// policy-explain diff: what a change to the manifests opens and closes. The
// old side is -f (as every command reads it), the new side --against (the
// same kinds of paths); or, with --git-base REV, the old side is the -f
// paths as they were at REV and the new side those paths as they are now.
// The diff itself is src/explain/semantic-diff.ts.
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
import { pathsAtRevision } from './git-base.ts';
import { matrixAddresses } from './matrix.ts';

export const FAIL_ON = ['new-allows', 'any-change'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface DiffOptions extends GlobalOptions {
  /** The new side's manifests: files, folders, globs, "-" for stdin. */
  readonly against?: readonly string[];
  readonly failOn?: FailOn;
  /** A git revision: the old side is the -f paths at it (git-base.ts), the new side -f as it is. */
  readonly gitBase?: string;
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

/** Checks the two sides' options before either is read; `command` names the command in the messages (report --against shares them). */
export function checkSides(opts: DiffOptions, command = 'diff'): void {
  const old = opts.filename ?? [];
  const against = opts.against ?? [];
  if (opts.gitBase !== undefined) {
    if (against.length > 0) throw new UsageError('--git-base and --against both name the other side: give one (--git-base REV compares -f at REV with -f now)');
    if (old.length === 0) throw new UsageError('--git-base needs -f: the paths to compare at that revision and now');
    return;
  }
  if (old.length === 0) throw new UsageError(`${command} compares manifests: give the old side with -f and the new side with --against (or --git-base REV)`);
  if (against.length === 0) throw new UsageError('diff needs the other side: --against PATH (a file, folder or glob; "-" reads stdin), or --git-base REV');
  // stdin can be read once: one side may be `helm template … |`, not both.
  if (old.includes('-') && against.includes('-')) throw new UsageError('-f - and --against -: stdin can be only one side of the diff');
}

/** Both sides, loaded: -f and --against, or -f at --git-base and -f now. */
export async function loadSides(opts: DiffOptions, io: CliIO): Promise<[LoadedInput, LoadedInput]> {
  if (opts.gitBase === undefined) return [await loadInput(opts, io), await loadInput({ ...opts, filename: opts.against ?? [] }, io)];
  const atRevision = await pathsAtRevision(opts.filename ?? [], opts.gitBase);
  try {
    // Problems found at REV name their files as git does (REV:path), not by the scratch folder.
    const stderr = { write: (text: string) => io.stderr.write(atRevision.asRevision(text)), ...(io.stderr.isTTY !== undefined && { isTTY: io.stderr.isTTY }) };
    return [await loadInput({ ...opts, filename: atRevision.paths }, { ...io, stderr }), await loadInput(opts, io)];
  } finally {
    await atRevision.remove();
  }
}

export async function runDiff(opts: DiffOptions, io: CliIO): Promise<number> {
  const format = requireFormat(opts.output, ['text', 'json', 'markdown'], 'diff');
  checkSides(opts);
  const addresses = matrixAddresses(opts.ip);
  const [before, after] = await loadSides(opts, io);
  const namespace = opts.namespace ?? null;
  checkSize(before.state, namespace, addresses.length, 'the old side');
  checkSize(after.state, namespace, addresses.length, 'the new side');
  const diff = semanticDiff(before.state, after.state, { namespace, addresses });
  switch (format) {
    case 'json': io.stdout.write(toJson(diffJson(diff))); break;
    case 'markdown': io.stdout.write(renderDiffMarkdown(diff)); break;
    default: io.stdout.write(renderDiffText(diff, styleFor(io.stdout)));
  }
  const code = failsOn(diff, opts.failOn) ? EXIT.failure : EXIT.ok;
  return inputExit(before, inputExit(after, code));
}
