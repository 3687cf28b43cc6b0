// After a change reaches the kernel, the connections it revokes are cut:
// the node's chains accept `ct state established,related` before any policy,
// so a connection the new table denies would go on until its conntrack entry
// expires. The sweeper lists the node's conntrack table, asks the engine
// about each flow with a local pod at an end (revoke-established.ts), and
// deletes what the new state denies (unless --keep-established) and every
// entry of a local address whose owning pod changed (always: a new pod must
// not inherit another pod's connections).
//
// It runs beside the sync loop, one sweep at a time: a sweep costs what the
// conntrack table costs (listing it, and one walk of it per delete line), and
// a change must reach the kernel without waiting for it. Changes during a
// sweep are swept after it, from the owners before the oldest of them, on
// the state of the moment (a later change not yet applied is swept again
// after its own apply). A sweep that fails is logged and counted; the table
// stays in force, and the next change sweeps again.
import type { Logger } from 'pino';
import type { ConntrackTable } from '../dataplane/conntrack.ts';
import { localAddresses } from '../dataplane/local-addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import type { AgentMetrics } from './metrics.ts';
import { addressesWithNewOwner, addressOwners, deletionRequest, entriesToRevoke, type AddressOwners } from './revoke-established.ts';

export interface SweeperDeps {
  readonly node: string;
  readonly table: ConntrackTable;
  readonly keepEstablished: boolean;
  readonly logger: Logger;
  readonly metrics: AgentMetrics;
  /** The engine of the state the agent compiled last. */
  readonly engine: () => PolicyEngine | undefined;
  /** The addresses of the node's network namespace, read at each sweep (default: this process's, dataplane's localAddresses). */
  readonly nodeAddresses?: () => readonly string[];
}

/** Reasons logged per sweep, at most: a mass revocation is counted, not listed. */
const REASONS_LOGGED = 20;

export class EstablishedSweeper {
  private readonly deps: SweeperDeps;
  /** Who held the node's addresses before the oldest change not swept yet. */
  private owners: AddressOwners | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastError: string | undefined;

  constructor(deps: SweeperDeps) {
    this.deps = deps;
  }

  /** The agent's state is about to move: remember who holds the local addresses (once per unswept run of changes). */
  beforeChange(state: ClusterState | undefined): void {
    if (this.owners === undefined && state !== undefined) this.owners = addressOwners(this.deps.node, state);
  }

  /** A sync succeeded: sweep when the table changed or a local address changed owner. */
  afterApply(tableChanged: boolean): void {
    const engine = this.deps.engine();
    if (engine === undefined) return;
    const moved = this.owners !== undefined && addressesWithNewOwner(this.deps.node, this.owners, engine.state).length > 0;
    if (!tableChanged && !moved) {
      if (this.running === undefined) this.owners = undefined;
      return;
    }
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** Waits for the sweep under way, if any. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.sweep();
    } while (this.again);
  }

  private async sweep(): Promise<void> {
    const { node, table, keepEstablished, logger, metrics } = this.deps;
    try {
      const listing = await table.list();
      const engine = this.deps.engine();
      if (engine === undefined) return;
      const previousOwners = this.owners;
      this.owners = undefined;
      const nodeAddresses = (this.deps.nodeAddresses ?? localAddresses)();
      const revoked = entriesToRevoke({ node, engine, entries: listing.entries, keepEstablished, nodeAddresses, ...(previousOwners !== undefined && { previousOwners }) });
      if (listing.skipped > 0) logger.debug({ skipped: listing.skipped }, 'conntrack lines that did not read as entries');
      if (revoked.length === 0) {
        metrics.sweeps.inc({ result: 'done' });
        this.lastError = undefined;
        return;
      }
      const started = Date.now();
      const done = await table.delete(deletionRequest(revoked, listing.entries));
      for (const r of revoked) metrics.revoked.inc({ cause: r.cause });
      metrics.sweeps.inc({ result: 'done' });
      logger.info({
        entries: revoked.length, deleted: done.deleted, commands: done.commands, ms: Date.now() - started,
        reasons: [...new Set(revoked.map((r) => r.reason))].slice(0, REASONS_LOGGED),
      }, `revoked ${revoked.length} established connection${revoked.length === 1 ? '' : 's'} the change no longer allows`);
      this.lastError = undefined;
    } catch (err) {
      metrics.sweeps.inc({ result: 'failed' });
      const error = (err as Error).message;
      // The same failure again (conntrack missing, say) is said once at error level.
      logger[error === this.lastError ? 'debug' : 'error']({ error }, 'could not sweep connection tracking after a change: revoked connections may go on until their entries expire; the next change sweeps again');
      this.lastError = error;
    }
  }
}
