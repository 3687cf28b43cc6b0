// policy-explain lint -o sarif: a valid SARIF 2.1.0 log (checked against the
// standard's requirements for what it writes, fixtures/sarif/sarif-subset.schema.json), with what
// code scanning needs: a rule for every check, and each result at a path
// relative to the repository root, on the line of its field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { LINT_RULE_TEXT } from '../../src/cli/format/lint-sarif-rules.ts';
import { lintSarif, type SarifLog } from '../../src/cli/format/lint-sarif.ts';
import { LINT_CHECK_IDS } from '../../src/lint/lint-cluster.ts';
import { explain, fixture } from './helpers.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const schema = JSON.parse(readFileSync(fixture('sarif/sarif-subset.schema.json'), 'utf8')) as object;
// CommonJS with the class (function) as module.exports and as .default.
const ajv = new Ajv.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validate = ajv.compile(schema);

function valid(log: unknown): string {
  return validate(log) ? 'valid' : ajv.errorsText(validate.errors, { separator: '\n' });
}

interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation?: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number }; contextRegion?: { startLine: number; endLine: number } } }[];
}

async function sarif(args: string[], stdin = ''): Promise<{ code: number; log: SarifLog; results: Result[] }> {
  const r = await explain([...args, '-o', 'sarif'], stdin);
  const log = JSON.parse(r.stdout) as SarifLog;
  return { code: r.code, log, results: log.runs[0]?.results as unknown as Result[] };
}

describe('policy-explain lint -o sarif', () => {
  it('the schema rejects what is not SARIF 2.1.0', () => {
    expect(valid({ version: '2.0.0', runs: [] })).toMatch(/version/);
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a.yaml' }, region: { startLine: 0 } } }] }] }] })).toMatch(/startLine/);
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'warn' }] }] })).toMatch(/level/);
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toMatch(/name/);
  });

  it('writes a valid log: one run by nftpol, its version, a rule per check', async () => {
    const { code, log } = await sarif(['-f', fixture('typo'), 'lint']);
    expect(code).toBe(0);
    expect(valid(log)).toBe('valid');
    const driver = log.runs[0]?.tool.driver as { name: string; version: string; rules: { id: string; shortDescription: { text: string }; help: { text: string } }[] };
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(driver).toMatchObject({ name: 'nftpol', version: pkg.version });
    expect(driver.rules.map((r) => r.id)).toEqual(LINT_CHECK_IDS);
    for (const rule of driver.rules) {
      expect(rule.shortDescription.text.length, rule.id).toBeGreaterThan(10);
      expect(rule.help.text.length, rule.id).toBeGreaterThan(20);
    }
    expect(Object.keys(LINT_RULE_TEXT).sort()).toEqual([...LINT_CHECK_IDS].sort());
  });

  it('puts each finding at its file relative to the repository root, on its field\'s line, with the object\'s lines', async () => {
    const { log, results } = await sarif(['-f', fixture('typo'), 'lint']);
    expect(log.runs[0]?.originalUriBaseIds['%SRCROOT%']?.uri).toBe(`file://${REPO.endsWith('/') ? REPO : `${REPO}/`}`);
    const podSelector = results.find((r) => r.message.text.includes('spec.podSelector app=databse'));
    expect(podSelector).toMatchObject({ ruleId: 'selects-nothing', level: 'warning', ruleIndex: LINT_CHECK_IDS.indexOf('selects-nothing') });
    // manifests.yaml: the policy is lines 16-23, its podSelector on line 20; the namespace (info: a note) lines 2-4.
    expect(podSelector?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'test/cli/fixtures/typo/manifests.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 20 }, contextRegion: { startLine: 16, endLine: 23 },
    });
    const peer = results.find((r) => r.message.text.includes('spec.ingress[0].from[0]'));
    expect(peer?.locations[0]?.physicalLocation?.region).toEqual({ startLine: 22 });
    const namespace = results.find((r) => r.ruleId === 'namespace-not-isolated');
    expect(namespace).toMatchObject({ level: 'note' });
    expect(namespace?.locations[0]?.physicalLocation).toMatchObject({ region: { startLine: 2 }, contextRegion: { startLine: 2, endLine: 4 } });
    for (const r of results) {
      const uri = r.locations[0]?.physicalLocation?.artifactLocation.uri ?? '';
      // A relative reference: no scheme, no leading slash, no "..", "/" separators.
      expect(uri).toMatch(/^(?![a-z][a-z0-9+.-]*:)(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\\]+$/);
    }
  });

  it('gives stdin findings a logical location only (no file to point into), still valid', async () => {
    const { log, results } = await sarif(['-f', '-', 'lint'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: shell, namespace: tools}\nspec: {containers: [{name: sh, image: busybox}]}\n');
    expect(valid(log)).toBe('valid');
    expect(results).toHaveLength(1);
    expect(results[0]?.locations[0]).toEqual({ logicalLocations: [{ name: 'tools', fullyQualifiedName: 'Namespace tools', kind: 'object' }] });
  });

  it('writes an empty result list, valid, when there is nothing to report', async () => {
    const { log, results } = await sarif(['-f', '-', 'lint'],
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n');
    expect(valid(log)).toBe('valid');
    expect(results).toEqual([]);
  });

  it('percent-encodes path segments, and writes a file outside the root as a file: URI', () => {
    const finding = { id: 'selects-nothing', severity: 'warning' as const, object: { kind: 'NetworkPolicy', namespace: 'a', name: 'b' }, field: '', message: 'm' };
    const at = (file: string): string | undefined => {
      const log = lintSarif([{ ...finding, source: { file, document: 0 } }], { version: '1.0.0', root: '/repo', cwd: '/repo/sub', lines: () => ({ line: 3 }) });
      expect(valid(log)).toBe('valid');
      return (log.runs[0]?.results[0]?.locations[0]?.physicalLocation?.artifactLocation as { uri: string } | undefined)?.uri;
    };
    expect(at('my policies/p#1.yaml')).toBe('sub/my%20policies/p%231.yaml');
    expect(at('../other/p.yaml')).toBe('other/p.yaml');
    expect(at('../../elsewhere/p.yaml')).toBe('file:///elsewhere/p.yaml');
  });

  it('is refused for other commands', async () => {
    const r = await explain(['-f', fixture('typo'), 'matrix', '-o', 'sarif']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--output sarif is not available for matrix');
  });
});
