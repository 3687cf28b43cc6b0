// The syncer keeps the kernel's table equal to the latest node IR. Each sync
// is one atomic transaction that replaces the table; a failed transaction
// leaves the previous ruleset enforcing and is retried with exponential
// backoff. With `deltas`, a sync after the first applies only the change
// since the table last applied (src/nft/render-delta.ts), and falls back to
// the whole replace when that delta is refused: the kernel's table is then
// not what we think, and a replace repairs it.
import { diffIR, isEmptyDelta, type TableObjects } from '../compile/diff-ir.ts';
import type { NodeIR } from '../compile/ir.ts';
import { renderDelta, tableObjects } from '../nft/render-delta.ts';
import { DEFAULT_TABLE, renderDeleteScript, renderReplaceScript, type TableName } from '../nft/render-table.ts';
import { ensureBridgeNetfilter, procSysctls, type SysctlAccess } from './bridge-netfilter.ts';
import type { NftRunner } from './nft-runner.ts';

export interface SyncerOptions {
  readonly runner: NftRunner;
  readonly table?: TableName;
  /** First retry delay; doubles up to maxBackoffMs. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Attempts per sync before giving up (the next sync tries again). */
  readonly attempts?: number;
  /** Injectable sleep, so tests don't wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Where to check br_netfilter before the first sync (bridged pod traffic
   * must reach the forward hook); false to skip, e.g. for a node without a
   * bridge. A failed check refuses to sync: rules that bridged traffic
   * bypasses would only look like enforcement.
   */
  readonly bridge?: SysctlAccess | false;
  /** Apply changes as deltas once a table is in force (default: replace the table on every sync). */
  readonly deltas?: boolean;
}

export interface SyncResult {
  readonly applied: boolean;
  readonly attempts: number;
  readonly error?: string;
  readonly scriptBytes: number;
  /** What the applied (or last tried) script was: the whole table, or a delta on the table in force. */
  readonly script: 'replace' | 'delta';
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Syncer {
  private readonly opts: Required<Omit<SyncerOptions, 'table'>> & { table: TableName };
  private lastScript: string | undefined;
  /** The table in force, as named objects (deltas only). */
  private inForce: TableObjects | undefined;
  private bridgeChecked = false;

  constructor(opts: SyncerOptions) {
    this.opts = {
      table: DEFAULT_TABLE, backoffMs: 100, maxBackoffMs: 10_000, attempts: 5, sleep: realSleep, bridge: procSysctls, deltas: false, ...opts,
    };
  }

  /** Replaces the table with the IR's, unless the same script is already in force. */
  async sync(ir: NodeIR, { force = false } = {}): Promise<SyncResult> {
    if (!this.bridgeChecked && this.opts.bridge !== false) {
      await ensureBridgeNetfilter(this.opts.bridge); // throws BridgeNetfilterError: refuse loudly
      this.bridgeChecked = true;
    }
    // With deltas, the table's objects (only the parts of the IR that changed
    // are rendered and read again), and the whole script only when it is written.
    const next = this.opts.deltas ? tableObjects(ir, this.opts.table) : undefined;
    let replace: string | undefined;
    const replaceScript = (): string => (replace ??= renderReplaceScript(ir, this.opts.table));
    let script: string;
    let kind: SyncResult['script'] = 'replace';
    if (next !== undefined && this.inForce !== undefined && !force) {
      const delta = diffIR(this.inForce, next);
      if (isEmptyDelta(delta)) return { applied: false, attempts: 0, scriptBytes: 0, script: 'delta' };
      script = renderDelta(delta, this.opts.table);
      kind = 'delta';
    } else {
      script = replaceScript();
      if (!force && script === this.lastScript) return { applied: false, attempts: 0, scriptBytes: script.length, script: 'replace' };
    }
    let delay = this.opts.backoffMs;
    let lastError = '';
    for (let attempt = 1; attempt <= this.opts.attempts; attempt++) {
      try {
        await this.opts.runner.apply(script);
        this.lastScript = replace;
        this.inForce = next;
        return { applied: true, attempts: attempt, scriptBytes: script.length, script: kind };
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
        // A refused delta: the table is not what we think; the whole replace repairs it.
        script = replaceScript();
        kind = 'replace';
        if (attempt < this.opts.attempts) await this.opts.sleep(delay);
        delay = Math.min(delay * 2, this.opts.maxBackoffMs);
      }
    }
    this.inForce = undefined;
    return { applied: false, attempts: this.opts.attempts, error: lastError, scriptBytes: script.length, script: kind };
  }

  /** The table last applied, as named objects (deltas only; undefined before a sync succeeds or after one failed). */
  expected(): TableObjects | undefined {
    return this.inForce;
  }

  /** Removes the table: the agent's uninstall. */
  async remove(): Promise<void> {
    await this.opts.runner.apply(renderDeleteScript(this.opts.table));
    this.lastScript = undefined;
    this.inForce = undefined;
  }
}
