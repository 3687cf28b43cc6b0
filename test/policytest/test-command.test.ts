// `nftpol test` in-process: exit codes, text/JSON/JUnit reports, resource
// globs relative to the test file, inline objects, and input errors.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelVerdicts, VerdictSourceUnavailableError } from '../../src/policytest/verdict-source.ts';
import type { PolicyTestReport } from '../../src/policytest/report-json.ts';
import { nftpol, parseXml, policyTest, Scratch, type XmlElement } from './helpers.ts';

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(async () => {
  await s.remove();
});

const PASSING = `  - {from: shop/api, to: shop/db, port: 5432, expect: allow}
  - {from: [shop/web, other/x], to: shop/db, port: 5432, protocol: TCP, expect: deny}
  - {from: ip:203.0.113.9, to: shop/web, port: http, expect: allow}
  - {from: shop/api, to: shop/db, port: postgres, expect: allow}
  - {from: shop/api, to: shop/db, port: metrics, expect: deny}
  - {from: shop/api, to: shop/db, port: 5432, protocol: UDP, expect: deny}
`;

const FAILING = `  - {name: web reaches db, from: shop/web, to: shop/db, port: 5432, expect: allow}
  - {from: shop/api, to: [shop/db, shop/web], port: 5432, expect: deny}
`;

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

describe('nftpol test: passing and failing cases', () => {
  it('passes, expanding lists, with named ports and ip: endpoints (exit 0)', async () => {
    await s.write('tests/pass.yaml', policyTest('shop-pass', PASSING));
    const r = await s.run('test', 'tests/pass.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok    shop-pass (7 cases)  tests/pass.yaml');
    expect(r.stdout).toContain('1 PolicyTest in 1 file, 7 cases');
    expect(lastLine(r.stdout)).toBe('7 passed, 0 failed');
    expect(r.stdout).not.toContain('FAIL');
  });

  it('lists passing cases with -v', async () => {
    const r = await s.run('test', '-v', 'tests/pass.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  ok    cases[1] shop/web -> shop/db 5432/TCP: deny');
    expect(r.stdout).toContain('  ok    cases[1] other/x -> shop/db 5432/TCP: deny');
    expect(r.stdout).toContain('  ok    cases[2] ip:203.0.113.9 -> shop/web http/TCP: allow');
  });

  it('fails with the explanation of each failed case (exit 1)', async () => {
    await s.write('tests/fail.yaml', policyTest('shop-fail', FAILING));
    const r = await s.run('test', 'tests/fail.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL  shop-fail (2 of 3 cases failed)  tests/fail.yaml');
    expect(r.stdout).toContain('  FAIL  cases[0] "web reaches db" shop/web -> shop/db 5432/TCP: expected allow, got deny  (tests/fail.yaml:6)');
    expect(r.stdout).toMatch(/ {8}DENIED {2}shop\/web \(10\.244\.\d+\.\d+\) -> shop\/db \(10\.244\.\d+\.\d+\) 5432\/TCP/);
    expect(r.stdout).toContain('why not: shop/db-allow-api spec.ingress[0].from[0].podSelector');
    // An unexpected allow shows the rule that allowed it.
    expect(r.stdout).toContain('  FAIL  cases[1] shop/api -> shop/db 5432/TCP: expected deny, got allow');
    expect(r.stdout).toContain('allowed by shop/db-allow-api spec.ingress[0] (from[0], ports[0])');
    // shop/api -> shop/web 5432 is denied as expected and not listed.
    expect(r.stdout).not.toContain('shop/api -> shop/web');
    expect(lastLine(r.stdout)).toBe('1 passed, 2 failed');
  });

  it('runs every PolicyTest under a folder, recursively, and counts files and cases', async () => {
    await s.write('tests/nested/deeper/more.yaml', `${policyTest('nested', '  - {from: shop/api, to: shop/web, port: 80, expect: allow}\n').replace('../manifests', '../../../manifests')}---
${policyTest('nested-2', '  - {from: shop/api, to: shop/web, port: 81, expect: deny}\n').replace('../manifests', '../../../manifests')}`);
    const r = await s.run('test', 'tests');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('4 PolicyTests in 3 files, 12 cases');
    expect(r.stdout).toContain('ok    nested-2 (1 case)  tests/nested/deeper/more.yaml doc 1');
    expect(lastLine(r.stdout)).toBe('10 passed, 2 failed');
  });
});

