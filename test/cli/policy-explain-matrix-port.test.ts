// matrix --port NAME for a name no pod declares is a mistake, said as one;
// the markdown matrix ends with the same summary as the text one.
import { describe, expect, it } from 'vitest';
import { explainShop } from './helpers.ts';

describe('matrix --port NAME', () => {
  it('exits 2 when no pod declares the name', async () => {
    const r = await explainShop('matrix', '--port', 'nope');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: --port nope: no pod or workload has a TCP container port named nope\n');
  });

  it('says for which protocol the name exists, and looks only in -n', async () => {
    const udp = await explainShop('matrix', '--port', 'dns');
    expect(udp.stderr).toBe('error: --port dns: no pod or workload has a TCP container port named dns (it is a UDP port: --port dns/UDP)\n');
    expect((await explainShop('matrix', '--port', 'dns/UDP')).code).toBe(0);
    const elsewhere = await explainShop('matrix', '--port', 'postgres', '-n', 'monitoring');
    expect(elsewhere.stderr).toBe('error: --port postgres: no pod or workload in namespace monitoring has a TCP container port named postgres\n');
  });
});

describe('matrix -o markdown', () => {
  it('ends with the summary of the text output', async () => {
    const md = await explainShop('matrix', '--port', '8080', '-o', 'markdown');
    const text = await explainShop('matrix', '--port', '8080');
    const summary = text.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(summary).toBe('12 allowed, 18 denied');
    expect(md.stdout.trimEnd().split('\n').slice(-2)).toEqual(['', `${summary}.`]);
    const named = await explainShop('matrix', '--port', 'metrics', '-o', 'markdown');
    expect(named.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ allowed, \d+ denied, \d+ not applicable\.$/);
  });
});
