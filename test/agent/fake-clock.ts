// A clock whose time moves only when the test says so: timers fire in order
// of their due time as advance() passes it, and the promises they start get
// to run between timers.
import type { Clock, TimerHandle } from '../../src/agent/clock.ts';

interface Timer { due: number; fn: () => void; every?: number; handle: TimerHandle }

export class FakeClock implements Clock {
  private t = 1_000_000;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = { id: Symbol('timeout') };
    this.timers.push({ due: this.t + ms, fn, handle });
    return handle;
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const handle = { id: Symbol('interval') };
    this.timers.push({ due: this.t + ms, fn, every: ms, handle });
    return handle;
  }

  clear(handle: TimerHandle): void {
    this.timers = this.timers.filter((x) => x.handle !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing what falls due, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.due - b.due)[0];
      if (next === undefined || next.due > end) break;
      this.t = next.due;
      if (next.every !== undefined) next.due += next.every;
      else this.timers = this.timers.filter((x) => x !== next);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending promise callbacks (and I/O already done) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
