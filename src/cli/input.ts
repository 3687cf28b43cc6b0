// Shared input of every policy-explain command: manifests (-f, repeatable:
// files, folders, globs, "-" for stdin) or a live cluster (--kubeconfig,
// --context). Produces the ClusterState; prints source problems to stderr
// (errors and warnings; debug notes only with -v) and refuses to go on when
// any is an error, so every command explains only input it fully understood,
// with one exception: errors in NetworkPolicies, which the sources keep
// failing closed (they isolate what they select and allow nothing). The
// command then answers with that treatment, the one the agent enforces,
// marked in its output, and still exits 2 (inputExit) so CI fails.
// Input without a single object is an error too: `helm template … | policy-explain
// -f - lint --strict` must not pass when helm printed nothing.
//
// -n/--namespace works as in kubectl: names without a namespace are in it,
// and so are manifests without metadata.namespace (kubectl apply -n). Without
// -n, live mode uses the kubeconfig context's namespace, manifests "default".
import type { Command } from 'commander';
import { DEFAULT_NAMESPACE } from '../policy/find-pod.ts';
import { ClusterState } from '../model/cluster-state.ts';
import { formatProblem, type SourceProblem } from '../model/problems.ts';
import type { ClusterObjects, ClusterPolicy, NetworkPolicy } from '../model/types.ts';
import { clusterPolicyKey, policyKey } from '../model/types.ts';
import { loadManifests, placeAndAddress } from '../sources/load-cluster.ts';
import { styleFor } from '../explain/style.ts';
import { EXIT, readAll, UsageError, type CliIO } from './io.ts';
import { validateOption } from './validate-option.ts';
import type { ValidationMode } from '../sources/schema-check.ts';

export interface InputOptions {
  readonly filename?: readonly string[];
  readonly kubeconfig?: string;
  readonly context?: string;
  /** -n: the namespace of names and manifests without one. */
  readonly namespace?: string;
  readonly verbose?: boolean;
  /** --validate: what an unknown field in a manifest is (kubectl's modes; default strict). */
  readonly validate?: ValidationMode;
}

