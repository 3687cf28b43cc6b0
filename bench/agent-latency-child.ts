// One run of the agent-latency bench: a real Agent for node-000 of a
// generated cluster, its KubernetesSource fed watch events directly, a
// SyncerApplier on one nft backend. The parent (agent-latency.ts) starts it
// inside a throwaway network namespace (`ip netns exec`), so the nft command
// and in-process libnftables both act on that namespace's tables only.
//
//   node --expose-gc bench/agent-latency-child.ts --pods N --policies P --backend nft|libnftables
//        --min-rounds A --max-rounds B --budget-ms T --replace-rounds R [--cluster-policies C]
//
// With C > 0, C cluster-wide policies on top (generated-cluster.ts
// withClusterPolicies), and each round has the cluster-policy changes of
// agent-latency-events.ts too.
//
// Measures: the start-up sync (agent.start(), the initial lists, up to the
// first table in the kernel); RSS once the agent is at rest after it (its
// drift listing taken; after a GC: what the agent keeps, with the generated
// objects, which its source holds anyway) and before the cluster was
// generated (the process alone); then rounds of the changes of
// agent-latency-events.ts, one event at a time: from handing the event to
// the source to the end of the agent's sync of it (its kernel-work
// listener, once status() shows a sync of a new revision), with the script
// it applied and nft's share (applying the script; reading, i.e. listing
// the table, when the applier did that within the sync). In the first R
// rounds, one more pod label change is applied with the apply forced: the
// whole-table replace, which every change cost before deltas.
// Rounds go on up to B, and past A only while the run is under T ms.
// Progress goes to stderr, the result (ChildResult) as one JSON line to stdout.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { parseArgs } from 'node:util';
import { Agent } from '../src/agent/agent.ts';
import { SyncerApplier, type Applier, type ApplyOutcome } from '../src/agent/applier.ts';
import { systemClock } from '../src/agent/clock.ts';
import { AGENT_DEFAULTS } from '../src/agent/config.ts';
import { KubernetesSource } from '../src/agent/kubernetes-source.ts';
import { AgentMetrics } from '../src/agent/metrics.ts';
import type { NodeIR } from '../src/compile/ir.ts';
import { NFT_BACKENDS, openNftBackend } from '../src/dataplane/nft-backend.ts';
import type { NftRunner } from '../src/dataplane/nft-runner.ts';
import type { ClusterEvent } from '../src/k8s/watch-cluster.ts';
import { CLUSTER_LATENCY_EVENTS, clusterPolicyChanges, LATENCY_EVENTS, latencyChanges, type Change } from './agent-latency-events.ts';
import { generateCluster, nodeName, withClusterPolicies } from './generated-cluster.ts';
import { initialEvents, objectEvent } from './watch-events.ts';

/** One event's sync: how long from the event to its end, what it wrote, and nft's share. */
export interface EventSample {
  readonly ms: number;
  readonly result: 'applied' | 'unchanged';
  readonly script: 'replace' | 'delta' | null;
  readonly bytes: number;
  /** In the nft runner during the sync: applying the script (nft -f), and reading (nft list). */
  readonly nftApplyMs: number;
  readonly nftReadMs: number;
}

export type ChildResult =
  | { readonly skipped: string }
  | {
    readonly startupSyncMs: number;
    readonly startupBytes: number;
    /** Before the cluster was generated: the process with its modules loaded. */
    readonly baselineRssMb: number;
    readonly rssMb: number;
    readonly peakRssMb: number;
    /** The node's table after the start-up sync. */
    readonly counts: Readonly<Record<string, number>> | null;
    readonly rounds: number;
    /** By event name (LatencyEvent, or "replace"). */
    readonly samples: Readonly<Record<string, readonly EventSample[]>>;
    /** Why the rounds stopped early (a sync failed, or its event was not the one synced). */
    readonly error?: string;
  };

/** Time spent in a runner's apply and read, from the last take(). */
class TimedRunner implements NftRunner {
  private applyMs = 0;
  private readMs = 0;
  private readonly inner: NftRunner;
  constructor(inner: NftRunner) {
    this.inner = inner;
  }
  async apply(script: string): Promise<void> {
    const t = performance.now();
    try {
      await this.inner.apply(script);
    } finally {
      this.applyMs += performance.now() - t;
    }
  }
  check(script: string): Promise<void> {
    return this.inner.check(script);
  }
  async read(args: readonly string[]): Promise<string> {
    const t = performance.now();
    try {
      return await this.inner.read(args);
    } finally {
      this.readMs += performance.now() - t;
    }
  }
  take(): { applyMs: number; readMs: number } {
    const got = { applyMs: this.applyMs, readMs: this.readMs };
    this.applyMs = 0;
    this.readMs = 0;
    return got;
  }
}

