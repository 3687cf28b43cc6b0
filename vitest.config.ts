import { defineConfig } from 'vitest/config';
import { runSeed } from './test/support/commit-seed.ts';

const { seed, why } = runSeed();
// The reporter (this process) prints it; test workers read it from test.env.
process.env.NFTPOL_FC_SEED = seed === undefined ? '' : String(seed);
process.env.NFTPOL_FC_SEED_WHY = why;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    setupFiles: ['./test/support/fast-check-seed.ts'],
    env: { NFTPOL_FC_SEED: seed === undefined ? '' : String(seed), NFTPOL_FC_SEED_WHY: why },
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
