// The node agent's loop: source events are coalesced into one sync per
// burst; a sync reads the source, compiles this node's IR and applies it.
// Nothing reaches the kernel before the source has synced (its first
// complete, valid read): until then a previous run's table keeps enforcing,
// and the first sync replaces it in one transaction. A refused read or a
// failed apply leaves the table in force; a failed apply is retried with
// backoff. A periodic reconcile re-applies the table when the kernel's copy
// drifted. stop() ends the loop and leaves the table in place.
//
// Logs: what changes at info (a new revision applied, a read refused, a
// failure, drift repaired), one line per sync at debug, nothing while
// nothing changes.
import type { Logger } from 'pino';
import type { NodeIR } from '../compile/ir.ts';
import { formatProblem, type SourceProblem } from '../model/problems.ts';
import type { AppliedScript, Applier, ApplyOutcome } from './applier.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { ClusterSource, WatchedResourceStatus } from './cluster-source.ts';
import { Coalescer } from './coalescer.ts';
import type { AgentMetrics, SyncErrorCause, SyncTrigger } from './metrics.ts';
import { CompiledNode } from './compiled-node.ts';
import type { ConntrackTable } from '../dataplane/conntrack.ts';
import { EstablishedSweeper } from './established-sweeper.ts';
import { countIR, type IRCounts } from './node-ir.ts';

/** How long changes must pause before the applier takes its drift baseline. */
const SETTLE_MS = 1000;

export interface AgentOptions {
  readonly node: string;
  readonly table: string;
  readonly coalesceMs: number;
  readonly reconcileIntervalMs: number;
  readonly staleAfterMs: number;
  /** Leave established connections of flows a change denies (addresses that change owner are swept all the same). */
  readonly keepEstablished?: boolean;
  /** First retry delay after a failed sync; doubles up to maxRetryMs. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

export interface AgentDeps {
  readonly source: ClusterSource;
  readonly applier: Applier;
  readonly logger: Logger;
  readonly metrics: AgentMetrics;
  readonly clock: Clock;
  /** The node's connection tracking table: given, revoked connections are cut after each change (established-sweeper.ts). */
  readonly conntrack?: ConntrackTable;
}

export interface LastSync {
  readonly at: number;
  readonly trigger: SyncTrigger;
  readonly result: 'applied' | 'unchanged' | 'failed';
  readonly revision: string;
  readonly error?: string;
  readonly cause?: SyncErrorCause;
}

export interface AgentStatus {
  readonly node: string;
  readonly table: string;
  readonly source: {
    readonly kind: string;
    readonly location: string;
    readonly synced: boolean;
    /** The last good revision the source read. */
    readonly revision: string | null;
    /** The newest read, when it was refused: its revision and errors. */
    readonly rejected: { readonly revision: string; readonly problems: readonly string[] } | null;
    /** The kubernetes source: each resource it may watch and how it stands (cluster-wide kinds: whether the API server serves them). */
    readonly resources?: readonly WatchedResourceStatus[];
  };
  readonly kernel: {
    /** Revision of the table in the kernel, as this agent last applied or confirmed it. */
    readonly revision: string | null;
    readonly lastSync: (Omit<LastSync, 'at'> & { readonly at: string }) | null;
    readonly lastSuccessAt: string | null;
    /** The last script written to the kernel: a replace of the whole table or a delta, its size and when. */
    readonly lastApply: (AppliedScript & { readonly revision: string; readonly at: string }) | null;
  };
  readonly counts: IRCounts | null;
  readonly ready: boolean;
  readonly readyReason: string;
}

/** Distinct objects (or documents) the problems are about. */
function objectsIn(problems: readonly SourceProblem[]): number {
  return new Set(problems.map((p) => [p.file, p.document ?? '', p.kind ?? '', p.namespace ?? '', p.name ?? ''].join('\0'))).size;
}

