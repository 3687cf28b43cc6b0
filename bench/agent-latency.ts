// Event-to-kernel latency of the real agent (src/agent/agent.ts), per kind of
// change (agent-latency-events.ts), at 1k, 10k and 50k pods (110 per node;
// 100 / 1k / 5k policies: generated-cluster.ts), for each nft backend, with
// the script each change wrote, the agent's RSS, its start-up sync, and the
// whole-table replace (a forced apply: what every change cost before deltas)
// measured beside the deltas in the same run. Each size runs without and
// with 100 cluster-wide policies on top (generated-cluster.ts
// withClusterPolicies; `--cluster-policies` picks), the two printed side by
// side per kind of change, with the cluster-policy changes only the second
// has (added, removed, a rule's action flipped, reprioritised).
//
// Each (size, backend) runs in its own child process (agent-latency-child.ts)
// inside a throwaway network namespace, so that both backends act on that
// namespace alone and each RSS is one agent's; a backend that falls back
// (libnftables not loadable) is skipped with openNftBackend's message, not
// measured under the other's name. Events go one at a time
// through the default coalescing window, on the real clock. The counts are
// chosen to keep the default run near 10 minutes on a 2-core machine:
// rounds of one event of each kind, at least MIN_ROUNDS, at most MAX_ROUNDS,
// and no new round once the size's budget is spent (shared by the runs with
// and without cluster-wide policies); the whole-table replace
// in the first REPLACE_ROUNDS rounds. `--events N` runs exactly N rounds.
// p50 is the median, p99 the nearest rank (with fewer than 100 events, the
// largest). Figures are printed, never asserted.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import { AGENT_DEFAULTS } from '../src/agent/config.ts';
import { NFT_BACKENDS, type NftBackend } from '../src/dataplane/nft-backend.ts';
import { CLUSTER_LATENCY_EVENTS, LATENCY_EVENTS, MAX_EVENTS_PER_TYPE } from './agent-latency-events.ts';
import type { ChildResult, EventSample } from './agent-latency-child.ts';
import { type Bench, type BenchOptions, count, median } from './bench.ts';
import { nodeName, PODS_PER_NODE } from './generated-cluster.ts';

interface Size {
  readonly label: string;
  readonly pods: number;
  readonly policies: number;
  /** No new round after this long (past MIN_ROUNDS). */
  readonly budgetMs: number;
}

const SIZES: readonly Size[] = [
  { label: '1k', pods: 1_000, policies: 100, budgetMs: 40_000 },
  { label: '10k', pods: 10_000, policies: 1_000, budgetMs: 60_000 },
  { label: '50k', pods: 50_000, policies: 5_000, budgetMs: 75_000 },
];
const MIN_ROUNDS = 3;
const MAX_ROUNDS = 40;
const REPLACE_ROUNDS = 10;
/** Cluster-wide policies on top of each size, by default: none, then 100. */
const CLUSTER_POLICY_COUNTS = [0, 100] as const;
/** A child that runs longer than this is stopped, and its size reported as failed. */
const CHILD_LIMIT_MS = 15 * 60_000;
const CHILD = path.join(import.meta.dirname, 'agent-latency-child.ts');
/** How agent-latency-child.ts begins the line that says why it failed. */
const CHILD_FAILED = 'agent-latency child failed:';

export interface Scenario {
  readonly pods: number;
  readonly policies: number;
  readonly clusterPolicies: number;
  readonly backend: NftBackend;
  /** A LatencyEvent, or "replace": a pod label change applied as the whole-table replace. */
  readonly event: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Median size of the scripts the events' syncs applied (0: none applied). */
  readonly txBytes: number;
  readonly events: number;
  /** Events whose sync wrote nothing (the table was already right). */
  readonly unchanged: number;
  /** Events whose sync wrote the whole table (for a delta event: the delta was refused, or none was possible). */
  readonly replaced: number;
  /** Of the latency: nft applying the script, and reading (listing the table) when the applier did within the sync. */
  readonly nftApplyP50Ms: number;
  readonly nftReadP50Ms: number;
}

type Run = { readonly pods: number; readonly policies: number; readonly clusterPolicies: number; readonly backend: NftBackend }
  & ({ readonly skipped: string } | { readonly failed: string } | Exclude<ChildResult, { skipped: string }>);

interface Choice {
  readonly sizes: readonly Size[];
  readonly backends: readonly NftBackend[];
  /** Exactly this many rounds; undefined: MIN_ROUNDS to MAX_ROUNDS within the budget. */
  readonly rounds: number | undefined;
  /** Cluster-wide policies on top, one run each (0: NetworkPolicy alone). */
  readonly clusterPolicies: readonly number[];
}

