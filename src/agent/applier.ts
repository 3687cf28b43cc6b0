// How the agent puts an IR into the kernel. Today: the Syncer's whole-table
// replace (one `nft -f` transaction: add table; delete table; table {...},
// so the old rules, including a previous run's, enforce until the new ones
// are complete); after the first, a change is applied as a delta (only the
// rules, sets and elements that changed, also one transaction), and a delta
// the kernel refuses falls back to the whole replace (the Syncer does this:
// a refused delta means the table is not what we think). A forced apply
// (drift repair) is always the whole replace. The agent sees only this seam.
//
// Drift: once the table has settled after an apply, the applier lists it
// (`nft -j list table`) and checks its shape against what it wrote (the same
// sets, maps and chains, as many elements and rules: table-shape.ts), so a
// table changed by hand before the listing was taken is drift, not the new
// reference. That listing, without counters' values and handles, is the
// reference a reconcile lists again and compares with: the kernel's own
// listing against the kernel's own listing, so nft's formatting never needs
// to be predicted. A difference (a rule added, changed or deleted by hand, a
// set or the table gone) is drift. The listing costs as much as the table is
// big, so it is not taken after every apply (a change would cost what the
// table costs): the agent calls settle() when changes pause, and a reconcile
// that finds none since the last apply takes it first.
import type { NodeIR } from '../compile/ir.ts';
import { BridgeNetfilterError, type SysctlAccess } from '../dataplane/bridge-netfilter.ts';
import { isNoSuchTable, type NftRunner } from '../dataplane/nft-runner.ts';
import { Syncer, type SyncResult } from '../dataplane/syncer.ts';
import { normalizeJsonListing, shapeDifference } from './table-shape.ts';

export type ApplyCause = 'nft' | 'bridge_netfilter';

/** The nft script an apply wrote: the whole table, or a delta on the table in force. */
export interface AppliedScript {
  readonly kind: 'replace' | 'delta';
  /** Its length (nft scripts from Kubernetes names and labels are ASCII: characters are bytes). */
  readonly bytes: number;
}

export type ApplyOutcome =
  | {
    readonly ok: true;
    /** false: the same table was already in force */
    readonly applied: boolean;
    readonly attempts: number;
    /** When applied: what was written (an applier that cannot tell leaves it out). */
    readonly script?: AppliedScript;
  }
  | { readonly ok: false; readonly cause: ApplyCause; readonly error: string };

export interface Applier {
  /** Makes the kernel enforce the IR, in one transaction; force: even when it is the IR last applied. */
  apply(ir: NodeIR, opts: { readonly force: boolean }): Promise<ApplyOutcome>;
  /** Whether the kernel's table is still what the last apply left there (false: drifted, or gone). */
  inSync(): Promise<boolean>;
  /** Changes have paused: take what inSync compares with now, if an apply changed the table since. */
  settle?(): Promise<void>;
}

export interface SyncerApplierOptions {
  readonly runner: NftRunner;
  readonly table: string;
  /** false: skip the br_netfilter check (a node without a bridge). */
  readonly bridge: SysctlAccess | false;
  /** Injectable sleep for the Syncer's retries. */
  readonly sleep?: (ms: number) => Promise<void>;
}


export class SyncerApplier implements Applier {
  private readonly syncer: Syncer;
  private readonly runner: NftRunner;
  private readonly table: string;
  /** The reference listing; undefined when the table was gone or misshapen when it was taken. */
  private listed: string | undefined;
  /** An apply changed the table since `listed` was taken. */
  private unsettled = false;

  constructor(opts: SyncerApplierOptions) {
    this.runner = opts.runner;
    this.table = opts.table;
    this.syncer = new Syncer({
      runner: opts.runner, table: { family: 'inet', name: opts.table }, bridge: opts.bridge,
      deltas: true,
      ...(opts.sleep !== undefined && { sleep: opts.sleep }),
    });
  }

  async apply(ir: NodeIR, { force }: { readonly force: boolean }): Promise<ApplyOutcome> {
    let res: SyncResult;
    try {
      res = await this.syncer.sync(ir, { force });
    } catch (err) {
      if (err instanceof BridgeNetfilterError) return { ok: false, cause: 'bridge_netfilter', error: err.message };
      throw err;
    }
    if (res.error !== undefined) return { ok: false, cause: 'nft', error: res.error };
    if (res.applied) this.unsettled = true;
    return {
      ok: true, applied: res.applied, attempts: res.attempts,
      ...(res.applied && { script: { kind: res.script, bytes: res.scriptBytes } }),
    };
  }

  async settle(): Promise<void> {
    if (!this.unsettled) return;
    const listing = await this.listing();
    this.unsettled = false;
    const expected = this.syncer.expected();
    const misshapen = listing === undefined || (expected !== undefined && shapeDifference(listing, expected) !== undefined);
    this.listed = misshapen ? undefined : normalizeJsonListing(listing);
  }

  async inSync(): Promise<boolean> {
    if (this.unsettled) await this.settle();
    if (this.listed === undefined) return false;
    const now = await this.listing();
    return now !== undefined && normalizeJsonListing(now) === this.listed;
  }

  /** The table as the kernel lists it, normalized; undefined when there is no such table. */
  private async listing(): Promise<string | undefined> {
    try {
      return await this.runner.read(['-j', 'list', 'table', 'inet', this.table]);
    } catch (err) {
      if (isNoSuchTable(err)) return undefined;
      throw err;
    }
  }
}
