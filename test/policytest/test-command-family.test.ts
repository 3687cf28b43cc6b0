// `nftpol test --family ipv4|ipv6`: every case decided over the chosen family (a
// pod means its address of that family, a host-network pod its node's), shown in
// the reports; an end without an address of the family, or an `ip:` address of
// the other one, is an input error naming the case's field (exit 2), never a case
// quietly decided on the other family or left out. Without the option, a case is
// decided on IPv4 when both ends have it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyTestReport } from '../../src/policytest/report-json.ts';
import { Scratch } from './helpers.ts';

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(async () => {
  await s.remove();
});

function pod(name: string, ips: readonly string[], extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: dual, labels: {app: ${name}}}
spec:
  nodeName: node-1${extra}
  containers: [{name: main, image: example/${name}, ports: [{name: http, containerPort: 80}]}]
status:
  phase: Running
  podIP: ${ips[0]}
  podIPs: [${ips.map((ip) => `{ip: "${ip}"}`).join(', ')}]
`;
}

// db admits only api's IPv4 address (an ipBlock /32): over IPv4 api reaches db,
// over IPv6 it does not. web admits anyone.
const WORLD = [
  `apiVersion: v1
kind: Node
metadata: {name: node-1}
spec: {podCIDRs: [10.0.0.0/24, "fd00::/64"]}
status:
  addresses: [{type: InternalIP, address: 192.168.0.1}, {type: InternalIP, address: "fd00:ff::1"}]
`,
  `apiVersion: v1
kind: Namespace
metadata: {name: dual}
`,
  pod('api', ['10.0.0.5', 'fd00::5']),
  pod('db', ['10.0.0.6', 'fd00::6']),
  pod('web', ['10.0.0.7', 'fd00::7']),
  pod('legacy', ['10.0.0.8']),
  pod('agent', ['192.168.0.1', 'fd00:ff::1'], '\n  hostNetwork: true'),
  `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api-v4, namespace: dual}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{ipBlock: {cidr: 10.0.0.5/32}}]
`,
].join('---\n');

function familyTest(cases: string): string {
  return `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: dual-stack}
resources: [../manifests-dual/*.yaml]
cases:
${cases}`;
}

const CASES = `  - {from: dual/api, to: dual/db, port: 80, expect: allow}
  - {from: dual/agent, to: dual/web, port: 80, expect: allow}
  - {from: dual/api, to: node:node-1, port: 10250, expect: allow}
`;

describe('nftpol test --family', () => {
  beforeAll(async () => {
    await s.write('manifests-dual/world.yaml', WORLD);
    await s.write('tests/family.yaml', familyTest(CASES));
  });

  it('without it a case between dual-stack ends is decided on IPv4', async () => {
    const r = await s.run('test', '-v', 'tests/family.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 PolicyTest in 1 file, 3 cases\n');
  });

  it('--family ipv4 decides every case over IPv4 and says so', async () => {
    const r = await s.run('test', '--family', 'ipv4', 'tests/family.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 PolicyTest in 1 file, 3 cases over IPv4\n');
  });

  it('--family ipv6 decides over the pods\' and the node\'s IPv6 addresses: the IPv4 ipBlock no longer admits api', async () => {
    const r = await s.run('test', '--family', 'ipv6', 'tests/family.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cases[0] dual/api -> dual/db 80/TCP: expected allow, got deny');
    expect(r.stdout).toMatch(/DENIED {2}dual\/api \(fd00::5\) -> dual\/db \(fd00::6\) 80\/TCP/);
    expect(r.stdout).toContain('1 PolicyTest in 1 file, 3 cases over IPv6\n');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed');
  });

  it('the JSON and JUnit reports name the family, the JSON streamed or not, and the failed case\'s verdict has the IPv6 ends', async () => {
    for (const extra of [[], ['--junit', 'out.xml']]) {
      const r = await s.run('test', '--family', 'ipv6', '-o', 'json', ...extra, 'tests/family.yaml');
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as PolicyTestReport;
      expect(report.family).toBe('ipv6');
      const failed = report.results.filter((c) => !c.passed);
      expect(failed.map((c) => [c.verdict?.flow.from.ip, c.verdict?.flow.to.ip])).toEqual([['fd00::5', 'fd00::6']]);
    }
    const plain = JSON.parse((await s.run('test', '-o', 'json', 'tests/family.yaml')).stdout) as PolicyTestReport;
    expect(plain.family).toBeUndefined();
    // The JUnit report too, as a property of each suite.
    expect(await readFile(path.join(s.root, 'out.xml'), 'utf8')).toContain('<property name="family" value="ipv6"/>');
    await s.run('test', '--junit', 'plain.xml', 'tests/family.yaml');
    expect(await readFile(path.join(s.root, 'plain.xml'), 'utf8')).not.toContain('name="family"');
  });

  it('an end without an address of the family is an input error naming the field and line; nothing is run (exit 2)', async () => {
    await s.write('tests/v4-only.yaml', familyTest(`${CASES}  - {from: dual/api, to: [dual/web, dual/legacy], port: 80, expect: allow}
  - {from: ip:203.0.113.9, to: dual/web, port: 80, expect: allow}
`));
    const v6 = await s.run('test', '--family', 'ipv6', 'tests/v4-only.yaml');
    expect(v6.code).toBe(2);
    expect(v6.stdout).toBe('');
    expect(v6.stderr).toContain('tests/v4-only.yaml:9');
    expect(v6.stderr).toContain('cases[3].to[1]');
    expect(v6.stderr).toContain('dual/legacy: Pod dual/legacy has no IPv6 address; the run decides cases over IPv6 only');
    expect(v6.stderr).toContain('cases[4].from');
    expect(v6.stderr).toContain('ip:203.0.113.9 is an IPv4 address; the run decides cases over IPv6 only');
    expect(v6.stderr).toContain('error: 2 errors in the PolicyTests or their manifests; no case was run');
    // The same file over IPv4 runs: api's IPv4 address is in the ipBlock.
    const v4 = await s.run('test', '--family', 'ipv4', 'tests/v4-only.yaml');
    expect(v4.stderr).toBe('');
    expect(v4.code).toBe(0);
  });

  it('refuses a family it does not know', async () => {
    const r = await s.run('test', '--family', 'ipv5', 'tests/family.yaml');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("argument 'ipv5' is invalid");
  });
});