function choose(flags: ReadonlyMap<string, string> | undefined): Choice | string {
  const list = (name: string): string[] | undefined => flags?.get(name)?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const sizeNames = list('sizes') ?? SIZES.map((s) => s.label);
  const sizes = SIZES.filter((s) => sizeNames.includes(s.label));
  const badSize = sizeNames.find((n) => !SIZES.some((s) => s.label === n));
  if (badSize !== undefined || sizes.length === 0) return `--sizes: a comma-separated list of ${SIZES.map((s) => s.label).join(', ')}, not ${JSON.stringify(flags?.get('sizes'))}`;
  const backendNames = list('backends') ?? [...NFT_BACKENDS];
  const backends = NFT_BACKENDS.filter((b) => backendNames.includes(b));
  if (backendNames.some((n) => !backends.some((b) => b === n)) || backends.length === 0) return `--backends: a comma-separated list of ${NFT_BACKENDS.join(', ')}, not ${JSON.stringify(flags?.get('backends'))}`;
  const eventsText = flags?.get('events');
  const rounds = eventsText === undefined ? undefined : Number(eventsText);
  if (rounds !== undefined && (!/^\d+$/.test(eventsText ?? '') || rounds < 1 || rounds > MAX_EVENTS_PER_TYPE)) {
    return `--events: a whole number of events per kind from 1 to ${MAX_EVENTS_PER_TYPE}, not ${JSON.stringify(eventsText)}`;
  }
  const cpText = flags?.get('cluster-policies');
  const clusterPolicies = cpText === undefined ? [...CLUSTER_POLICY_COUNTS] : (list('cluster-policies') ?? []).map(Number);
  if (clusterPolicies.length === 0 || clusterPolicies.some((n) => !Number.isInteger(n) || n < 0 || n > 1000) || new Set(clusterPolicies).size !== clusterPolicies.length
    || (cpText !== undefined && !/^\s*\d+\s*(,\s*\d+\s*)*$/.test(cpText))) {
    return `--cluster-policies: a comma-separated list of distinct counts from 0 to 1000 (e.g. 0,100), not ${JSON.stringify(cpText)}`;
  }
  return { sizes, backends, rounds, clusterPolicies };
}

/** A child in a throwaway netns; its stderr lines go to `progress`, its last stdout line is its result. */
async function runChild(size: Size, clusterPolicies: number, budgetMs: number, backend: NftBackend, rounds: number | undefined, progress: (line: string) => void): Promise<Run> {
  const at = { pods: size.pods, policies: size.policies, clusterPolicies, backend };
  const netns = `nftpolalat${process.pid}x${randomBytes(3).toString('hex')}`;
  const add = await execa('ip', ['netns', 'add', netns], { reject: false });
  if (add.exitCode !== 0) return { ...at, failed: `ip netns add failed: ${String(add.stderr).trim()}` };
  try {
    const args = [
      // --max-semi-space-size=2: the agent runs so in the image and the chart (NODE_OPTIONS).
      'netns', 'exec', netns, process.execPath, '--expose-gc', '--max-semi-space-size=2', CHILD, '--pods', String(size.pods), '--policies', String(size.policies), '--backend', backend,
      '--min-rounds', String(rounds ?? MIN_ROUNDS), '--max-rounds', String(rounds ?? MAX_ROUNDS),
      '--budget-ms', String(rounds === undefined ? Math.round(budgetMs) : 0), '--cluster-policies', String(clusterPolicies), '--replace-rounds', String(Math.min(rounds ?? REPLACE_ROUNDS, REPLACE_ROUNDS)),
    ];
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Interrupted (^C): the child and its namespace go too, then the bench ends as interrupted.
    const interrupted = (signal: NodeJS.Signals): void => {
      child.kill('SIGKILL');
      execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
      process.kill(process.pid, signal);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    let stdout = '';
    let pending = '';
    /** The child's own account of why it failed (its first line), for the summary. */
    let why = '';
    const line = (l: string): void => {
      if (l.startsWith(CHILD_FAILED)) why = l.slice(CHILD_FAILED.length).trim().slice(0, 300);
      progress(l);
    };
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) line(l);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
    const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    if (pending !== '') line(pending);
    const last = stdout.trim().split('\n').pop() ?? '';
    if (exit !== 0 || last === '') return { ...at, failed: exit === null ? `stopped after ${CHILD_LIMIT_MS / 60_000} min` : `exit ${exit}${why === '' ? ' (its stderr is above)' : `: ${why}`}` };
    return { ...at, ...(JSON.parse(last) as ChildResult) };
  } finally {
    await execa('ip', ['netns', 'del', netns], { reject: false });
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The nearest-rank percentile (xs not empty). */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1] as number;
}