export class Agent {
  private readonly opts: Required<AgentOptions>;
  private readonly deps: AgentDeps;
  private readonly coalescer: Coalescer;
  /** Kernel work (syncs, reconciles) runs one at a time, in order. */
  private kernelQueue: Promise<unknown> = Promise.resolve();
  private reconcileTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private retryDelay: number;
  private stopped = false;
  private applied: { revision: string; ir: NodeIR; counts: IRCounts } | undefined;
  private lastSync: LastSync | undefined;
  private lastSuccessAt: number | undefined;
  private lastApply: (AppliedScript & { readonly revision: string; readonly at: number }) | undefined;
  private rejected: { revision: string; problems: readonly SourceProblem[] } | undefined;
  private lastWarned: string | undefined;
  private readonly kernelListeners = new Set<() => void>();
  /** The state last read and its IR, moved forward by each read's changes. */
  private readonly compiled: CompiledNode;
  private readonly sweeper: EstablishedSweeper | undefined;
  private settleTimer: TimerHandle | undefined;
  private lastShared: string | undefined;

  constructor(opts: AgentOptions, deps: AgentDeps) {
    this.opts = { retryMs: 1000, maxRetryMs: 60_000, keepEstablished: false, ...opts };
    this.deps = deps;
    this.retryDelay = this.opts.retryMs;
    this.compiled = new CompiledNode(opts.node, { place: deps.source.kind === 'files' });
    this.sweeper = deps.conntrack === undefined ? undefined : new EstablishedSweeper({
      node: opts.node, table: deps.conntrack, keepEstablished: this.opts.keepEstablished, logger: deps.logger, metrics: deps.metrics,
      engine: () => this.compiled.engine,
    });
    this.coalescer = new Coalescer(opts.coalesceMs, (firstAt) => this.enqueue(() => this.sync(firstAt, 'change')), deps.clock);
  }

  async start(): Promise<void> {
    await this.deps.source.start(() => this.coalescer.notify());
    if (this.opts.reconcileIntervalMs > 0) {
      this.reconcileTimer = this.deps.clock.setInterval(() => void this.enqueue(() => this.reconcile()), this.opts.reconcileIntervalMs);
    }
  }

  /** Ends the loop; the table stays in force (uninstall is `nftpol cleanup`). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.reconcileTimer, this.retryTimer, this.settleTimer]) if (t !== undefined) this.deps.clock.clear(t);
    await this.deps.source.stop();
    await this.coalescer.stop();
    await this.kernelQueue;
    await this.sweeper?.idle();
  }

  /** Calls `listener` after every sync and reconcile (tests and the kernel test wait on it). */
  onKernelWork(listener: () => void): () => void {
    this.kernelListeners.add(listener);
    return () => this.kernelListeners.delete(listener);
  }

  /** Ready: a sync succeeded, the last one did not fail, and the table was confirmed within --stale-after. */
  readiness(): { ready: boolean; reason: string } {
    if (!this.deps.source.synced) return { ready: false, reason: `waiting for the ${this.deps.source.kind} source's first complete, valid read` };
    if (this.lastSync?.result === 'failed') return { ready: false, reason: `the last sync failed (${this.lastSync.cause ?? 'error'}): ${this.lastSync.error ?? ''}` };
    if (this.lastSuccessAt === undefined) return { ready: false, reason: 'no successful sync yet' };
    const age = this.deps.clock.now() - this.lastSuccessAt;
    if (this.opts.staleAfterMs > 0 && age > this.opts.staleAfterMs) {
      return { ready: false, reason: `no successful sync or reconcile for ${Math.round(age / 1000)}s (--stale-after ${Math.round(this.opts.staleAfterMs / 1000)}s)` };
    }
    return { ready: true, reason: 'ok' };
  }

  status(): AgentStatus {
    const iso = (ms: number): string => new Date(ms).toISOString();
    const r = this.readiness();
    return {
      node: this.opts.node,
      table: `inet ${this.opts.table}`,
      source: {
        kind: this.deps.source.kind,
        location: this.deps.source.location,
        synced: this.deps.source.synced,
        revision: this.deps.source.revision ?? null,
        rejected: this.rejected === undefined ? null : { revision: this.rejected.revision, problems: this.rejected.problems.filter((p) => p.severity === 'error').map(formatProblem) },
        ...(this.deps.source.resources !== undefined && { resources: this.deps.source.resources }),
      },
      kernel: {
        revision: this.applied?.revision ?? null,
        lastSync: this.lastSync === undefined ? null : { ...this.lastSync, at: iso(this.lastSync.at) },
        lastSuccessAt: this.lastSuccessAt === undefined ? null : iso(this.lastSuccessAt),
        lastApply: this.lastApply === undefined ? null : { ...this.lastApply, at: iso(this.lastApply.at) },
      },
      counts: this.applied?.counts ?? null,
      ready: r.ready,
      readyReason: r.reason,
    };
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.kernelQueue.then(async () => {
      if (this.stopped) return;
      try {
        await work();
      } catch (err) {
        // A bug, not bad input: say so, keep the loop (and the table) alive.
        this.deps.logger.error({ err }, 'unexpected failure in the sync loop; the table in force is unchanged');
      }
      for (const l of this.kernelListeners) l();
    });
    this.kernelQueue = next;
    return next;
  }