/** The whole-table replace beside the deltas: the same SyncerApplier, every apply forced while `replaceAll`. */
class ReplacingApplier implements Applier {
  replaceAll = false;
  private readonly inner: Applier;
  constructor(inner: Applier) {
    this.inner = inner;
  }
  apply(ir: NodeIR, { force }: { readonly force: boolean }): Promise<ApplyOutcome> {
    return this.inner.apply(ir, { force: force || this.replaceAll });
  }
  inSync(): Promise<boolean> {
    return this.inner.inSync();
  }
}

const SYNC_TIMEOUT_MS = 120_000;
/** Longer than the agent's pause (1 s) before it takes its drift listing: the start-up's is then done before the first event. */
const QUIET_MS = 2500;
const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

interface ChildOptions {
  readonly pods: number;
  readonly policies: number;
  readonly backend: string;
  readonly minRounds: number;
  readonly maxRounds: number;
  readonly budgetMs: number;
  readonly replaceRounds: number;
  readonly clusterPolicies: number;
}

function options(): ChildOptions {
  const text = { type: 'string' } as const;
  const { values } = parseArgs({ options: {
    backend: text, pods: text, policies: text, 'min-rounds': text, 'max-rounds': text, 'budget-ms': text, 'replace-rounds': text, 'cluster-policies': text,
  } });
  const num = (name: Exclude<keyof typeof values, 'backend'>, min: number, absent?: number): number => {
    const v = values[name] ?? (absent === undefined ? undefined : String(absent));
    const n = Number(v);
    if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new Error(`--${name}: want a whole number ≥ ${min}, not ${JSON.stringify(v)}`);
    return n;
  };
  return {
    pods: num('pods', 1), policies: num('policies', 1), backend: values.backend ?? 'nft',
    minRounds: num('min-rounds', 1), maxRounds: num('max-rounds', 1), budgetMs: num('budget-ms', 0), replaceRounds: num('replace-rounds', 0),
    clusterPolicies: num('cluster-policies', 0, 0),
  };
}

