// Input handling shared by every command: -f forms, stdin, problems on
// stderr, exit code 2 for bad input, and usage errors without stack traces.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explain, explainShop, fixture, SHOP } from './helpers.ts';

const BAD_CIDR = fixture('bad-cidr');

function shopYaml(): string {
  return ['00-namespaces.yaml', '10-workloads.yaml', '20-policies.yaml']
    .map((f) => readFileSync(`${SHOP}/${f}`, 'utf8'))
    .join('\n---\n');
}

describe('manifest input', () => {
  it('exits 2 on a bad CIDR, naming file, line, document, object and field', async () => {
    const r = await explain(['-f', BAD_CIDR, 'lint']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toContain(`error: ${BAD_CIDR}/policy.yaml:10 doc 0: NetworkPolicy shop/egress-out: spec.egress[0].to[0].ipBlock.cidr: "10.0.0.0/33" is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)`);
    expect(lines).toContain(`error: ${BAD_CIDR}/policy.yaml:21 doc 1: NetworkPolicy shop/partners: spec.ingress[0].from[0].ipBlock.except[0]: 10.1.0.0/16 is not inside cidr 192.168.0.0/16`);
    // Errors only in policies: answered with them failing closed (sloppy-input.test.ts), still exit 2.
    expect(lines.at(-1)).toBe('error: 2 NetworkPolicies have errors (shop/egress-out, shop/partners): answering with them failing closed (isolating the pods they select, allowing nothing), as the agent would enforce them; exit status 2');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('reads manifests from stdin with -f -', async () => {
    const r = await explain(['-f', '-', '--from', 'shop/api', '--to', 'shop/db', '--port', 'postgres'], shopYaml());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ALLOWED {2}shop\/api/);
    // Same addresses and verdict as reading the folder.
    expect(r.stdout).toBe((await explainShop('--from', 'shop/api', '--to', 'shop/db', '--port', 'postgres')).stdout);
  });

  it('names <stdin> in problems of piped input', async () => {
    const bad = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n    - from: [{ipBlock: {cidr: "300.1.1.1/8"}}]\n';
    const r = await explain(['-f', '-', 'lint'], bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: <stdin>:7 doc 0: NetworkPolicy x\/p: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: "300\.1\.1\.1\/8" is not a valid CIDR/m);
  });

  it('takes -f more than once, and globs', async () => {
    const files = ['00-namespaces.yaml', '10-workloads.yaml', '20-policies.yaml'].flatMap((f) => ['-f', `${SHOP}/${f}`]);
    const many = await explain([...files, 'pod', 'shop/db', '-o', 'json']);
    const glob = await explain(['-f', `${SHOP}/*.yaml`, 'pod', 'shop/db', '-o', 'json']);
    const folder = await explainShop('pod', 'shop/db', '-o', 'json');
    expect(many.code).toBe(0);
    expect(JSON.parse(many.stdout)).toEqual(JSON.parse(folder.stdout));
    expect(JSON.parse(glob.stdout)).toEqual(JSON.parse(folder.stdout));
  });

  it('prints warnings and goes on; debug notes only with -v', async () => {
    const yaml = `${shopYaml()}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n---\n` +
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: masked, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.1/8}}]\n';
    const quiet = await explain(['-f', '-', 'pod', 'shop/db'], yaml);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toMatch(/^warning: <stdin>:\d+ doc \d+: NetworkPolicy shop\/masked: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: 10\.0\.0\.1\/8 has bits set beyond the prefix length/m);
    expect(quiet.stderr).not.toContain('debug:');
    const verbose = await explain(['-f', '-', '-v', 'pod', 'shop/db'], yaml);
    expect(verbose.stderr).toMatch(/^debug: <stdin>:\d+ doc \d+: ConfigMap shop\/c: v1 ConfigMap is not something nftpol models; ignored$/m);
  });

  it('refuses an object defined twice, naming both places', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: [{name: c}]}\n';
    const r = await explain(['-f', '-', 'lint'], `${pod}---\n${pod}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: <stdin>:6 doc 1: Pod x/a: duplicate Pod: also defined at <stdin> doc 0 (line 1); an object may be defined once, so the input is refused\n' +
      'error: 1 error in the input; nothing was explained\n',
    );
  });

  it('exits 2 for a missing file', async () => {
    const r = await explain(['-f', fixture('no-such-dir'), 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-dir');
    expect(r.stderr).toContain('error: 1 error in the input; nothing was explained');
  });
});

describe('live mode options', () => {
  it('refuses -f together with --kubeconfig or --context', async () => {
    const r = await explain(['-f', SHOP, '--context', 'prod', 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: -f/--filename reads manifests; --kubeconfig and --context are for live mode: use one or the other\n');
  });

  it('exits 2 with a one-line problem for an unreadable kubeconfig', async () => {
    const r = await explain(['--kubeconfig', fixture('no-such-kubeconfig'), 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cluster: cannot load kubeconfig: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('usage errors and exit codes', () => {
  it.each([
    [['--from', 'shop/web', '--to', 'shop/nope', '--port', '80'], 'error: shop/nope: no pod or workload shop/nope (namespace shop has shop/api, shop/db, shop/web)\n'],
    [['--from', 'shop/web', '--to', 'shop/api', '--port', '99999'], 'error: port 99999 is out of range 1-65535\n'],
    [['--from', 'shop/web', '--to', 'shop/api', '--port', 'grpc'], 'error: shop/api has no TCP container port named grpc\n'],
    [['--from', 'shop/web', '--to', 'shop/api'], 'error: a TCP flow needs --port: a number or a container-port name, optionally /PROTOCOL (80, 80/UDP, http)\n'],
    [['--from', 'shop/web', '--to', 'shop/api', '--protocol', 'udp'], 'error: a UDP flow needs --port: a number or a container-port name, optionally /PROTOCOL (80, 80/UDP, http)\n'],
    [['--from', 'ip:999.1.1.1', '--to', 'shop/api', '--port', '80'], 'error: ip:999.1.1.1: "999.1.1.1" is not a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)\n'],
    [['--from', 'shop/web', '--to', 'shop/api', '--port', '80', '-o', 'dot'], 'error: --output dot is not available for flow; use one of text, json, markdown\n'],
  ])('exits 2 for %j', async (args, message) => {
    const r = await explainShop(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(message);
  });

  it('exits 2 on an unknown option or format, with commander\'s message', async () => {
    const r = await explainShop('lint', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--bogus'");
    const f = await explainShop('lint', '-o', 'yaml');
    expect(f.code).toBe(2);
    expect(f.stderr).toContain("argument 'yaml' is invalid. Allowed choices are text, json, markdown, dot, mermaid, sarif.");
  });

  it('prints help on stdout and exits 0', async () => {
    const r = await explain(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: policy-explain [options] [command]');
    for (const c of ['flow', 'pod', 'matrix', 'lint']) expect(r.stdout).toMatch(new RegExp(`^ {2}${c}\\b`, 'm'));
    expect(r.stdout).toContain('Exit codes: 0 success');
  });
});