  private async sync(firstAt: number, trigger: SyncTrigger): Promise<void> {
    const { logger, metrics, source } = this.deps;
    const read = await source.read();
    if (read.kind === 'rejected') {
      if (this.rejected?.revision !== read.revision) {
        const errors = read.problems.filter((p) => p.severity === 'error');
        metrics.readsRejected.inc();
        metrics.objectsRejected.inc(objectsIn(errors));
        logger.error({ revision: read.revision, kept: read.snapshot?.revision ?? null, problems: errors.map(formatProblem) },
          read.snapshot === undefined
            ? `source read refused (${errors.length} error${errors.length === 1 ? '' : 's'}): nothing is applied until the source is valid`
            : `source read refused (${errors.length} error${errors.length === 1 ? '' : 's'}): keeping revision ${read.snapshot.revision}`);
      }
      this.rejected = { revision: read.revision, problems: read.problems };
      return;
    }
    if (this.rejected !== undefined) {
      logger.info({ revision: read.snapshot.revision }, 'source valid again');
      this.rejected = undefined;
    }
    const { snapshot } = read;
    // Problems that do not refuse a read (warnings; the kubernetes source's overlapping pod
    // CIDRs, left out) are logged when they change, not at every revision: a cluster's
    // revision moves with every pod, and a standing warning would repeat with it.
    const problems = read.warnings.map(formatProblem);
    const said = problems.join('\n');
    if (problems.length > 0 && this.lastWarned !== said) {
      logger.warn({ revision: snapshot.revision, problems }, `source read with ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    }
    this.lastWarned = said;
    // Steady state: the same revision is in force and the last sync worked.
    if (trigger === 'change' && this.applied?.revision === snapshot.revision && this.lastSync?.result !== 'failed') return;

    this.sweeper?.beforeChange(this.compiled.engine?.state);
    const compiled = this.compiled.advance(snapshot, read.changes);
    if (source.kind === 'kubernetes') this.warnSharedAddresses(snapshot.revision);
    if (!compiled.ok) {
      const problem = `node "${this.opts.node}" is not in the input; it knows ${compiled.known.join(', ')}`;
      this.fail(trigger, snapshot.revision, 'unknown_node', problem, false);
      return;
    }
    const outcome = await this.deps.applier.apply(compiled.ir, { force: false });
    this.finish(trigger, firstAt, snapshot.revision, compiled.ir, outcome);
  }

  private finish(trigger: SyncTrigger, firstAt: number, revision: string, ir: NodeIR, outcome: ApplyOutcome): void {
    const { logger, metrics, clock } = this.deps;
    if (!outcome.ok) {
      this.fail(trigger, revision, outcome.cause, outcome.error, true);
      return;
    }
    const now = clock.now();
    const before = this.applied?.revision;
    const counts = countIR(ir);
    this.applied = { revision, ir, counts };
    this.lastSuccessAt = now;
    this.retryDelay = this.opts.retryMs;
    const result = outcome.applied ? 'applied' : 'unchanged';
    this.lastSync = { at: now, trigger, result, revision };
    metrics.syncs.inc({ trigger, result });
    metrics.lastSuccess.set(now / 1000);
    metrics.setIR(counts, ir);
    if (outcome.applied) metrics.syncDuration.observe((now - firstAt) / 1000);
    if (outcome.applied) this.settleLater();
    if (trigger !== 'reconcile') this.sweeper?.afterApply(outcome.applied);
    if (outcome.applied && outcome.script !== undefined) {
      this.lastApply = { ...outcome.script, revision, at: now };
      metrics.scriptBytes.observe({ script: outcome.script.kind }, outcome.script.bytes);
      metrics.lastApplyDelta.set(outcome.script.kind === 'delta' ? 1 : 0);
    }
    if (outcome.applied && before !== revision) {
      logger.info({ revision, previous: before ?? null, ...counts, ms: now - firstAt },
        before === undefined ? `table inet ${this.opts.table} replaced with revision ${revision} (first sync)` : `table inet ${this.opts.table} now at revision ${revision}`);
    }
    logger.debug({ trigger, result, revision, attempts: outcome.attempts, ms: now - firstAt, ...(outcome.script && { script: outcome.script.kind, scriptBytes: outcome.script.bytes }) }, 'sync');
  }

  /**
   * Once changes pause (no apply for a second), the applier takes the
   * listing that reconciles compare with: a listing costs what the table
   * costs, so it is not taken after every change.
   */
  private settleLater(): void {
    const { clock, applier } = this.deps;
    if (applier.settle === undefined || this.stopped) return;
    if (this.settleTimer !== undefined) clock.clear(this.settleTimer);
    this.settleTimer = clock.setTimeout(() => {
      this.settleTimer = undefined;
      void this.enqueue(async () => {
        try {
          await applier.settle?.();
        } catch (err) {
          // Not taken: the next reconcile takes it (and says so if the table cannot be listed).
          this.deps.logger.debug({ error: (err as Error).message }, 'could not list the table to keep as the drift reference');
        }
      });
    }, SETTLE_MS);
  }

  /**
   * Addresses two running pods claim (the API server's pods; a folder's are
   * reported with its other warnings): logged when the set of them changes.
   */
  private warnSharedAddresses(revision: string): void {
    const state = this.compiled.engine?.state;
    if (state === undefined) return;
    const shared = state.hasSharedAddresses() ? state.sharedAddresses().map((s) =>
      `address ${s.ip} is claimed by ${s.claimants.map((p) => `${p.namespace}/${p.name}`).join(', ')}; ${s.holder.namespace}/${s.holder.name} holds it (created last): its traffic is that pod's, the others' policies do not apply to it`) : [];
    const said = shared.join('\n');
    if (said !== (this.lastShared ?? '')) {
      if (shared.length > 0) this.deps.logger.warn({ revision, problems: shared }, `${shared.length} address${shared.length === 1 ? ' is' : 'es are'} claimed by two or more running pods`);
      else this.deps.logger.info({ revision }, 'no address is claimed by two running pods any more');
    }
    this.lastShared = said;
  }

  private fail(trigger: SyncTrigger, revision: string, cause: SyncErrorCause, error: string, retry: boolean): void {
    const { logger, metrics, clock } = this.deps;
    this.lastSync = { at: clock.now(), trigger, result: 'failed', revision, error, cause };
    metrics.syncs.inc({ trigger, result: 'failed' });
    metrics.syncErrors.inc({ cause });
    const kept = this.applied === undefined ? 'the table in the kernel (if any) is unchanged' : `revision ${this.applied.revision} stays in force`;
    logger.error({ revision, cause, error, retryInMs: retry ? this.retryDelay : null }, `sync failed: ${kept}`);
    if (retry && !this.stopped && this.retryTimer === undefined) {
      this.retryTimer = clock.setTimeout(() => {
        this.retryTimer = undefined;
        void this.enqueue(() => this.sync(clock.now(), 'retry'));
      }, this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, this.opts.maxRetryMs);
    }
  }

  private async reconcile(): Promise<void> {
    const { applier, logger, metrics, clock } = this.deps;
    const applied = this.applied;
    if (applied === undefined || this.lastSync?.result === 'failed') return; // nothing confirmed yet, or a retry is on its way
    let inSync: boolean;
    try {
      inSync = await applier.inSync();
    } catch (err) {
      metrics.reconciles.inc({ result: 'failed' });
      logger.error({ error: (err as Error).message }, 'reconcile could not list the table');
      return;
    }
    if (inSync) {
      metrics.reconciles.inc({ result: 'in_sync' });
      this.lastSuccessAt = clock.now();
      metrics.lastSuccess.set(this.lastSuccessAt / 1000);
      return;
    }
    logger.warn({ revision: applied.revision }, `table inet ${this.opts.table} differs from revision ${applied.revision} in the kernel (changed by hand, or deleted): re-applying`);
    const started = clock.now();
    const outcome = await applier.apply(applied.ir, { force: true });
    metrics.reconciles.inc({ result: outcome.ok ? 'repaired' : 'failed' });
    this.finish('reconcile', started, applied.revision, applied.ir, outcome);
  }
}
