// policy-explain report --against computes each side's connection matrix once:
// the new side's is both the page's and the diff's new side (it was computed
// a second time for the page). Counted on the matrix module's own function,
// wrapped, so the page still comes from the real computation.
import { describe, expect, it, vi } from 'vitest';
import type * as Matrix from '../../src/explain/matrix.ts';
import { explain, fixture } from './helpers.ts';

const calls = vi.hoisted(() => ({ matrices: 0 }));

vi.mock('../../src/explain/matrix.ts', async (importOriginal) => {
  const real = await importOriginal<typeof Matrix>();
  return {
    ...real,
    computeConnectionMatrix: (...args: Parameters<typeof real.computeConnectionMatrix>) => {
      calls.matrices++;
      return real.computeConnectionMatrix(...args);
    },
  };
});

describe('policy-explain report --against', () => {
  it('computes two matrices, one a side, and still marks the changed pairs', async () => {
    calls.matrices = 0;
    const r = await explain(['-f', fixture('diff/before'), 'report', '--against', fixture('diff/after')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"changes":\[\[\d+,\d+,\d+\]/);
    expect(calls.matrices).toBe(2);
  });

  it('computes one matrix without --against', async () => {
    calls.matrices = 0;
    expect((await explain(['-f', fixture('diff/after'), 'report'])).code).toBe(0);
    expect(calls.matrices).toBe(1);
  });
});
