import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Kernel tests build network namespaces; they share the host's netns
    // names and nft tables, so their files must not run in parallel with each other.
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
