// policy-explain matrix on many pods: refused before it starts when it would
// have more than 250,000 cells, saying how to narrow it; answered once narrowed.
import { describe, expect, it } from 'vitest';
import { MAX_MATRIX_CELLS } from '../../src/explain/matrix.ts';
import { explain } from './helpers.ts';

/** Pods in namespaces of the given sizes, as one multi-document YAML text. */
function pods(sizes: Record<string, number>): string {
  const docs: string[] = [];
  for (const [ns, n] of Object.entries(sizes)) {
    for (let i = 0; i < n; i++) docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: p-${i}, namespace: ${ns}, labels: {app: a${i % 7}}}\n`);
  }
  return docs.join('---\n');
}

const INPUT = pods({ big: 520, mid: 100, small: 80 });

describe('policy-explain matrix size', () => {
  it('refuses a matrix past the limit, naming the namespaces that fit', async () => {
    expect(MAX_MATRIX_CELLS).toBe(250_000);
    const r = await explain(['-f', '-', 'matrix', '--port', '80'], INPUT);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('a matrix of 700 pods and workloads has 490,000 cells, more than the 250,000 it is limited to.');
    expect(r.stderr).toContain('Narrow it to one namespace with -n NAMESPACE (2 of 3 namespaces have at most 500 and fit; the largest: big (520), mid (100), small (80))');
    expect(r.stderr).toContain('policy-explain pod NAMESPACE/NAME');
  });

  it('answers once narrowed to a namespace that fits', async () => {
    const r = await explain(['-f', '-', 'matrix', '--port', '80', '--namespace', 'mid', '-o', 'json'], INPUT);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { endpoints: unknown[] }).endpoints).toHaveLength(100);
  });

  it('points at one pod or one flow when a single namespace is too large', async () => {
    const r = await explain(['-f', '-', 'matrix', '--namespace', 'big'], INPUT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a matrix of 520 pods and workloads has 270,400 cells, more than the 250,000 it is limited to (namespace big)');
    expect(r.stderr).toContain('policy-explain flow --from --to');
  });

  it('does not suggest -n when no namespace would fit', async () => {
    const r = await explain(['-f', '-', 'matrix'], pods({ a: 510, b: 505 }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a matrix of 1,015 pods and workloads has 1,030,225 cells, more than the 250,000 it is limited to, and no single namespace is small enough (the smallest, b, has 505): policy-explain pod NAMESPACE/NAME');
    expect(r.stderr).not.toContain('-n NAMESPACE');
  });

  it('still draws a matrix of 500 pods', async () => {
    const r = await explain(['-f', '-', 'matrix', '--port', '80', '-o', 'json'], pods({ a: 250, b: 250 }));
    expect(r.code).toBe(0);
  });
});
