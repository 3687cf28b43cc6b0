// An unexpected failure inside a command: one line and exit 1, the stack
// only with --debug.
import { describe, expect, it, vi } from 'vitest';
import { explain, fixture } from './helpers.ts';

vi.mock('../../src/lint/lint-cluster.ts', () => ({
  lintCluster: (): never => {
    throw new Error('check exploded\nsecond line');
  },
}));

describe('unexpected errors', () => {
  it('prints one line and exits 1', async () => {
    const r = await explain(['-f', fixture('typo'), 'lint']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: unexpected failure: check exploded (run with --debug for details)\n');
  });

  it('prints the stack with --debug', async () => {
    const r = await explain(['-f', fixture('typo'), '--debug', 'lint']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unexpected failure: check exploded\nError: check exploded\nsecond line\n\s+at /);
  });
});
