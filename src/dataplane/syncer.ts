// The syncer keeps the kernel's table equal to the latest node IR. Each sync
// is one atomic transaction that replaces the table; a failed transaction
// leaves the previous ruleset enforcing and is retried with exponential
// backoff. (Incremental deltas come with the agent; the names in the IR are
// already stable for them.)
import type { NodeIR } from '../compile/ir.ts';
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
}

export interface SyncResult {
  readonly applied: boolean;
  readonly attempts: number;
  readonly error?: string;
  readonly scriptBytes: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Syncer {
  private readonly opts: Required<Omit<SyncerOptions, 'table'>> & { table: TableName };
  private lastScript: string | undefined;
  private bridgeChecked = false;

  constructor(opts: SyncerOptions) {
    this.opts = {
      table: DEFAULT_TABLE, backoffMs: 100, maxBackoffMs: 10_000, attempts: 5, sleep: realSleep, bridge: procSysctls, ...opts,
    };
  }

  /** Replaces the table with the IR's, unless the same script is already in force. */
  async sync(ir: NodeIR, { force = false } = {}): Promise<SyncResult> {
    if (!this.bridgeChecked && this.opts.bridge !== false) {
      await ensureBridgeNetfilter(this.opts.bridge); // throws BridgeNetfilterError: refuse loudly
      this.bridgeChecked = true;
    }
    const script = renderReplaceScript(ir, this.opts.table);
    if (!force && script === this.lastScript) return { applied: false, attempts: 0, scriptBytes: script.length };
    let delay = this.opts.backoffMs;
    let lastError = '';
    for (let attempt = 1; attempt <= this.opts.attempts; attempt++) {
      try {
        await this.opts.runner.apply(script);
        this.lastScript = script;
        return { applied: true, attempts: attempt, scriptBytes: script.length };
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
        if (attempt < this.opts.attempts) await this.opts.sleep(delay);
        delay = Math.min(delay * 2, this.opts.maxBackoffMs);
      }
    }
    return { applied: false, attempts: this.opts.attempts, error: lastError, scriptBytes: script.length };
  }

  /** Removes the table: the agent's uninstall. */
  async remove(): Promise<void> {
    await this.opts.runner.apply(renderDeleteScript(this.opts.table));
    this.lastScript = undefined;
  }
}