describe('nftpol test: worlds', () => {
  it('resolves resource globs relative to the test file, not the working directory', async () => {
    const r = await s.run('test', path.join(s.root, 'tests/pass.yaml'));
    expect(r.code).toBe(0);
    const fromElsewhere = await Scratch.create();
    try {
      const r2 = await fromElsewhere.run('test', path.join(s.root, 'tests/pass.yaml'));
      expect(r2.code).toBe(0);
    } finally {
      await fromElsewhere.remove();
    }
  });

  it('lets an inline object replace a resource object of the same kind, namespace and name', async () => {
    // The inline db-allow-api admits app=web instead of app=api.
    const inline = `objects:
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: db-allow-api, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: db}}
      policyTypes: [Ingress]
      ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
  - apiVersion: v1
    kind: Namespace
    metadata: {name: extra}
  - apiVersion: v1
    kind: Pod
    metadata: {name: probe, namespace: extra}
    spec: {containers: [{name: c, image: i}]}
    status: {podIP: 10.9.9.9}
`;
    await s.write('inline/override.yaml', policyTest('override', `  - {from: shop/web, to: shop/db, port: 5432, expect: allow}
  - {from: shop/api, to: shop/db, port: 5432, expect: deny}
  - {from: extra/probe, to: shop/web, port: http, expect: allow}
  - {from: ip:10.9.9.9, to: shop/db, port: 5432, expect: deny}
`, inline));
    const r = await s.run('test', 'inline/override.yaml');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('4 passed, 0 failed');
    expect(r.code).toBe(0);
    // The resources alone still give the original verdicts (the override is per test).
    const again = await s.run('test', 'tests/pass.yaml', 'inline/override.yaml');
    expect(again.code).toBe(0);
  });
});

