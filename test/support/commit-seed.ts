// The fast-check seed of a run (see fast-check-seed.ts): FC_SEED, or none
// with FC_RANDOM=1, or the first 31 bits of the commit under test (a tree
// without git: 1). Read once by vitest.config.ts in the main process.
import { execFileSync } from 'node:child_process';

export interface RunSeed {
  readonly seed: number | undefined;
  readonly why: string;
}

export function runSeed(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): RunSeed {
  if (env.FC_SEED !== undefined && env.FC_SEED !== '') return { seed: Number(env.FC_SEED), why: 'FC_SEED' };
  if (env.FC_RANDOM === '1') return { seed: undefined, why: 'FC_RANDOM=1: fast-check picks a seed per property' };
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { seed: parseInt(head.slice(0, 8), 16) & 0x7fffffff, why: `commit ${head.slice(0, 12)}` };
  } catch {
    return { seed: 1, why: 'no git commit to derive it from' };
  }
}