function scenario(run: Run, event: string, samples: readonly EventSample[]): Scenario {
  const ms = samples.map((s) => s.ms);
  const applied = samples.filter((s) => s.result === 'applied');
  return {
    pods: run.pods, policies: run.policies, clusterPolicies: run.clusterPolicies, backend: run.backend, event,
    p50Ms: round1(median(ms)), p99Ms: round1(percentile(ms, 99)), maxMs: round1(Math.max(...ms)),
    txBytes: applied.length === 0 ? 0 : Math.round(median(applied.map((s) => s.bytes))),
    events: samples.length, unchanged: samples.length - applied.length, replaced: applied.filter((s) => s.script === 'replace').length,
    nftApplyP50Ms: round1(median(samples.map((s) => s.nftApplyMs))), nftReadP50Ms: round1(median(samples.map((s) => s.nftReadMs))),
  };
}

function scenariosOf(run: Run): Scenario[] {
  if (!('samples' in run)) return [];
  return [...LATENCY_EVENTS, ...CLUSTER_LATENCY_EVENTS, 'replace'].flatMap((e) => {
    const got = run.samples[e] ?? [];
    return got.length === 0 ? [] : [scenario(run, e, got)];
  });
}

const ms = (x: number): string => `${x >= 100 ? count(x) : x.toFixed(1)} ms`;
const sizeLabel = (r: Run): string => `${count(r.pods)} pods, ${count(r.policies)} policies`
  + `${r.clusterPolicies === 0 ? '' : ` + ${count(r.clusterPolicies)} cluster-wide`}, ${r.backend}`;

function printRun(run: Run, report: (line: string) => void): void {
  if ('skipped' in run) return report(`${sizeLabel(run)}: SKIPPED: ${run.skipped}`);
  if ('failed' in run) return report(`${sizeLabel(run)}: FAILED: ${run.failed}`);
  const c = run.counts;
  report(`${sizeLabel(run)}: start-up sync ${ms(run.startupSyncMs)} (${count(run.startupBytes)} bytes); RSS ${count(run.rssMb)} MB after it `
    + `(${count(run.baselineRssMb)} MB before the cluster was generated; peak ${count(run.peakRssMb)} MB)`
    + (c === null ? '' : `; ${nodeName(0)}: ${count(c['localPods'] ?? 0)} local pods, ${count(c['chains'] ?? 0)} chains, ${count(c['elements'] ?? 0)} set elements`)
    + `; ${run.rounds} rounds`);
  if (run.error !== undefined) report(`  STOPPED EARLY: ${run.error}`);
  const cols = ['event', 'n', 'p50', 'p99', 'max', 'tx bytes', 'nft -f p50', 'nft read p50', 'unchanged', 'replaced'];
  printTable(cols, scenariosOf(run).map((s) => [s.event, String(s.events), ms(s.p50Ms), ms(s.p99Ms), ms(s.maxMs), count(s.txBytes), ms(s.nftApplyP50Ms), ms(s.nftReadP50Ms), String(s.unchanged), String(s.replaced)]), report);
}

function printTable(cols: readonly string[], rows: readonly (readonly string[])[], report: (line: string) => void): void {
  const widths = cols.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const r of [cols, ...rows]) report(`  ${r.map((v, i) => (i === 0 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number))).join('  ')}`);
}

/** The runs of one size and backend side by side per kind of change: p50, p99 and tx bytes of each; then the table and RSS of each. */
function printSideBySide(runs: readonly Run[], report: (line: string) => void): void {
  const measured = runs.filter((r): r is Extract<Run, { samples: unknown }> => 'samples' in r);
  if (runs.length < 2) return;
  const tag = (r: Run): string => (r.clusterPolicies === 0 ? 'NP only' : `+${count(r.clusterPolicies)} CP`);
  const byRun = measured.map((r) => new Map(scenariosOf(r).map((s) => [s.event, s])));
  const events = [...LATENCY_EVENTS, ...CLUSTER_LATENCY_EVENTS, 'replace'].filter((e) => byRun.some((m) => m.has(e)));
  report(`  side by side (${runs.map(tag).join(' | ')}):`);
  const cols = ['event', ...['p50', 'p99', 'tx bytes'].flatMap((what) => measured.map((r) => `${what} ${tag(r)}`))];
  const cell = (m: ReadonlyMap<string, Scenario>, e: string, f: (s: Scenario) => string): string => {
    const s = m.get(e);
    return s === undefined ? '-' : f(s);
  };
  if (measured.length > 0) printTable(cols, events.map((e) => [e,
    ...byRun.map((m) => cell(m, e, (s) => ms(s.p50Ms))), ...byRun.map((m) => cell(m, e, (s) => ms(s.p99Ms))), ...byRun.map((m) => cell(m, e, (s) => count(s.txBytes)))]), report);
  for (const r of runs) {
    if (!('samples' in r)) {
      report(`  ${tag(r).padEnd(10)} ${'failed' in r ? `FAILED: ${r.failed}` : `SKIPPED: ${r.skipped}`}`);
      continue;
    }
    const c = r.counts;
    report(`  ${tag(r).padEnd(10)} table ${c === null ? '?' : `${count(c['chains'] ?? 0)} chains, ${count(c['elements'] ?? 0)} set elements`}, `
      + `start-up ${ms(r.startupSyncMs)} (${count(r.startupBytes)} bytes), RSS ${count(r.rssMb)} MB (peak ${count(r.peakRssMb)} MB)`);
  }
}

