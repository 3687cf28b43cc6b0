// What a benchmark is, and small helpers for measuring and printing figures.

export { prng } from '../test/generators/prng.ts';

export interface BenchOptions {
  /** A git revision to measure side by side with this tree (`--baseline REV`), for benches that can. */
  readonly baseline?: string;
  /** `--json`: the bench writes one JSON object to stdout, and nothing else there (its report lines go to stderr). */
  readonly json?: boolean;
  /** The values of the bench's own flags (Bench.flags), by name without the dashes. */
  readonly flags?: ReadonlyMap<string, string>;
}

export interface Bench {
  /** Short name, used on the command line: `node bench/run.ts <name>`. */
  readonly name: string;
  readonly description: string;
  /** Whether it honours `--baseline REV`. */
  readonly baseline?: boolean;
  /** Whether it honours `--json`. */
  readonly json?: boolean;
  /** Flags of its own, each taking a value (`--sizes 1k,10k`), with what it does. */
  readonly flags?: Readonly<Record<string, string>>;
  /**
   * Runs the benchmark, reporting each figure as one line (a bench may also
   * print for itself). May be async; whatever it returns is ignored.
   */
  run(report: (line: string) => void, options: BenchOptions): unknown;
}

/** Milliseconds taken by fn, and its result. */
export function timed<T>(fn: () => T): { ms: number; result: T } {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Median milliseconds of `runs` awaited calls of fn. */
export async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function count(n: number): string {
  return int.format(n);
}

export function millis(ms: number): string {
  return `${dec.format(ms)} ms`;
}

/** "n in t ms = r/s" */
export function rate(n: number, ms: number, unit: string): string {
  return `${count(n)} ${unit} in ${millis(ms)} = ${count((n * 1000) / ms)} ${unit}/s (${dec.format((ms * 1e6) / n / 1000)} µs each)`;
}

