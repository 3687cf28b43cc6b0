// --validate on every command that reads manifests: policy-explain -f,
// nftpol render -f, nftpol test (resources and inline objects). strict is the
// default: an unknown field stops the command (exit 2); warn reports it and
// goes on; ignore says nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nftpol, policyTest, Scratch } from '../policytest/helpers.ts';
import { explain } from './helpers.ts';

const TYPO_POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  egres: [{}]
`;

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
  await s.write('typo/policy.yaml', TYPO_POLICY);
  await s.write('typo/ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
});
afterAll(async () => {
  await s.remove();
});

const UNKNOWN = /typo\/policy\.yaml:7 doc 0: NetworkPolicy shop\/deny-egress: spec\.egres: unknown field "egres" \(did you mean "egress"\?\)/;

describe('policy-explain -f --validate', () => {
  it('strict by default: the unknown field is an error naming file, line, object and field (exit 2)', async () => {
    const r = await explain(['-f', `${s.root}/typo`, 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: .*${UNKNOWN.source}$`, 'm'));
    expect(await explain(['-f', `${s.root}/typo`, '--validate=strict', 'lint'])).toEqual(r);
    expect(await explain(['-f', `${s.root}/typo`, '--validate=true', 'lint'])).toEqual(r);
  });

  it('warn: a warning, and the command goes on', async () => {
    const r = await explain(['-f', `${s.root}/typo`, '--validate=warn', 'lint']);
    expect(r.stderr).toMatch(new RegExp(`^warning: .*${UNKNOWN.source}; ignored \\(--validate=warn\\)$`, 'm'));
    expect(r.code).not.toBe(2);
  });

  it('ignore (or false): nothing said', async () => {
    for (const v of ['ignore', 'false']) {
      const r = await explain(['-f', `${s.root}/typo`, `--validate=${v}`, 'lint']);
      expect(r.stderr).not.toMatch(/egres/);
      expect(r.code).not.toBe(2);
    }
  });

  it('refuses another value, naming the modes', async () => {
    const r = await explain(['-f', `${s.root}/typo`, '--validate=lax', 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--validate.*must be one of: strict \(or true\), warn, ignore \(or false\)/);
  });
});

describe('the README example', () => {
  it('shows what policy-explain prints for test/cli/fixtures/unknown-field', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const command = '$ ./bin/policy-explain -f test/cli/fixtures/unknown-field lint --strict\n';
    const shown = readme.slice(readme.indexOf(command) + command.length).split('\n```')[0];
    const r = await explain(['-f', 'test/cli/fixtures/unknown-field', 'lint', '--strict']);
    expect(r.code).toBe(2);
    expect(`${r.stderr}${r.stdout}`.trimEnd()).toBe(shown);
  });
});

describe('nftpol render -f --validate', () => {
  it('strict by default, warn goes on', async () => {
    const strict = await nftpol(['render', '-f', 'typo', '--node', 'n1'], s.root);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(UNKNOWN);
    const warn = await nftpol(['render', '-f', 'typo', '--node', 'n1', '--validate', 'warn'], s.root);
    expect(warn.code).toBe(0);
    expect(warn.stdout).toMatch(/table inet/);
  });
});

describe('nftpol test --validate', () => {
  const CASES = '  - {from: shop/api, to: shop/db, port: 5432, expect: allow}\n';

  it('checks the resources: strict by default, warn goes on', async () => {
    await s.write('tests/typo-resource.yaml', policyTest('typo-resource', CASES).replace('resources: [../manifests/*.yaml]', 'resources: [../manifests/*.yaml, ../typo/policy.yaml]'));
    const strict = await s.run('test', 'tests/typo-resource.yaml');
    expect(strict.code).toBe(2);
    expect(`${strict.stdout}${strict.stderr}`).toMatch(/spec\.egres: unknown field "egres" \(did you mean "egress"\?\)/);
    const warn = await s.run('test', '--validate=warn', 'tests/typo-resource.yaml');
    expect(warn.code).toBe(0);
  });

  it('checks inline objects too', async () => {
    const inline = `objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: probe, namespace: shop}
    spec: {containers: [{name: c, image: i, ports: [{containerport: 80}]}]}
`;
    await s.write('tests/typo-inline.yaml', policyTest('typo-inline', CASES, inline));
    const strict = await s.run('test', 'tests/typo-inline.yaml');
    expect(strict.code).toBe(2);
    const out = `${strict.stdout}${strict.stderr}`;
    expect(out).toMatch(/tests\/typo-inline\.yaml:9.*Pod shop\/probe: spec\.containers\[0\]\.ports\[0\]\.containerport: unknown field "containerport" \(did you mean "containerPort"\?\)/);
    expect(out).not.toMatch(/containerPort is required/);
    expect((await s.run('test', '--validate=ignore', 'tests/typo-inline.yaml')).code).toBe(2);
  });
});