describe('nftpol test: reports', () => {
  it('prints a PolicyTestReport with --output json', async () => {
    const r = await s.run('test', '-o', 'json', 'tests/pass.yaml', 'tests/fail.yaml');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as PolicyTestReport;
    expect(report.apiVersion).toBe('nftpol.dev/v1alpha1');
    expect(report.kind).toBe('PolicyTestReport');
    expect(report.dataplane).toBe('model');
    expect(report.summary).toEqual({ files: 2, tests: 2, cases: 10, passed: 8, failed: 2 });
    expect(report.results).toHaveLength(10);
    const failed = report.results.filter((x) => !x.passed);
    expect(failed.map((f) => [f.test, f.case, f.from, f.to, f.expect, f.actual])).toEqual([
      ['shop-fail', 0, 'shop/web', 'shop/db', 'allow', 'deny'],
      ['shop-fail', 1, 'shop/api', 'shop/db', 'deny', 'allow'],
    ]);
    expect(failed[0]).toMatchObject({ name: 'web reaches db', file: 'tests/fail.yaml', document: 0, line: 6, port: 5432, protocol: 'TCP' });
    expect(failed[0]?.verdict).toMatchObject({ allowed: false, flow: { port: 5432, protocol: 'TCP', from: { pod: 'shop/web' }, to: { pod: 'shop/db' } } });
    expect(failed[0]?.verdict?.ingress.misses[0]?.policy).toBe('shop/db-allow-api');
    expect(report.results.filter((x) => x.passed).every((x) => x.verdict === undefined)).toBe(true);
    const named = report.results.find((x) => x.port === 'http');
    expect(named).toMatchObject({ from: 'ip:203.0.113.9', to: 'shop/web', actual: 'allow', passed: true });
  });

  it('writes well-formed JUnit XML with --junit: a suite per PolicyTest, a case per pair', async () => {
    const tricky = policyTest('tricky <&> "quotes"', `  - {name: "a & b <c> 'd'", from: shop/web, to: shop/db, port: 5432, expect: allow}\n`);
    await s.write('junit/tricky.yaml', tricky.replace('metadata: {name: tricky <&> "quotes"}', `metadata: {name: 'tricky <&> "quotes"'}`));
    const out = path.join(s.root, 'report.xml');
    const r = await s.run('test', '--junit', out, 'tests/pass.yaml', 'tests/fail.yaml', 'junit/tricky.yaml');
    expect(r.code).toBe(1);
    const root = parseXml(await readFile(out, 'utf8'));
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '11', failures: '3' });
    const suites = root.children.filter((c) => c.name === 'testsuite');
    expect(suites.map((x) => [x.attrs.name, x.attrs.tests, x.attrs.failures])).toEqual([
      ['shop-pass', '7', '0'],
      ['shop-fail', '3', '2'],
      ['tricky <&> "quotes"', '1', '1'],
    ]);
    const cases = (x: XmlElement): XmlElement[] => x.children.filter((c) => c.name === 'testcase');
    expect(cases(suites[0]!)).toHaveLength(7);
    expect(cases(suites[0]!).every((c) => c.children.length === 0)).toBe(true);
    const failure = cases(suites[1]!)[0]!.children[0]!;
    expect(failure.name).toBe('failure');
    expect(cases(suites[1]!)[0]!.attrs.name).toBe('web reaches db: shop/web -> shop/db 5432/TCP expect allow');
    expect(failure.attrs.message).toBe('expected allow, got deny: shop/db-allow-api spec.ingress[0].from[0].podSelector: pod shop/web: label app=web, wanted app=api (selector app=api)');
    expect(failure.text).toContain('DENIED  shop/web');
    expect(failure.text).toContain('ingress of shop/db: denied (isolated by shop/db-allow-api)');
    const unexpectedAllow = cases(suites[1]!)[1]!.children[0]!;
    expect(unexpectedAllow.attrs.message).toMatch(/^expected deny, got allow: .*ingress allowed by shop\/db-allow-api spec\.ingress\[0\]/);
    expect(cases(suites[2]!)[0]!.attrs.name).toBe(`a & b <c> 'd': shop/web -> shop/db 5432/TCP expect allow`);
  });
});

