// policy-explain report with cluster-wide policies (ClusterNetworkPolicy,
// AdminNetworkPolicy, BaselineAdminNetworkPolicy): the policy list in
// evaluation order (Admin by priority, the NetworkPolicies, Baseline), each
// with kind, key, tier, priority, its rules in order and the pods its subject
// selects; fails-closed marks and the page's fail-closed heading; the
// domainNames note; a cell decided by an Admin or a Baseline rule saying so in
// its trace; with --against, the cluster policies added, removed and changed.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeCell, encodeReport, type EncodedReport } from '../../src/cli/format/report-encode.ts';
import { reportData } from '../../src/cli/explain/report.ts';
import { clusterPolicyChanges } from '../../src/cli/explain/report-compare.ts';
import { loadInput } from '../../src/cli/input.ts';
import type { ClusterPolicy } from '../../src/model/types.ts';
import { explain, explainShop } from './helpers.ts';

const example = (name: string): string => fileURLToPath(new URL(`../../policies-examples/${name}/manifests`, import.meta.url));
const ADMIN_PASS = example('admin-pass-delegation');
const BASELINE = example('baseline-default-deny');
const BOTH_VERSIONS = example('v1alpha1-anp-banp');

/** The page's cell from `from` to `to`, read back as its script reads it. */
function cellOf(html: string, from: string, to: string): ReturnType<typeof decodeCell> {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  if (m?.[1] === undefined) throw new Error('no embedded data');
  const data = JSON.parse(m[1]) as EncodedReport & { endpoints: { id: string }[] };
  const ids = data.endpoints.map((e) => e.id);
  return decodeCell(data, ids.indexOf(from), ids.indexOf(to));
}

/** The rows of one tier's table (by its id) as [key, kind, tier, priority, subject, rules, selects], tags stripped. */
function tierRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}"[^>]*>(.*?)</table>`, 's').exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr data-key="[^"]*">(.*?)<\/tr>/gs)].map((r) =>
    [...(r[1] ?? '').matchAll(/<td>(.*?)<\/td>(?=<td>|$)/gs)].map((c) => (c[1] ?? '').replace(/<li>/g, '\n').replace(/<[^>]+>/g, '')));
}