async function main(): Promise<ChildResult> {
  const opts = options();
  const backend = NFT_BACKENDS.find((b) => b === opts.backend);
  if (backend === undefined) throw new Error(`--backend: one of ${NFT_BACKENDS.join(', ')}, not ${JSON.stringify(opts.backend)}`);
  // A backend that fell back is skipped with its message, not measured under the other's name.
  const opened = openNftBackend(backend);
  if (opened.fallback !== undefined) return { skipped: opened.fallback };
  if (opened.backend !== backend) return { skipped: `${backend} asked for, ${opened.backend} opened` };
  globalThis.gc?.();
  const baselineRssMb = mb(process.memoryUsage().rss);

  const node = nodeName(0);
  const objects = withClusterPolicies(generateCluster(opts.pods, opts.policies), opts.clusterPolicies);
  const perType = Math.max(opts.minRounds, opts.maxRounds);
  const changes = { ...latencyChanges(objects, node, nodeName(1), perType, opts.replaceRounds), ...clusterPolicyChanges(objects, node, perType) };
  // A cluster-policy change the cluster has nothing for (no Admin policy takes a pod of the node) is left out.
  const eventKinds = [...LATENCY_EVENTS, ...CLUSTER_LATENCY_EVENTS.filter((k) => changes[k].length > 0)];

  let emit: (e: ClusterEvent) => void = () => { throw new Error('the source has not started its watch'); };
  const source = new KubernetesSource({
    kubeConfig: new KubeConfig(), location: 'bench',
    startWatch: (onEvent) => {
      emit = onEvent;
      return { synced: Promise.resolve(), isSynced: () => true, resourceVersions: () => ({ namespaces: '', pods: '', networkpolicies: '', nodes: '' }), stop: async () => {} };
    },
  });
  const runner = new TimedRunner(opened.runner);
  const applier = new ReplacingApplier(new SyncerApplier({ runner, table: AGENT_DEFAULTS.table, bridge: false }));
  const agent = new Agent(
    // No reconcile: every sync is then the one of the event just sent.
    { node, table: AGENT_DEFAULTS.table, coalesceMs: Number(AGENT_DEFAULTS.coalesceMs), reconcileIntervalMs: 0, staleAfterMs: 0 },
    { source, applier, logger: pino({ level: 'error' }, pino.destination(2)), metrics: new AgentMetrics(), clock: systemClock },
  );
  // Kernel work is a sync or the applier's settle (its drift listing, once changes pause): each end calls onWork.
  let onWork: (() => void) | undefined;
  agent.onKernelWork(() => onWork?.());
  /** Resolves at the end of the first kernel work after which `done()` holds. */
  const kernelWorkUntil = (done: () => boolean, what: string): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onWork = undefined;
      reject(new Error(`${what}: no sync within ${SYNC_TIMEOUT_MS / 1000}s`));
    }, SYNC_TIMEOUT_MS);
    onWork = () => {
      if (!done()) return;
      clearTimeout(timer);
      onWork = undefined;
      resolve();
    };
  });
  /** Resolves once no kernel work has ended for QUIET_MS. */
  const quiet = (): Promise<void> => new Promise((resolve) => {
    const end = (): void => {
      onWork = undefined;
      resolve();
    };
    let timer = setTimeout(end, QUIET_MS);
    onWork = () => {
      clearTimeout(timer);
      timer = setTimeout(end, QUIET_MS);
    };
  });
  const lastSyncRevision = (): string | undefined => agent.status().kernel.lastSync?.revision;

  const t0 = performance.now();
  const first = kernelWorkUntil(() => lastSyncRevision() !== undefined, 'start-up');
  await agent.start();
  for (const e of initialEvents(objects, 1)) emit(e);
  await first;
  const startupSyncMs = performance.now() - t0;
  const started = agent.status();
  if (started.kernel.lastSync?.result !== 'applied') throw new Error(`the start-up sync did not apply: ${started.kernel.lastSync?.error ?? started.readyReason}`);
  // The agent at rest, its drift baseline taken, as it waits for the next change.
  await quiet();
  globalThis.gc?.();
  const rssMb = mb(process.memoryUsage().rss);
  progress(`start-up sync ${startupSyncMs.toFixed(0)} ms (${started.kernel.lastApply?.bytes ?? 0} bytes), RSS ${rssMb} MB`);

  let rv = 1;
  /** Sends one change, waits for its sync; the kernel's revision must then be the source's, moved by the change. */
  const measure = async (change: Change): Promise<EventSample> => {
    const before = agent.status();
    const done = kernelWorkUntil(() => lastSyncRevision() !== before.kernel.lastSync?.revision, 'event');
    runner.take();
    const start = performance.now();
    emit(objectEvent(change.type, change.object, ++rv));
    await done;
    const ms = performance.now() - start;
    const nft = runner.take();
    const st = agent.status();
    const last = st.kernel.lastSync;
    if (last === null || last.result === 'failed') throw new Error(`sync failed: ${last?.error ?? 'no sync'}`);
    if (st.source.revision === before.source.revision || st.kernel.revision !== st.source.revision) {
      throw new Error(`the sync after the event is not of it: source ${String(st.source.revision)}, kernel ${String(st.kernel.revision)}, before ${String(before.source.revision)}`);
    }
    const apply = last.result === 'applied' ? st.kernel.lastApply : null;
    return { ms, result: last.result, script: apply?.kind ?? null, bytes: apply?.bytes ?? 0, nftApplyMs: nft.applyMs, nftReadMs: nft.readMs };
  };

  const samples: Record<string, EventSample[]> = Object.fromEntries([...eventKinds, 'replace'].map((e) => [e, []]));
  const roundsStart = performance.now();
  let rounds = 0;
  let error: string | undefined;
  try {
    while (rounds < opts.maxRounds && (rounds < opts.minRounds || performance.now() - roundsStart < opts.budgetMs)) {
      const kinds = rounds < opts.replaceRounds ? [...eventKinds, 'replace' as const] : eventKinds;
      for (const kind of kinds) {
        applier.replaceAll = kind === 'replace';
        samples[kind]?.push(await measure(changes[kind][rounds] as Change));
        // Events that come apart: the next one opens its own coalescing window.
        await new Promise((r) => setImmediate(r));
      }
      rounds++;
      if (rounds % 5 === 0) progress(`${rounds} rounds in ${((performance.now() - roundsStart) / 1000).toFixed(0)} s`);
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  await agent.stop();
  return {
    startupSyncMs: Math.round(startupSyncMs * 10) / 10, startupBytes: started.kernel.lastApply?.bytes ?? 0, baselineRssMb, rssMb, peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    counts: started.counts === null ? null : { ...started.counts }, rounds, samples, ...(error !== undefined && { error }),
  };
}

try {
  process.stdout.write(`${JSON.stringify(await main())}\n`);
} catch (err) {
  progress(`agent-latency child failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  // The agent may still be retrying on its timers: end here rather than wait for them.
  process.exit(1);
}