describe('nftpol test: bad input (exit 2)', () => {
  async function bad(rel: string, text: string): Promise<{ code: number; stderr: string; stdout: string }> {
    await s.write(rel, text);
    return s.run('test', rel);
  }

  it('names the file, document, case and field of validation errors', async () => {
    const r = await bad('bad/fields.yaml', `${policyTest('ok', '  - {from: shop/api, to: shop/db, port: 5432, expect: allow}\n')}---
${policyTest('broken', `  - {from: shop/api, to: shop/db, port: 5432, expect: allowed}
  - {from: shop/api, to: shop/db, expect: deny, note: x}
`)}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: bad/fields.yaml:13 doc 1: PolicyTest broken: cases[0].expect: must be allow or deny, got string "allowed"\n');
    expect(r.stderr).toContain('error: bad/fields.yaml:14 doc 1: PolicyTest broken: cases[1].note: unknown field (allowed: name, from, to, port, protocol, expect)\n');
    expect(r.stderr).toContain('error: bad/fields.yaml:14 doc 1: PolicyTest broken: cases[1].port: missing: want a port number or a container port name\n');
    expect(r.stderr).toMatch(/error: 3 errors in the PolicyTests or their manifests; no case was run\n$/);
  });

  it('rejects an endpoint or a port name that names nothing', async () => {
    const r = await bad('bad/endpoints.yaml', policyTest('endpoints', `  - {from: [shop/api, shop/nope], to: shop/db, port: 5432, expect: allow}
  - {from: shop/api, to: shop/db, port: http, expect: deny}
  - {from: shop/api, to: ip:203.0.113.1, port: http, expect: deny}
  - {from: shop/api, to: ip:not-an-ip, port: 80, expect: deny}
`));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: bad/endpoints.yaml:6 doc 0: PolicyTest endpoints: cases[0].from[1]: shop/nope: no pod or workload shop/nope');
    expect(r.stderr).toContain('error: bad/endpoints.yaml:7 doc 0: PolicyTest endpoints: cases[1].port: shop/db has no TCP container port named http');
    expect(r.stderr).toContain('cases[2].port: port name http needs a pod destination');
    expect(r.stderr).toContain('cases[3].to: ip:not-an-ip: "not-an-ip" is not a valid IP address');
  });

  it('rejects manifests with errors, naming the manifest', async () => {
    await s.write('brokenworld/manifests/p.yaml', `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]
`);
    const r = await bad('brokenworld/tests/t.yaml', policyTest('t', '  - {from: ip:1.2.3.4, to: ip:1.2.3.5, port: 80, expect: allow}\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: brokenworld\/manifests\/p\.yaml:6 doc 0: NetworkPolicy shop\/p: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: /);
  });

  it('rejects resource globs that match nothing', async () => {
    const r = await bad('bad/noresources.yaml', policyTest('t', '  - {from: shop/api, to: shop/db, port: 5432, expect: allow}\n').replace('../manifests/*.yaml', 'nowhere/*.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad/nowhere/*.yaml: no files match this pattern');
  });

  it('rejects a folder without PolicyTests, a missing path and a file without one', async () => {
    const r = await s.run('test', 'manifests');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: manifests: folder holds no PolicyTest');
    const missing = await s.run('test', 'no/such/path');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: no/such/path: no such file or folder');
    const notATest = await s.run('test', 'manifests/policies.yaml');
    expect(notATest.code).toBe(2);
    expect(notATest.stderr).toContain('error: manifests/policies.yaml: holds no PolicyTest document');
  });

  it('rejects bad options, and a dataplane that cannot run here (exit 2, nothing on stdout)', async () => {
    // A stand-in for the kernel verdict source on a machine without root (test/kernel runs the real one).
    const notRoot = {
      kernel: () => ({
        name: 'kernel' as const,
        prepare: () => Promise.reject(new VerdictSourceUnavailableError('the kernel dataplane cannot run here:\n  - not root (uid 1000)')),
        verdicts: () => Promise.reject(new Error('not reached')),
      }),
    };
    const kernel = await nftpol(['test', '--dataplane', 'kernel', 'tests/pass.yaml'], s.root, { verdictSources: notRoot });
    expect(kernel).toMatchObject({ code: 2, stdout: '' });
    expect(kernel.stderr).toBe('error: the kernel dataplane cannot run here:\n  - not root (uid 1000)\n');
    // A build that offers no kernel source says so.
    const modelOnly = await nftpol(['test', '--dataplane', 'kernel', 'tests/pass.yaml'], s.root, { verdictSources: { model: () => modelVerdicts } });
    expect(modelOnly.stderr).toBe('error: dataplane kernel is not available in this build\n');
    expect((await s.run('test', '--dataplane', 'ebpf', 'tests/pass.yaml')).code).toBe(2);
    expect((await s.run('test', '-o', 'xml', 'tests/pass.yaml')).code).toBe(2);
    expect((await s.run('test')).code).toBe(2);
    expect((await s.run('frobnicate')).code).toBe(2);
    const help = await s.run('test', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit status: 0 every case passed, 1 a case failed, 2 bad input.');
  });

  it('exits 2 when the JUnit file cannot be written, with nothing on stdout (bad input prints no report)', async () => {
    for (const target of [path.join(s.root, 'no-such-dir', 'r.xml'), s.root]) {
      const r = await s.run('test', '--junit', target, 'tests/pass.yaml');
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: cannot write the JUnit report .*: (ENOENT|it is a directory)/);
    }
  });
});
