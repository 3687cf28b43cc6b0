// Time as the agent uses it: now, one-shot timers and periodic ones. Tests
// pass a fake so coalescing and staleness are checked without waiting.
export type TimerHandle = { readonly id: unknown };

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  setInterval: (fn, ms) => ({ id: setInterval(fn, ms) }),
  clear: (h) => {
    clearTimeout(h.id as NodeJS.Timeout);
    clearInterval(h.id as NodeJS.Timeout);
  },
};
