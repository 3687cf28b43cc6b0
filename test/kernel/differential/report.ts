// What a failing differential run prints: the disagreeing flows, the cluster
// as a ready-to-run PolicyTest (expecting the engine's verdicts, so `nftpol
// test --dataplane kernel` fails on it until the kernel agrees), the engine's
// explain trace of each flow, and the nft tables of the nodes the flows cross.
import type { NodeIR } from '../../../src/compile/ir.ts';
import { renderVerdictText } from '../../../src/explain/verdict-text.ts';
import { ClusterState } from '../../../src/model/cluster-state.ts';
import type { ClusterObjects } from '../../../src/model/types.ts';
import { PolicyEngine } from '../../../src/policy/engine.ts';
import { renderTableBody } from '../../../src/nft/render-table.ts';
import type { ProbeFlow } from './flows.ts';
import { caseEndpoints, policyTestYaml } from './to-policytest.ts';

export interface Mismatch {
  readonly probe: ProbeFlow;
  readonly kernel: 'allow' | 'deny';
  /** The lab's reason: answered, timeout, refused, ... */
  readonly reason: string;
}

/** One run that failed: the kernel refused the ruleset, or disagreed with the engine on some flows. */
export interface FailedRun {
  readonly objects: ClusterObjects;
  readonly irs: ReadonlyMap<string, NodeIR>;
  readonly mismatches: readonly Mismatch[];
  /** nft refused a node's script: node and error. */
  readonly applyError?: { readonly node: string; readonly error: string };
  /** For a refused script: a flow through that node, so the PolicyTest has a case to run. */
  readonly flowThroughNode?: ProbeFlow;
}

/** How many disagreeing flows are listed, written as cases, and explained. */
const LIST_MAX = 20;
const CASES_MAX = 10;
const EXPLAIN_MAX = 3;

function capped<T>(xs: readonly T[], max: number): { shown: readonly T[]; more: string[] } {
  return { shown: xs.slice(0, max), more: xs.length > max ? [`  ... and ${xs.length - max} more`] : [] };
}

export interface ReplayInfo {
  readonly seed: number;
  readonly path?: string;
  readonly numRuns: number;
  readonly testFile: string;
}

export function describeProbe(p: ProbeFlow): string {
  const end = (e: ProbeFlow['flow']['from']): string => (e.kind === 'pod' ? `${e.pod.namespace}/${e.pod.name} (${e.ip})` : e.ip);
  return `${end(p.flow.from)} -> ${end(p.flow.to)} ${p.lab.protocol}/${p.lab.port} [${p.kind}, IPv${p.family}]`;
}

export function policyTestFor(run: FailedRun, replay: ReplayInfo): string {
  const state = new ClusterState(run.objects);
  const listed = capped(run.mismatches, LIST_MAX);
  return policyTestYaml({
    name: `kernel-differential-seed-${replay.seed}`,
    comment: [
      `Counterexample of ${replay.testFile} (seed ${replay.seed}${replay.path !== undefined ? `, path ${replay.path}` : ''}):`,
      ...(run.applyError ? [`nft refused the ruleset of ${run.applyError.node}: ${run.applyError.error}`] : []),
      ...listed.shown.map(mismatchLine),
      ...listed.more,
      'The cases expect the engine\'s verdicts: `nftpol test FILE` passes (the engine),',
      '`nftpol test --dataplane kernel FILE` fails while the kernel disagrees.',
    ],
    objects: run.objects,
    cases: [...run.mismatches.slice(0, CASES_MAX).map((m) => m.probe), ...(run.flowThroughNode ? [run.flowThroughNode] : [])].map((p) => ({
      ...caseEndpoints(state, p.flow),
      protocol: p.lab.protocol,
      port: p.lab.port,
      expect: p.allowed ? 'allow' : 'deny',
    })),
  });
}

function mismatchLine(m: Mismatch): string {
  return `  kernel ${m.kernel} (${m.reason}), engine ${m.probe.allowed ? 'allow' : 'deny'}: ${describeProbe(m.probe)}`;
}

export function formatCounterexample(run: FailedRun, replay: ReplayInfo): string {
  const engine = new PolicyEngine(new ClusterState(run.objects));
  const nodes = run.applyError
    ? [run.applyError.node]
    : [...new Set(run.mismatches.slice(0, EXPLAIN_MAX).flatMap((m) => m.probe.nodes))].sort();
  const rule = (title: string): string => `\n──── ${title} ${'─'.repeat(Math.max(4, 72 - title.length))}\n`;
  const out: string[] = [];
  out.push(
    run.applyError
      ? `nft refused the compiled ruleset of ${run.applyError.node}: ${run.applyError.error}`
      : `kernel and model disagree on ${run.mismatches.length} flow(s) of the shrunk counterexample:`,
  );
  const listed = capped(run.mismatches, LIST_MAX);
  out.push(...listed.shown.map(mismatchLine), ...listed.more);
  out.push(`replay: FC_SEED=${replay.seed}${replay.path !== undefined ? ` FC_PATH=${replay.path}` : ''} vitest run ${replay.testFile}`);
  out.push(rule(`PolicyTest (save as a .yaml file; the cases expect the engine's verdicts${run.mismatches.length > CASES_MAX ? `; the first ${CASES_MAX} flows` : ''})`), policyTestFor(run, replay));
  for (const m of run.mismatches.slice(0, EXPLAIN_MAX)) out.push(rule(`explain: ${describeProbe(m.probe)}`), renderVerdictText(engine.evaluate(m.probe.flow)));
  for (const node of nodes) {
    const ir = run.irs.get(node);
    if (ir) out.push(rule(`nft ruleset of ${node}`), renderTableBody(ir));
  }
  return out.join('\n');
}