describe('policy-explain report: cluster-wide policies', () => {
  it('lists the tiers in evaluation order: Admin by priority (equal ones cnp before anp), the NetworkPolicies, Baseline', async () => {
    const r = await explain(['-f', BOTH_VERSIONS, 'report']);
    expect(r.code).toBe(0);
    const at = (s: string): number => r.stdout.indexOf(s);
    expect(at('id="admin-policies-head"')).toBeGreaterThan(at('<h2>Policies</h2>'));
    expect(at('id="network-policies-head"')).toBeGreaterThan(at('id="admin-policies-head"'));
    expect(at('id="baseline-policies-head"')).toBeGreaterThan(at('id="network-policies-head"'));
    expect(tierRows(r.stdout, 'admin-policies').map((row) => row.slice(0, 4).join(' '))).toEqual([
      'cnp/security-scanner ClusterNetworkPolicy Admin 1',
      'anp/quarantine AdminNetworkPolicy Admin 5',
      'cnp/protect-payments ClusterNetworkPolicy Admin 10',
      'anp/protect-payments AdminNetworkPolicy Admin 10',
    ]);
    expect(tierRows(r.stdout, 'baseline-policies').map((row) => row.slice(0, 4).join(' '))).toEqual(['banp/default BaselineAdminNetworkPolicy Baseline 0']);
    // Each rule's action as its API writes it: the AdminNetworkPolicy's Allow, the ClusterNetworkPolicy's Accept (one style for both).
    const rules = Object.fromEntries(tierRows(r.stdout, 'admin-policies').map((row) => [row[0], row[5]]));
    expect(rules['anp/protect-payments']).toContain('\nAllow spec.ingress[0] “allow-web”: from every pod in namespaces team=web');
    expect(rules['cnp/protect-payments']).toMatch(/\nAccept spec\.ingress\[0\]/);
    expect(r.stdout).toContain('<span class="act act-accept">Allow</span>');
  });

  it('shows each policy\'s subject, its rules in order with action and name, and the pods its subject selects', async () => {
    const r = await explain(['-f', ADMIN_PASS, 'report']);
    expect(r.code).toBe(0);
    const [acme, globex] = tierRows(r.stdout, 'admin-policies');
    expect(acme?.slice(0, 5)).toEqual(['cnp/tenant-acme', 'ClusterNetworkPolicy', 'Admin', '20', 'every pod in namespaces tenant=acme']);
    expect(acme?.[5]?.split('\n').slice(1)).toEqual([
      'Accept spec.ingress[0] “accept-ingress-controller”: from pods app.kubernetes.io/name=ingress-nginx in namespace ingress-nginx on port named http',
      'Accept spec.ingress[1] “accept-prometheus”: from pods app.kubernetes.io/name=prometheus in namespace monitoring on TCP 9100-9199',
      'Pass spec.ingress[2] “pass-same-tenant”: from every pod in namespaces tenant=acme on any port and protocol',
      'Deny spec.ingress[3] “deny-other-pods”: from every pod in all namespaces on any port and protocol',
    ]);
    expect(acme?.[6]).toBe('acme-db/postgres, acme-web/api, acme-web/portal');
    expect(globex?.[6]).toBe('globex-web/shop');
    // No Baseline policy: the tier says so, and the NetworkPolicies keep their table.
    expect(r.stdout).toContain('<p id="baseline-policies">No Baseline-tier policy in the input.</p>');
    expect(r.stdout).toMatch(/<h3 id="network-policies-head">NetworkPolicies<\/h3>\n<table id="policies">/);
  });

  it('without cluster-wide policies, the NetworkPolicy table alone, as before', async () => {
    const r = await explainShop('report');
    expect(r.stdout).not.toContain('admin-policies');
    expect(r.stdout).toContain('<h2>Policies</h2>\n<table id="policies">');
  });

  it('a cell decided by an Admin rule, or by a Baseline rule, says which tier, policy, rule and action in its trace', async () => {
    const admin = await explain(['-f', ADMIN_PASS, 'report']);
    const denied = cellOf(admin.stdout, 'globex-web/shop', 'acme-web/api');
    expect(denied.verdict).toBe('denied');
    // In evaluation order: the policy's earlier rules that missed, then the Deny.
    expect(denied.trace).toContain('ingress of acme-web/api: denied (decided in the Admin tier)\n    no match: cnp/tenant-acme spec.ingress[0].from[0]');
    expect(denied.trace).toContain('    no match: cnp/tenant-acme spec.ingress[2].from[0].namespaces: namespace globex-web: label tenant=globex, wanted tenant=acme (selector tenant=acme)\n'
      + '    denied by cnp/tenant-acme spec.ingress[3] "deny-other-pods" (Deny, Admin tier, priority 20)');
    const accepted = cellOf(admin.stdout, 'ingress-nginx/controller', 'acme-web/api');
    expect(accepted.trace).toContain('allowed by cnp/tenant-acme spec.ingress[0] "accept-ingress-controller" (Accept, Admin tier, priority 20)');
    const baseline = await explain(['-f', BASELINE, 'report']);
    expect(cellOf(baseline.stdout, 'team-b/client', 'team-a/app').trace).toContain('ingress of team-a/app: denied (decided in the Baseline tier)\n'
      + '    denied by cnp/default-deny spec.ingress[0] "deny-from-pods" (Deny, Baseline tier, priority 100)');
  });

  it('encodes tier-decided traces exactly: every pair of the examples read back equals the one computed', async () => {
    let tierDecided = 0;
    for (const dir of [ADMIN_PASS, BASELINE, BOTH_VERSIONS, example('admin-deny-metadata'), example('admin-protect-namespace')]) {
      const loaded = await loadInput({ filename: [dir] }, { stdout: { write: () => undefined }, stderr: { write: () => undefined }, stdin: '' });
      const data = reportData(loaded.state, loaded.objects, null);
      const encoded = encodeReport(data);
      data.cells.forEach((row, i) => row.forEach((c, j) => {
        expect(decodeCell(encoded, i, j)).toEqual({ verdict: c.verdict, connections: c.connections, probe: c.probe, trace: c.trace });
      }));
      tierDecided += data.cells.flat().filter((c) => /decided in the (Admin|Baseline) tier/.test(c.trace ?? '')).length;
    }
    expect(tierDecided).toBeGreaterThan(20);
  });

  it('heads the page with a failing-closed cluster policy, marks it and its rules, notes unenforced domainNames, and exits 2', async () => {
    const extra = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: egress-domains}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {}}
  egress:
  - {name: accept-api-example, action: Accept, to: [{domainNames: [api.example.com]}]}
  - {name: broken, action: Deny, to: [{networks: [10.0.0.0/33]}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: broken-priority}
spec:
  tier: Admin
  priority: 5000
  subject: {namespaces: {}}
  ingress:
  - {action: Accept, from: [{namespaces: {}}]}
`;
    const r = await explain(['-f', BASELINE, '-f', '-', 'report'], extra);
    expect(r.code).toBe(2);
    const heading = /<ul id="fail-closed">(.*?)<\/ul>/s.exec(r.stdout)?.[1] ?? '';
    expect(heading).toContain('fail closed: cnp/egress-domains (&lt;stdin&gt; doc 0) has errors in the input: spec.egress[1] &quot;broken&quot; denies every peer and port');
    expect(heading).toContain('fail closed: cnp/broken-priority (&lt;stdin&gt; doc 1) has errors in the input: its subject (every pod in all namespaces) is denied every peer and port');
    const rows = tierRows(r.stdout, 'admin-policies');
    // Unreadable priority: Admin 0, so it comes first.
    expect(rows.map((row) => row[0])).toEqual(['cnp/broken-priority fails closed', 'cnp/egress-domains']);
    expect(rows[1]?.[5]?.split('\n').slice(1)).toEqual([
      'Accept spec.egress[0] “accept-api-example”: to domain names api.example.com (NOT ENFORCED by nftpol: matches nothing) on any port and protocol '
      + 'domainNames peers are not enforced by nftpol: they match nothing',
      'Deny spec.egress[1] “broken” fails closed: to any address in 0.0.0.0/0, ::/0 on any port and protocol',
    ]);
    // The Baseline policy's selections are unchanged by the Admin tier above it.
    expect(tierRows(r.stdout, 'baseline-policies')[0]?.[6]).toBe('team-a/app, team-a/worker, team-b/client, team-b/web');
  });

  it('with -n, lists the cluster policies that select a pod of the namespace, and keeps their lint findings', async () => {
    const r = await explain(['-f', ADMIN_PASS, '-n', 'globex-web', 'report']);
    expect(r.code).toBe(0);
    expect(tierRows(r.stdout, 'admin-policies').map((row) => `${row[0] ?? ''}: ${row[6] ?? ''}`)).toEqual(['cnp/tenant-globex: globex-web/shop']);
    expect(r.stdout).toContain('pass-with-nothing-below: ClusterNetworkPolicy tenant-globex spec.ingress[2].action');
  });

  it('with --against, lists the cluster policies added, removed and changed (and what changed) beside the pairs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-cluster-'));
    const original = await readFile(join(ADMIN_PASS, 'cluster-policies.yaml'), 'utf8');
    const changed = original.replace('name: tenant-globex', 'name: tenant-initech').replace(/priority: 20/, 'priority: 15');
    expect(changed).not.toBe(original);
    const newSide = join(dir, 'new');
    await cp(ADMIN_PASS, newSide, { recursive: true });
    await writeFile(join(newSide, 'cluster-policies.yaml'), changed);
    const r = await explain(['-f', ADMIN_PASS, 'report', '--against', newSide]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('<p id="cluster-changes">Cluster-wide policies: added cnp/tenant-initech; removed cnp/tenant-globex; changed cnp/tenant-acme (priority).</p>');
    const same = await explain(['-f', ADMIN_PASS, 'report', '--against', ADMIN_PASS]);
    expect(same.stdout).toContain('<p id="cluster-changes">Cluster-wide policies: none added, removed or changed.</p>');
  });

  it('compares cluster policies by content: key order and source do not count, each differing field is named', () => {
    const p: ClusterPolicy = {
      kind: 'AdminNetworkPolicy', name: 'x', tier: 'Admin', priority: 3,
      subject: { kind: 'namespaces', namespaceSelector: { matchLabels: { a: '1' }, matchExpressions: [] } },
      ingress: [{ action: 'Deny', peers: [{ kind: 'networks', cidrs: ['10.0.0.0/8'] }], ports: [] }], egress: [],
      source: { file: 'a.yaml', document: 0 },
    };
    const reordered = JSON.parse(JSON.stringify({ egress: [], ingress: p.ingress, subject: p.subject, priority: 3, tier: 'Admin', name: 'x', kind: 'AdminNetworkPolicy' })) as ClusterPolicy;
    expect(clusterPolicyChanges([p], [{ ...reordered, source: { file: 'b.yaml', document: 4 } }]))
      .toEqual({ added: [], removed: [], changed: [] });
    expect(clusterPolicyChanges([p], [{ ...p, egress: p.ingress, failClosed: true }])?.changed).toEqual([{ key: 'anp/x', fields: ['egress rules', 'failing closed'] }]);
    expect(clusterPolicyChanges([], [])).toBeUndefined();
  });
});
