// policy-explain lint on policies that grew over time (fixtures/redundant):
// the redundancy checks as a user sees them, in text and in SARIF.
import { describe, expect, it } from 'vitest';
import { explain, fixture } from './helpers.ts';

const REDUNDANT = fixture('redundant');

describe('policy-explain lint: redundant rules and policies', () => {
  it('names each object and field, as info (so --strict still passes)', async () => {
    const r = await explain(['-f', REDUNDANT, 'lint', '--strict']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('info')).map((l) => l.replace(/ +/g, ' '));
    expect(rows.filter((l) => /\[(redundant|contained)-/.test(l)).map((l) => l.split(' ').slice(1, 4).join(' '))).toEqual([
      'NetworkPolicy shop/api-from-web -', 'NetworkPolicy shop/api-in spec.ingress[1]', 'NetworkPolicy shop/db-from-app -',
    ]);
    expect(r.stdout).toContain('contained in shop/api-in, which selects every pod this policy selects');
    expect(r.stdout).toContain('(shop/db-in, shop/db-from-web)');
  });

  it('points SARIF results at the rule\'s line', async () => {
    const r = await explain(['-f', REDUNDANT, 'lint', '-o', 'sarif']);
    const log = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };
    const rule = log.runs[0]?.results.find((x) => x.ruleId === 'redundant-rule');
    // shop.yaml line 29: the second "- from:" of shop/api-in.
    expect(rule?.locations[0]?.physicalLocation.region.startLine).toBe(29);
  });
});
