// policy-explain exposure with cluster-wide policies on a workload that
// NetworkPolicy isolates: what a cluster tier cuts out of the ipBlock the
// NetworkPolicy opens is said, so the text's "through 0.0.0.0/0" does not
// read wider than the engine allows.
import { describe, expect, it } from 'vitest';
import { explain } from './helpers.ts';

const METADATA = 'policies-examples/admin-deny-metadata/manifests';

interface OutsideJson { isolated: boolean; clusterPolicies?: string[]; closed?: string[]; connections: string; groups: { connections: string; addresses: string[] }[] }
interface ExposureJson { workloads: { workload: string; egress: { outside: OutsideJson } }[] }

/** The metadata example plus TCP 80 to anywhere for the invoicer and an Admin Deny of TCP 443 to 203.0.113.0/24. */
const PARTIAL = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: invoicer-egress-http, namespace: billing}
spec:
  podSelector: {matchLabels: {app: invoicer}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{protocol: TCP, port: 80}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-tls-to-test-net}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {}}
  egress:
    - {name: t, action: Deny, to: [{networks: [203.0.113.0/24]}], protocols: [{tcp: {destinationPort: {number: 443}}}]}
`;

describe('policy-explain exposure: cluster tiers on an egress-isolated workload', () => {
  it('text says the Admin Deny closes 169.254.169.254/32 under the ipBlock 0.0.0.0/0', async () => {
    const r = await explain(['-f', METADATA, 'exposure']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain([
      '  to outside:     TCP 443 through 0.0.0.0/0 (billing/invoicer-egress-https)',
      '  to outside:     none to 169.254.169.254/32',
      '',
      'web/frontend',
    ].join('\n'));
  });

  it('JSON: closed holds the address, no group does', async () => {
    const r = await explain(['-f', METADATA, 'exposure', '-o', 'json']);
    const doc = JSON.parse(r.stdout) as ExposureJson;
    const out = doc.workloads.find((w) => w.workload === 'billing/invoicer')?.egress.outside;
    expect(out).toMatchObject({ isolated: true, clusterPolicies: ['cnp/node-hardening'], closed: ['169.254.169.254/32'], connections: 'TCP 443' });
    expect(out?.groups.flatMap((g) => g.addresses)).not.toContain('169.254.169.254/32');
  });

  it('a group a cluster tier narrows names its addresses', async () => {
    const r = await explain(['-f', METADATA, '-f', '-', 'exposure'], PARTIAL);
    expect(r.code).toBe(0);
    // The widest group, the rest of the block, names no addresses; the narrowed one does.
    expect(r.stdout).toMatch(/\n {2}to outside: {5}TCP 80,443 through 0\.0\.0\.0\/0 \(billing\/invoicer-egress-https?\); 0\.0\.0\.0\/0 \(billing\/invoicer-egress-https?\)\n/);
    expect(r.stdout).toMatch(/\n {2}to outside: {5}TCP 80 to 203\.0\.113\.0\/24 through 0\.0\.0\.0\/0 \(billing\/invoicer-egress-https?\); /);
    expect(r.stdout).toContain('  to outside:     none to 169.254.169.254/32\n');
  });
});
