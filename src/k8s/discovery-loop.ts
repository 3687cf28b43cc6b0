// Discovery of the cluster-wide policy resources for a long-running watch
// (cluster-policy-api.ts asks; this decides when). Once at start, then every
// intervalMs (5 minutes by default): a CRD installed after the agent started
// is picked up at the next check, with no restart. A check whose requests
// failed (not a 404, which is an answer) is retried sooner, with backoff,
// up to the interval: until every resource has an answer the watch cannot
// say it is synced, because it does not know yet whether it has all the
// policies (so the retries are the watches' backoff: 0.8 s doubling to 30 s).
// A resource that goes away while watched is not this loop's
// business: its watch is answered 404 and ends (reflector.ts).
import type { ClusterPolicyResource, Served } from './cluster-policy-api.ts';

export const DISCOVERY_INTERVAL_MS = 5 * 60_000;

export interface DiscoveryLoopOptions {
  readonly discover: () => Promise<Record<ClusterPolicyResource, Served>>;
  /** Every answer, the unknown ones included. */
  readonly onAnswer: (answer: Record<ClusterPolicyResource, Served>) => void;
  /** A check with unknown answers: the next one is in retryInMs. */
  readonly onTrouble: (message: string, retryInMs: number) => void;
  readonly intervalMs?: number;
  /** First retry delay after a failed check (doubles per failure in a row, up to maxRetryMs and never past intervalMs). */
  readonly retryMs?: number;
  /** Longest retry delay. Default 30 s, as the watches' backoff. */
  readonly maxRetryMs?: number;
}

/** "5 minutes", "30 s": an interval as a log line says it. */
export function intervalText(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

export class DiscoveryLoop {
  private stopped = false;
  /** A discovery request is out: a stop does not wait for a slow server's answer (it is dropped when it comes). */
  private asking = false;
  private cancelWait: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly opts: DiscoveryLoopOptions;

  constructor(opts: DiscoveryLoopOptions) {
    this.opts = opts;
    this.loop = this.run();
  }

  /** Ends the loop; no answer is delivered after it resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWait?.();
    if (!this.asking) await this.loop;
  }

  private async run(): Promise<void> {
    const interval = this.opts.intervalMs ?? DISCOVERY_INTERVAL_MS;
    let failures = 0;
    while (!this.stopped) {
      this.asking = true;
      const answer = await this.opts.discover().finally(() => (this.asking = false));
      if (this.stopped) return;
      this.opts.onAnswer(answer);
      const unknown = [...new Set(Object.values(answer).flatMap((a) => (a.served === 'unknown' ? [a.message] : [])))];
      let delay = interval;
      if (unknown.length > 0) {
        delay = Math.min((this.opts.retryMs ?? 800) * 2 ** failures++, this.opts.maxRetryMs ?? 30_000, interval);
        this.opts.onTrouble(unknown.join('; '), delay);
      } else {
        failures = 0;
      }
      await this.wait(delay);
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.cancelWait = undefined;
        resolve();
      }, ms);
      this.cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
