// Shared input of every policy-explain command: manifests (-f, repeatable:
// files, folders, globs, "-" for stdin) or a live cluster (--kubeconfig,
// --context). Produces the ClusterState; prints source problems to stderr
// (errors and warnings; debug notes only with -v) and refuses to go on when
// any is an error, so every command explains only input it fully understood.
import type { Command } from 'commander';
import { placePods } from '../sources/placement.ts';
import { loadFromCluster } from '../k8s/live-objects.ts';
import { ClusterState } from '../model/cluster-state.ts';
import { formatProblem, type SourceProblem } from '../model/problems.ts';
import type { ClusterObjects } from '../model/types.ts';
import { assignPodAddresses, loadManifests } from '../sources/load-cluster.ts';
import { styleFor } from '../explain/style.ts';
import { readAll, UsageError, type CliIO } from './io.ts';

export interface InputOptions {
  readonly filename?: readonly string[];
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly verbose?: boolean;
}

export interface LoadedInput {
  readonly mode: 'manifests' | 'cluster';
  readonly objects: ClusterObjects;
  readonly state: ClusterState;
  readonly problems: readonly SourceProblem[];
}

/** Bad input found by the sources; the problems were already printed. */
export class InputProblemsError extends UsageError {
  readonly problems: readonly SourceProblem[];
  constructor(problems: readonly SourceProblem[]) {
    const n = problems.filter((p) => p.severity === 'error').length;
    super(`${n} error${n === 1 ? '' : 's'} in the input; nothing was explained`);
    this.problems = problems;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds -f/--filename, --kubeconfig, --context and -v to a command. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .option('-f, --filename <path>', 'manifest file, folder or glob; "-" reads stdin (repeatable)', collect, [])
    .option('--kubeconfig <file>', 'live mode: kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'live mode: kubeconfig context to use')
    .option('-v, --verbose', 'also print debug notes about the input');
}

/** Prints problems to stderr: errors and warnings always, debug notes with verbose. */
export function printProblems(problems: readonly SourceProblem[], io: CliIO, verbose: boolean): void {
  const s = styleFor(io.stderr);
  for (const p of problems) {
    if (p.severity === 'debug' && !verbose) continue;
    const tag = p.severity === 'error' ? s.red('error') : p.severity === 'warning' ? s.yellow('warning') : s.dim('debug');
    io.stderr.write(`${tag}: ${formatProblem(p)}\n`);
  }
}

async function loadObjects(opts: InputOptions, io: CliIO): Promise<{ mode: LoadedInput['mode']; objects: ClusterObjects; problems: readonly SourceProblem[] }> {
  const files = opts.filename ?? [];
  if (files.length > 0) {
    if (opts.kubeconfig !== undefined || opts.context !== undefined) {
      throw new UsageError('-f/--filename reads manifests; --kubeconfig and --context are for live mode: use one or the other');
    }
    const loaded = await loadManifests(files, { readStdin: () => readAll(io.stdin) });
    // Pods without spec.nodeName are spread over the known nodes before they get
    // addresses (from their node's pod CIDR), the same way `nftpol test` and the
    // kernel dataplane place them.
    return { mode: 'manifests', objects: assignPodAddresses(placePods(loaded.objects)), problems: loaded.problems };
  }
  const live = await loadFromCluster({
    ...(opts.kubeconfig !== undefined && { kubeconfig: opts.kubeconfig }),
    ...(opts.context !== undefined && { context: opts.context }),
  });
  return { mode: 'cluster', objects: live.objects, problems: live.problems };
}

/**
 * Loads the input the options name, prints its problems, and returns the
 * state; throws InputProblemsError (exit 2) when any problem is an error.
 */
export async function loadInput(opts: InputOptions, io: CliIO): Promise<LoadedInput> {
  const { mode, objects, problems } = await loadObjects(opts, io);
  printProblems(problems, io, opts.verbose === true);
  if (problems.some((p) => p.severity === 'error')) throw new InputProblemsError(problems);
  return { mode, objects, state: new ClusterState(objects), problems };
}
