// Runs `nftpol demo` in-process with buffered streams.
import { main, type MainOptions } from '../../src/cli/nftpol-program.ts';

export interface DemoRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function nftpolDemo(args: readonly string[], opts: MainOptions = {}): Promise<DemoRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['demo', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: '',
  }, opts);
  return { code, stdout, stderr };
}

/** The engine's matrices of the scenario, step by step (the same as `policy-explain -f demo/scenario/NN matrix`). */
export const EXPECTED_COUNTS = [
  { allowed: 20, denied: 0 },
  { allowed: 8, denied: 12 },
  { allowed: 10, denied: 10 },
  { allowed: 12, denied: 8 },
  { allowed: 16, denied: 4 },
  { allowed: 13, denied: 7 },
  { allowed: 2, denied: 18 },
  { allowed: 3, denied: 17 },
];

export interface ReportStep {
  index: number;
  dir: string;
  change: { added: string[]; changed: string[]; removed: string[] };
  why: { from: string; to: string; port: number; protocol: string; verdict: string; before: string; reason: string } | null;
  endpoints: string[];
  expected: string[][];
  live: string[][] | null;
  probes: { count: number; ms: number } | null;
  kernel: { node: string; how: string; bytes: number | null; ms: number; seenMs: number }[];
  agree: boolean | null;
  disagree: [string, string][];
}

export interface Report {
  kind: string;
  mode: 'kernel' | 'model';
  missing: string[];
  world: { prefix: string; root: string; nodes: { name: string; netns: string; folder: string }[]; pods: { id: string; netns: string }[] } | null;
  steps: ReportStep[];
  agree: boolean;
  failure: string | null;
  cleanup: { netnsLeft: string[]; folderRemoved: boolean } | null;
}

export const count = (cells: string[][], what: string): number => cells.flat().filter((c) => c === what).length;

/** A cell of a matrix, by its ends' ids. */
export const cellAt = (step: Pick<ReportStep, 'endpoints'>, cells: string[][] | null, from: string, to: string): string | undefined =>
  cells?.[step.endpoints.indexOf(from)]?.[step.endpoints.indexOf(to)];
