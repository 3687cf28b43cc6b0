// policy-explain lint: findings, formats, and --strict exit codes.
import { describe, expect, it } from 'vitest';
import type { LintReport } from '../../src/cli/format/lint-output.ts';
import { explain, fixture } from './helpers.ts';

const TYPO = fixture('typo');

const OPEN_NAMESPACE = `
apiVersion: v1
kind: Namespace
metadata: {name: tools}
---
apiVersion: v1
kind: Pod
metadata: {name: shell, namespace: tools}
spec: {containers: [{name: sh, image: busybox}]}
`;

describe('policy-explain lint', () => {
  it('prints findings as aligned columns: severity, object, field, message', async () => {
    const r = await explain(['-f', TYPO, 'lint']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^SEVERITY {2}OBJECT +FIELD +MESSAGE$/);
    const warning = lines.find((l) => l.includes('spec.podSelector'));
    expect(warning).toMatch(/^warning {3}NetworkPolicy shop\/db-ingress {2}spec\.podSelector +spec\.podSelector app=databse selects no pod in namespace shop/);
    expect(warning).toContain('[selects-nothing]');
    expect(warning).toMatch(/\(.*typo\/manifests\.yaml doc 2\)$/);
    // Each column starts at the same offset on every line.
    const col = (l: string): number => l.indexOf('NetworkPolicy') >= 0 ? l.indexOf('NetworkPolicy') : l.indexOf('OBJECT');
    expect(col(lines[0] ?? '')).toBe(col(warning ?? ''));
    expect(r.stdout).toMatch(/\n2 warnings, 1 info\n$/);
  });

  it('--strict exits 1 on warnings', async () => {
    const r = await explain(['-f', TYPO, 'lint', '--strict']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('selects-nothing');
  });

  it('--strict exits 0 when there are only info findings', async () => {
    const r = await explain(['-f', '-', 'lint', '--strict'], OPEN_NAMESPACE);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^info +Namespace tools +- +no policy isolates any pod of namespace tools/m);
    expect(r.stdout).toContain('0 warnings, 1 info');
  });

  it('prints a LintReport in JSON', async () => {
    const r = await explain(['-f', TYPO, 'lint', '--strict', '-o', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as LintReport;
    expect(doc).toMatchObject({ apiVersion: 'nftpol.dev/v1alpha1', kind: 'LintReport', strict: true, passed: false, summary: { warnings: 2, info: 1 } });
    expect(doc.findings).toContainEqual(expect.objectContaining({
      id: 'selects-nothing',
      severity: 'warning',
      object: { kind: 'NetworkPolicy', namespace: 'shop', name: 'db-ingress' },
      field: 'spec.podSelector',
      source: { file: expect.stringMatching(/typo\/manifests\.yaml$/) as unknown, document: 2 },
    }));
  });

  it('prints a markdown table', async () => {
    const r = await explain(['-f', TYPO, 'lint', '-o', 'markdown']);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('| severity | object | field | message | check | source |');
    expect(lines).toContain('|---|---|---|---|---|---|');
    expect(lines.find((l) => l.startsWith('| warning | NetworkPolicy shop/db-ingress | `spec.podSelector` |'))).toBeDefined();
  });

  it('says so when there is nothing to report', async () => {
    const policyOnly = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec: {podSelector: {}}
`;
    const r = await explain(['-f', '-', 'lint', '--strict'], policyOnly);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no findings\n');
    const json = JSON.parse((await explain(['-f', '-', 'lint', '-o', 'json'], policyOnly)).stdout) as LintReport;
    expect(json).toMatchObject({ strict: false, passed: true, summary: { warnings: 0, info: 0 }, findings: [] });
  });
});
