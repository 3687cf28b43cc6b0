// One sync per burst of events. The first event of a burst opens a window
// (--coalesce-ms); events inside it join the burst; when it closes, `run`
// is called once with the time of the burst's first event (so the sync
// duration is measured from event to kernel). Runs never overlap: events
// that arrive during a run form the next burst, whose window counts from its
// own first event and closes no earlier than the run's end.
import type { Clock, TimerHandle } from './clock.ts';

export class Coalescer {
  private readonly windowMs: number;
  private readonly run: (firstEventAt: number) => Promise<void>;
  private readonly clock: Clock;
  private firstAt: number | undefined;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(windowMs: number, run: (firstEventAt: number) => Promise<void>, clock: Clock) {
    this.windowMs = windowMs;
    this.run = run;
    this.clock = clock;
  }

  /** Something changed: join the open burst, or open one. */
  notify(): void {
    if (this.stopped) return;
    this.firstAt ??= this.clock.now();
    if (this.timer === undefined && this.running === undefined) this.arm();
  }

  /** No window open, no run going, nothing waiting. */
  get idle(): boolean {
    return this.firstAt === undefined && this.timer === undefined && this.running === undefined;
  }

  /** Closes no new windows; resolves when a run in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clear(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
    await this.running;
  }

  private arm(): void {
    const elapsed = this.clock.now() - (this.firstAt as number);
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, this.windowMs - elapsed));
  }

  private fire(): void {
    this.timer = undefined;
    const at = this.firstAt;
    if (at === undefined || this.stopped) return;
    this.firstAt = undefined;
    // run() reports its own failures; a rejection here must not end the loop.
    this.running = this.run(at).catch(() => undefined).finally(() => {
      this.running = undefined;
      if (this.firstAt !== undefined && !this.stopped) this.arm();
    });
  }
}
