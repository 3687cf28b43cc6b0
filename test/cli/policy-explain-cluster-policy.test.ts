// policy-explain on manifests with ClusterNetworkPolicy (v1alpha2) and
// AdminNetworkPolicy/BaselineAdminNetworkPolicy (v1alpha1): test/cli/fixtures/
// cluster-policy (a shop guarded by an Admin policy with Accept, Deny and
// Pass, a metadata-address Deny for every pod, a baseline default deny) and
// cluster-policy-lint (the mistakes lint reports).
import { describe, expect, it } from 'vitest';
import { LINT_CHECK_IDS } from '../../src/lint/lint-cluster.ts';
import { explain, fixture } from './helpers.ts';

const WORLD = fixture('cluster-policy');
const LINT = fixture('cluster-policy-lint');

interface DirectionJson {
  tier?: string;
  clusterPolicies?: string[];
  decision?: { policy: string; name?: string; action: string; tier: string; priority: number; field: string };
  passes?: { policy: string; action: string; next?: string }[];
}

describe('policy-explain flow with cluster-wide policies', () => {
  it('names the Admin Deny that decided, and why not is that rule', async () => {
    const r = await explain(['-f', WORLD, '--from', 'sandbox/tool', '--to', 'shop/db', '--port', '5432']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ingress of shop/db: denied (decided in the Admin tier)');
    expect(r.stdout).toContain('denied by cnp/shop-guard spec.ingress[1] "deny-sandbox" (Deny, Admin tier, priority 20)');
    expect(r.stdout).toContain('why not: ingress of shop/db denied by cnp/shop-guard spec.ingress[1] "deny-sandbox" (Deny, Admin tier, priority 20)');
  });

  it('says a NetworkPolicy denial came after an Admin Pass', async () => {
    const r = await explain(['-f', WORLD, '--from', 'monitoring/prometheus', '--to', 'shop/db', '--port', '5432']);
    expect(r.stdout).toContain('ingress of shop/db: denied (decided by NetworkPolicy: isolated by shop/db-in)');
    expect(r.stdout).toContain('cnp/shop-guard spec.ingress[2] "delegate" (Pass, Admin tier, priority 20) passed to NetworkPolicy');
    expect(r.stdout).toMatch(/why not: shop\/db-in spec\.ingress\[0\]\.from\[0\]\.podSelector: .*\(NetworkPolicy decided because cnp\/shop-guard spec\.ingress\[2\] "delegate" \(Pass, Admin tier, priority 20\) passed to NetworkPolicy\)/);
  });

  it('names the Admin Accept that allowed, and the Baseline Deny for a pod no NetworkPolicy isolates', async () => {
    const scrape = await explain(['-f', WORLD, '--from', 'monitoring/prometheus', '--to', 'shop/db', '--port', '9187']);
    expect(scrape.stdout).toMatch(/^ALLOWED/);
    expect(scrape.stdout).toContain('allowed by cnp/shop-guard spec.ingress[0] "allow-scrapes" (Accept, Admin tier, priority 20)');
    const base = await explain(['-f', WORLD, '--from', 'shop/web', '--to', 'monitoring/prometheus', '--port', '9090']);
    expect(base.stdout).toContain('why not: ingress of monitoring/prometheus denied by banp/default spec.ingress[0] "default-deny" (Deny, Baseline tier, priority 0)');
  });

  it('says when NetworkPolicy\'s own-node rule decided, not its rules', async () => {
    const r = await explain(['-f', WORLD, '--from', 'node:node-1', '--to', 'shop/db', '--port', '5432']);
    expect(r.stdout).toContain('ingress of shop/db: allowed (decided by NetworkPolicy: isolated by shop/db-in)\n    shop/db ingress from its own node: allowed');
    expect(r.stdout).not.toContain('shop/db-in spec.ingress[0]');
  });

  it('writes the tier fields in JSON and markdown', async () => {
    const r = await explain(['-f', WORLD, '--from', 'monitoring/prometheus', '--to', 'shop/db', '--port', '5432', '-o', 'json']);
    const json = JSON.parse(r.stdout) as { whyNot: string; flow: { ingress: DirectionJson; egress: DirectionJson } };
    expect(json.flow.ingress).toMatchObject({ tier: 'NetworkPolicy', clusterPolicies: ['cnp/shop-guard', 'banp/default'] });
    expect(json.flow.ingress.passes).toMatchObject([{ policy: 'cnp/shop-guard', action: 'Pass', next: 'NetworkPolicy' }]);
    expect(json.flow.egress).toMatchObject({ tier: 'default', clusterPolicies: ['cnp/deny-metadata'] });
    const imds = JSON.parse((await explain(['-f', WORLD, '--from', 'shop/web', '--to', 'ip:169.254.169.254', '--port', '80', '-o', 'json'])).stdout) as { flow: { egress: DirectionJson } };
    expect(imds.flow.egress.decision).toMatchObject({ policy: 'cnp/deny-metadata', name: 'no-imds', action: 'Deny', tier: 'Admin', priority: 5, field: 'spec.egress[0]' });
    const md = await explain(['-f', WORLD, '--from', 'sandbox/tool', '--to', 'shop/db', '--port', '5432', '-o', 'markdown']);
    expect(md.stdout).toContain('| ingress | shop/db | shop/db-in (decided: Admin) | denied | denied by cnp/shop-guard spec.ingress[1] "deny-sandbox" (Deny, Admin tier, priority 20) |');
  });
});

describe('policy-explain pod, matrix and exposure with cluster-wide policies', () => {
  it('pod lists the cluster policies per direction in evaluation order, with tier, priority and rules', async () => {
    const r = await explain(['-f', WORLD, 'pod', 'shop/db']);
    expect(r.stdout).toContain('the Admin tier (cnp/shop-guard) decides first, Pass goes on; the Baseline tier (banp/default) does not apply: NetworkPolicy isolates it');
    expect(r.stdout).toContain('    cnp/shop-guard (Admin tier, priority 20)\n      spec.ingress[0] "allow-scrapes": Accept from every pod in namespaces team=ops on TCP 9187');
    expect(r.stdout).toContain('        decides for: sandbox/tool\n');
    expect(r.stdout).toContain('spec.ingress[2] "delegate": Pass from every pod in all namespaces on any port and protocol\n        passes for: monitoring/prometheus, shop/web\n');
    // NetworkPolicy isolates shop/db for ingress: the Baseline tier never decides its flows.
    expect(r.stdout).toContain('    banp/default (Baseline tier, priority 0)\n      spec.ingress[0] "default-deny": Deny from every pod in all namespaces on any port and protocol\n        decides for: none of the known pods or workloads');
    expect(r.stdout).toContain('      spec.egress[0] "no-imds": Deny to any address in 169.254.169.254/32 on any port and protocol');
    const json = JSON.parse((await explain(['-f', WORLD, 'pod', 'shop/db', '-o', 'json'])).stdout) as { ingress: { clusterPolicies: unknown[] } };
    expect(json.ingress.clusterPolicies).toMatchObject([
      { policy: 'cnp/shop-guard', kind: 'ClusterNetworkPolicy', tier: 'Admin', priority: 20 },
      { policy: 'banp/default', kind: 'BaselineAdminNetworkPolicy', tier: 'Baseline', priority: 0 },
    ]);
  });

  it('matrix cells are exact: the Admin Accept of TCP 9187 is its own class', async () => {
    const r = await explain(['-f', WORLD, 'matrix', '-o', 'json']);
    const json = JSON.parse(r.stdout) as { endpoints: { id: string }[]; connections: (string | null)[][] };
    const at = (id: string): number => json.endpoints.findIndex((e) => e.id === id);
    const cell = (from: string, to: string): string | null | undefined => json.connections[at(from)]?.[at(to)];
    expect(cell('monitoring/prometheus', 'shop/db')).toBe('TCP 9187');
    expect(cell('shop/web', 'shop/db')).toBe('TCP 5432');
    expect(cell('sandbox/tool', 'shop/db')).toBe('none');
  });

  it('exposure says which outside addresses a cluster Deny closes', async () => {
    const r = await explain(['-f', WORLD, 'exposure', '-n', 'shop']);
    expect(r.stdout).toContain('to outside:     all (not isolated for egress by NetworkPolicy; cluster policies: cnp/deny-metadata)');
    expect(r.stdout).toContain('to outside:     none to 169.254.169.254/32');
  });
});

describe('policy-explain diff and exposure JSON with cluster-wide policies', () => {
  it('diff lists what replacing the cluster policies opens, exactly', async () => {
    const r = await explain(['-f', WORLD, 'diff', '--against', LINT, '-o', 'json']);
    const json = JSON.parse(r.stdout) as { changes: { from: string; to: string; before: string; after: string; added: string }[] };
    expect(json.changes.find((c) => c.from === 'monitoring/prometheus' && c.to === 'shop/db')).toMatchObject({
      before: 'TCP 9187', after: 'all', added: 'TCP 1-9186,9188-65535; UDP 1-65535; SCTP 1-65535; ICMP and other protocols',
    });
    // sandbox -> shop/db: denied by an Admin Deny on both sides (the later Accept of TCP 8080 to web is shadowed): no change.
    expect(json.changes.some((c) => c.from === 'sandbox/tool' && c.to.startsWith('shop/'))).toBe(false);
  });

  it('exposure JSON carries the cluster policies and the closed outside addresses', async () => {
    const r = await explain(['-f', WORLD, 'exposure', '-n', 'shop', '-o', 'json']);
    const json = JSON.parse(r.stdout) as { workloads: { workload: string; egress: { outside: { isolated: boolean; clusterPolicies?: string[]; closed?: string[]; connections: string } } }[] };
    const web = json.workloads.find((w) => w.workload === 'shop/web');
    expect(web?.egress.outside).toMatchObject({ isolated: false, clusterPolicies: ['cnp/deny-metadata'], closed: ['169.254.169.254/32'], connections: 'all' });
  });
});

describe('policy-explain lint with cluster-wide policies', () => {
  it('reports each cluster check on the fixture, naming object and field', async () => {
    const r = await explain(['-f', LINT, 'lint', '-o', 'json']);
    const json = JSON.parse(r.stdout) as { findings: { id: string; object: { kind: string; namespace: string; name: string }; field: string; message: string }[] };
    const seen = json.findings.map((f) => `${f.id} ${f.object.kind} ${f.object.name} ${f.field}`);
    expect(seen).toEqual(expect.arrayContaining([
      'equal-priority-overlap AdminNetworkPolicy shop-guard spec.priority',
      'pass-with-nothing-below ClusterNetworkPolicy delegate-monitoring spec.ingress[0].action',
      'pass-with-nothing-below ClusterNetworkPolicy egress-allowlist spec.egress[1].action',
      'domain-names-not-enforced ClusterNetworkPolicy egress-allowlist spec.egress[0].to[0].domainNames',
      'cluster-rule-shadowed ClusterNetworkPolicy shop-guard spec.ingress[1]',
      'networkpolicy-rule-overridden NetworkPolicy web-in spec.ingress[0]',
    ]));
    for (const f of json.findings) expect(LINT_CHECK_IDS).toContain(f.id);
    expect(json.findings.filter((f) => f.object.kind !== 'NetworkPolicy' && f.object.kind !== 'Namespace').every((f) => f.object.namespace === '')).toBe(true);
    const text = await explain(['-f', LINT, 'lint']);
    expect(text.stdout).toMatch(/warning +ClusterNetworkPolicy shop-guard +spec\.ingress\[1\] +this Accept rule never decides/);
  });

  it('with --strict fails on the warnings; -n leaves the cluster-scoped findings out', async () => {
    expect((await explain(['-f', LINT, 'lint', '--strict'])).code).toBe(1);
    const shop = JSON.parse((await explain(['-f', LINT, 'lint', '-n', 'shop', '-o', 'json'])).stdout) as { findings: { id: string; object: { namespace: string } }[] };
    expect(shop.findings.map((f) => f.id)).toEqual(['networkpolicy-rule-overridden']);
  });

  it('writes them as SARIF results at their fields\' lines, cluster policies named without a namespace', async () => {
    const r = await explain(['-f', LINT, 'lint', '-o', 'sarif']);
    const sarif = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { region?: { startLine: number } }; logicalLocations: { fullyQualifiedName: string }[] }[] }[] }[] };
    const shadowed = sarif.runs[0]?.results.find((x) => x.ruleId === 'cluster-rule-shadowed');
    expect(shadowed?.locations[0]?.logicalLocations[0]?.fullyQualifiedName).toBe('ClusterNetworkPolicy shop-guard spec.ingress[1]');
    expect(shadowed?.locations[0]?.physicalLocation.region?.startLine).toBe(14);
    const domains = sarif.runs[0]?.results.find((x) => x.ruleId === 'domain-names-not-enforced');
    expect(domains?.locations[0]?.physicalLocation.region?.startLine).toBe(56);
  });
});