/** Per size: the figure of the nft command's run (the default backend), else of the first backend measured. */
function bySize(runs: readonly Run[], pick: (r: Exclude<ChildResult, { skipped: string }>) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of runs) {
    if (!('samples' in r)) continue;
    const key = r.clusterPolicies === 0 ? String(r.pods) : `${r.pods}+${r.clusterPolicies}cp`;
    if (out[key] === undefined || r.backend === 'nft') out[key] = round1(pick(r));
  }
  return out;
}

function method(choice: Choice): string {
  const rounds = choice.rounds === undefined
    ? `${MIN_ROUNDS} to ${MAX_ROUNDS} rounds per size, none begun after its budget (${choice.sizes.map((s) => `${s.label}: ${s.budgetMs / 1000} s`).join(', ')})`
    : `${choice.rounds} rounds (--events)`;
  return `cluster-wide policies on top: ${choice.clusterPolicies.map((n) => (n === 0 ? 'none' : count(n))).join(', ')} (a run each, the size's budget shared). `
    + `agent for ${nodeName(0)} (${PODS_PER_NODE} pods per node); KubernetesSource fed watch events in-process; SyncerApplier; coalescing window ${AGENT_DEFAULTS.coalesceMs} ms (the default), real clock. `
    + `Each event alone, timed from the watch event to the end of the agent's sync of it. A round is one event of each kind; ${rounds}; `
    + `replace (a pod label change, the apply forced: the whole table) in the first ${Math.min(choice.rounds ?? REPLACE_ROUNDS, REPLACE_ROUNDS)} rounds. p50 median, p99 nearest rank (with under 100 events: the largest).`;
}

async function run(report: (line: string) => void, options: BenchOptions): Promise<void> {
  const choice = choose(options.flags);
  if (typeof choice === 'string') {
    report(choice);
    process.exitCode = 2;
    return;
  }
  report(method(choice));
  const runs: Run[] = [];
  if (process.getuid?.() !== 0) {
    report('SKIPPED: not root (each run needs its own network namespace)');
  } else {
    const started = performance.now();
    for (const size of choice.sizes) {
      for (const backend of choice.backends) {
        const side: Run[] = [];
        for (const cps of choice.clusterPolicies) {
          report('');
          report(`${size.label} pods${cps === 0 ? '' : ` + ${cps} cluster-wide policies`}, ${backend}: running…`);
          const got = await runChild(size, cps, size.budgetMs / choice.clusterPolicies.length, backend, choice.rounds, (line) => report(`  | ${line}`));
          side.push(got);
          printRun(got, report);
        }
        printSideBySide(side, report);
        runs.push(...side);
      }
    }
    report('');
    report(`whole run: ${((performance.now() - started) / 60_000).toFixed(1)} min`);
  }
  if (options.json === true) {
    const scenarios = runs.flatMap(scenariosOf);
    const runsOut = runs.map((r) => ('samples' in r ? { ...r, samples: undefined } : r));
    process.stdout.write(`${JSON.stringify({
      scenarios, rssMb: bySize(runs, (r) => r.rssMb), startupSyncMs: bySize(runs, (r) => r.startupSyncMs), runs: runsOut, method: method(choice),
    })}\n`);
  }
}

export const agentLatency: Bench = {
  name: 'agent',
  description: 'agent event-to-kernel latency p50/p99 per kind of change at 1k/10k/50k pods, per nft backend, without and with 100 cluster-wide policies; tx bytes, RSS, start-up sync; whole-table replace beside it',
  json: true,
  flags: {
    sizes: `which cluster sizes, comma-separated: ${SIZES.map((s) => s.label).join(',')} (default: all)`,
    backends: `which nft backends: ${NFT_BACKENDS.join(',')} (default: both)`,
    events: `exactly this many events of each kind (1–${MAX_EVENTS_PER_TYPE}) instead of the time budget`,
    'cluster-policies': `cluster-wide policies on top of each size, one run per count, comma-separated (default: ${CLUSTER_POLICY_COUNTS.join(',')}; side by side)`,
  },
  run,
};
