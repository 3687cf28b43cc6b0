import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/agent/coalescer.ts';
import { FakeClock } from './fake-clock.ts';

function harness(windowMs: number) {
  const clock = new FakeClock();
  const runs: { firstAt: number; at: number }[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const c = new Coalescer(windowMs, async (firstAt) => {
    runs.push({ firstAt, at: clock.now() });
    if (hold) await new Promise<void>((r) => (release = r));
  }, clock);
  return { clock, runs, c, holdRuns: () => (hold = true), release: () => release?.() };
}

describe('Coalescer', () => {
  it('a burst of events inside the window gives one run, at the window\'s end, with the first event\'s time', async () => {
    const { clock, runs, c } = harness(5);
    const start = clock.now();
    c.notify();
    await clock.advance(2);
    c.notify();
    c.notify();
    await clock.advance(2);
    c.notify();
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([{ firstAt: start, at: start + 5 }]);
    await clock.advance(100);
    expect(runs).toHaveLength(1);
    expect(c.idle).toBe(true);
  });

  it('events after the window closed start a new burst', async () => {
    const { clock, runs, c } = harness(5);
    c.notify();
    await clock.advance(10);
    c.notify();
    await clock.advance(10);
    expect(runs).toHaveLength(2);
    expect(runs[1]!.at - runs[1]!.firstAt).toBe(5);
  });

  it('events during a run become one more run after it, never two at once', async () => {
    const h = harness(5);
    h.holdRuns();
    h.c.notify();
    await h.clock.advance(5);
    expect(h.runs).toHaveLength(1);
    h.c.notify();
    h.c.notify();
    await h.clock.advance(50); // the first run is still going
    expect(h.runs).toHaveLength(1);
    h.release();
    await h.clock.advance(0); // the window of the second burst has passed already: it runs at once
    expect(h.runs).toHaveLength(2);
    h.release();
    await h.clock.advance(50);
    expect(h.runs).toHaveLength(2);
  });

  it('a zero window runs on the next turn of the loop, still once per burst', async () => {
    const { clock, runs, c } = harness(0);
    c.notify();
    c.notify();
    await clock.advance(0);
    expect(runs).toHaveLength(1);
  });

  it('a failing run does not stop later bursts', async () => {
    const clock = new FakeClock();
    let n = 0;
    const c = new Coalescer(5, async () => {
      n++;
      throw new Error('boom');
    }, clock);
    c.notify();
    await clock.advance(5);
    c.notify();
    await clock.advance(5);
    expect(n).toBe(2);
  });

  it('stop() drops the open window', async () => {
    const { clock, runs, c } = harness(5);
    c.notify();
    await c.stop();
    c.notify();
    await clock.advance(50);
    expect(runs).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