export interface LoadedInput {
  readonly mode: 'manifests' | 'cluster';
  readonly objects: ClusterObjects;
  readonly state: ClusterState;
  readonly problems: readonly SourceProblem[];
  /** Where names without a namespace are: -n, else the kubeconfig context's (live mode), else "default". */
  readonly namespace: string;
  /** Policies with errors, answered failing closed: the command must exit 2 (inputExit). */
  readonly failClosed: readonly NetworkPolicy[];
  /** Cluster-wide policies with errors (in a rule or in the policy), answered failing closed: exit 2 too. */
  readonly clusterFailClosed: readonly ClusterPolicy[];
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

/**
 * Adds -f/--filename, --kubeconfig, --context, -n, -v and --validate to a command.
 * `namespaceHelp` is -n's description: what it means differs between programs.
 */
export function addInputOptions(cmd: Command, namespaceHelp: string): Command {
  return cmd
    .option('-f, --filename <path>', 'manifest file, folder or glob; "-" reads stdin (repeatable)', collect, [])
    .option('--kubeconfig <file>', 'live mode: kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'live mode: kubeconfig context to use')
    .option('-n, --namespace <namespace>', namespaceHelp)
    .option('-v, --verbose', 'also print debug notes about the input')
    .addOption(validateOption());
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

/** RFC 1123 label, as the API server requires of a namespace name. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkNamespace(namespace: string | undefined): void {
  if (namespace !== undefined && !NAMESPACE_NAME.test(namespace)) {
    throw new UsageError(`-n ${JSON.stringify(namespace)} is not a namespace name (lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit)`);
  }
}

interface Loaded {
  readonly mode: LoadedInput['mode'];
  readonly objects: ClusterObjects;
  readonly problems: readonly SourceProblem[];
  readonly namespace: string;
}

async function loadObjects(opts: InputOptions, io: CliIO): Promise<Loaded> {
  const files = opts.filename ?? [];
  checkNamespace(opts.namespace);
  if (files.length > 0) {
    if (opts.kubeconfig !== undefined || opts.context !== undefined) {
      throw new UsageError('-f/--filename reads manifests; --kubeconfig and --context are for live mode: use one or the other');
    }
    const loaded = await loadManifests(files, {
      readStdin: () => readAll(io.stdin),
      ...(opts.namespace !== undefined && { defaultNamespace: opts.namespace }),
      ...(opts.validate !== undefined && { validate: opts.validate }),
    });
    // Pods without spec.nodeName are spread over the known nodes before they get
    // addresses (from their node's pod CIDR), the same way `nftpol test` and the
    // kernel dataplane place them.
    const objects = placeAndAddress(loaded.objects);
    return { mode: 'manifests', objects, problems: loaded.problems, namespace: opts.namespace ?? DEFAULT_NAMESPACE };
  }
  // The Kubernetes client takes most of a second to load: only live mode loads it.
  const { loadFromCluster, NoKubeconfigError } = await import('../k8s/live-objects.ts');
  try {
    const live = await loadFromCluster({
      ...(opts.kubeconfig !== undefined && { kubeconfig: opts.kubeconfig }),
      ...(opts.context !== undefined && { context: opts.context }),
    });
    return { mode: 'cluster', objects: live.objects, problems: live.problems, namespace: opts.namespace ?? live.namespace ?? DEFAULT_NAMESPACE };
  } catch (err) {
    if (err instanceof NoKubeconfigError) throw new UsageError(`no input: give -f, or a kubeconfig with --kubeconfig/--context (found none: ${err.message})`);
    throw err;
  }
}

/** An error about a policy the sources kept failing closed (same object, same place). */
function answeredByFailingClosed(p: SourceProblem, failClosed: readonly NetworkPolicy[], clusterFailClosed: readonly ClusterPolicy[]): boolean {
  if (p.kind === 'NetworkPolicy') {
    return failClosed.some((pol) =>
      pol.name === p.name && pol.namespace === (p.namespace ?? pol.namespace)
      && pol.source?.file === p.file && pol.source.document === p.document);
  }
  return clusterFailClosed.some((pol) =>
    pol.kind === p.kind && pol.name === p.name && pol.source?.file === p.file && pol.source.document === p.document);
}

/** A cluster policy that fails closed, as a whole or in one of its rules. */
function clusterFailsClosed(p: ClusterPolicy): boolean {
  return p.failClosed === true || [...p.ingress, ...p.egress].some((r) => r.failClosed === true);
}

function isEmpty(o: ClusterObjects): boolean {
  return o.namespaces.length + o.pods.length + o.policies.length + o.nodes.length + (o.clusterPolicies?.length ?? 0) === 0;
}

/**
 * Loads the input the options name, prints its problems, and returns the
 * state. Throws InputProblemsError (exit 2) when a problem is an error that
 * failing closed does not answer, and UsageError (exit 2) when the input
 * holds no object nftpol reads.
 */
export async function loadInput(opts: InputOptions, io: CliIO): Promise<LoadedInput> {
  const { mode, objects, problems, namespace } = await loadObjects(opts, io);
  printProblems(problems, io, opts.verbose === true);
  const failClosed = objects.policies.filter((p) => p.failClosed === true);
  const clusterFailClosed = (objects.clusterPolicies ?? []).filter(clusterFailsClosed);
  if (problems.some((p) => p.severity === 'error' && !answeredByFailingClosed(p, failClosed, clusterFailClosed))) throw new InputProblemsError(problems);
  if (isEmpty(objects)) {
    const where = mode === 'cluster' ? 'the cluster' : (opts.filename ?? []).map((f) => (f === '-' ? 'stdin' : f)).join(', ');
    throw new UsageError(`no objects in ${where}: nothing nftpol reads (Namespace, Pod, workload, NetworkPolicy, Node), so nothing was explained`);
  }
  if (failClosed.length > 0) {
    const names = failClosed.map(policyKey).join(', ');
    io.stderr.write(`${styleFor(io.stderr).red('error:')} ${failClosed.length === 1 ? 'a NetworkPolicy has' : `${failClosed.length} NetworkPolicies have`} errors (${names}): ` +
      'answering with them failing closed (isolating the pods they select, allowing nothing), as the agent would enforce them; exit status 2\n');
  }
  if (clusterFailClosed.length > 0) {
    const names = clusterFailClosed.map(clusterPolicyKey).join(', ');
    io.stderr.write(`${styleFor(io.stderr).red('error:')} ${clusterFailClosed.length === 1 ? 'a cluster-wide policy has' : `${clusterFailClosed.length} cluster-wide policies have`} errors (${names}): ` +
      'answering with them failing closed (an Accept rule with errors matches nothing, a Deny or Pass rule with errors denies everything), as the agent would enforce them; exit status 2\n');
  }
  return { mode, objects, state: new ClusterState(objects), problems, namespace, failClosed, clusterFailClosed };
}

/** A command's exit status, made 2 (bad input) when the answer rests on policies failing closed. */
export function inputExit(loaded: Pick<LoadedInput, 'failClosed'> & Partial<Pick<LoadedInput, 'clusterFailClosed'>>, code: number): number {
  return loaded.failClosed.length > 0 || (loaded.clusterFailClosed?.length ?? 0) > 0 ? Math.max(code, EXIT.badInput) : code;
}
