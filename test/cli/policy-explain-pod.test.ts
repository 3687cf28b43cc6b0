// policy-explain pod: selecting policies, readable rules, concrete peers.
import { describe, expect, it } from 'vitest';
import type { PodExplanation } from '../../src/cli/format/pod-output.ts';
import { explain, explainShop } from './helpers.ts';

describe('policy-explain pod (text)', () => {
  it('lists the policies selecting the db, its rule in words and who may reach it', async () => {
    const r = await explainShop('pod', 'shop/db');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^StatefulSet shop\/db \(10\.244\.\d+\.\d+\)\nlabels: app=db,tier=data\n/);
    expect(out).toContain('Ingress: isolated for ingress by shop/default-deny-ingress, shop/db-ingress: only the rules below allow ingress');
    expect(out).toMatch(/shop\/default-deny-ingress +Ingress +isolates ingress, no ingress rules \(allows nothing by itself\)/);
    expect(out).toContain('shop/db-ingress spec.ingress[0]: pods app=api in namespace shop on TCP port named postgres');
    expect(out).toMatch(/spec\.ingress\[0\]: pods app=api in namespace shop on TCP port named postgres\n +allowed: shop\/api\n/);
    expect(out).toContain('Egress: isolated for egress by shop/db-no-egress, which have no egress rules: all egress is denied');
  });

  it('shows peers the rule admits but their own egress denies', async () => {
    const r = await explainShop('pod', 'shop/web');
    expect(r.stdout).toContain('shop/web-ingress spec.ingress[0]: all pods in namespaces team=shop on TCP port named http');
    expect(r.stdout).toMatch(/team=shop on TCP port named http\n +allowed: shop\/api, shop-staging\/api\n/);
    expect(r.stdout).toContain("admitted, but denied by the peer's egress: shop/db (shop/db-no-egress: it has no egress rules");
    expect(r.stdout).toContain('shop/web-ingress spec.ingress[1]: any address in 0.0.0.0/0 except 10.0.0.0/8 on TCP 8080');
    expect(r.stdout).toContain('allowed: none of the known pods or workloads');
    expect(r.stdout).toContain('shop/web-egress spec.egress[1]: pods k8s-app=kube-dns in namespace kube-system on UDP 53, TCP 53');
    expect(r.stdout).toMatch(/on UDP 53, TCP 53\n +allowed: kube-system\/coredns/);
    expect(r.stdout).toMatch(/shop\/web-egress +Egress +does not isolate ingress/);
  });

  it('says "open" for a direction no policy isolates', async () => {
    const r = await explainShop('pod', 'monitoring/prometheus');
    expect(r.stdout).toContain('Ingress: open: no policy isolates it for ingress');
    expect(r.stdout).toContain('Egress: open: no policy isolates it for egress');
  });

  it('renders an ipBlock with except in words', async () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata: {name: gw, namespace: edge, labels: {app: gw}}
spec: {containers: [{name: gw, image: envoy}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-corp, namespace: edge}
spec:
  podSelector: {}
  ingress:
    - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
      ports: [{port: 8000, endPort: 8100}]
`;
    const r = await explain(['-f', '-', 'pod', 'edge/gw'], yaml);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('edge/from-corp spec.ingress[0]: any address in 10.0.0.0/8 except 10.1.0.0/16 on TCP 8000-8100');
  });
});

describe('policy-explain pod --output json|markdown', () => {
  it('prints a PodExplanation with both directions', async () => {
    const r = await explainShop('pod', 'shop/web', '-o', 'json');
    const doc = JSON.parse(r.stdout) as PodExplanation;
    expect(doc).toMatchObject({ apiVersion: 'nftpol.dev/v1alpha1', kind: 'PodExplanation' });
    expect(doc.pod).toMatchObject({ namespace: 'shop', name: 'web', kind: 'Deployment', labels: { app: 'web', tier: 'frontend' }, nodeName: null, hostNetwork: false });
    expect(doc.ingress.isolated).toBe(true);
    expect(doc.ingress.isolatedBy).toEqual(['shop/default-deny-ingress', 'shop/web-ingress']);
    expect(doc.ingress.selectedBy).toContainEqual(expect.objectContaining({ policy: 'shop/web-egress', policyTypes: ['Egress'], isolates: false, rules: 0 }));
    const rule0 = doc.ingress.rules[0];
    expect(rule0).toMatchObject({
      policy: 'shop/web-ingress', rule: 0, field: 'spec.ingress[0]',
      peers: ['all pods in namespaces team=shop'], ports: ['TCP port named http'],
      allowed: ['shop/api', 'shop-staging/api'],
    });
    expect(rule0?.blocked).toEqual([{
      pod: 'shop/db', reason: expect.stringContaining('shop/db-no-egress') as unknown,
      // NetworkPolicy alone: the peer's egress denied (no tier: no cluster-wide policy selects it).
      deniedBy: [{ end: 'peer', direction: 'egress', pod: 'shop/db', reason: expect.stringContaining('shop/db-no-egress') as unknown }],
    }]);
    expect(rule0?.source?.file).toMatch(/20-policies\.yaml$/);
    expect(doc.egress.rules.map((x) => x.allowed)).toEqual([['shop/api'], ['kube-system/coredns']]);
  });

  it('prints markdown tables of selecting policies and rules', async () => {
    const r = await explainShop('pod', 'shop/db', '-o', 'markdown');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^## StatefulSet shop\/db \(/);
    expect(lines).toContain('### Ingress');
    expect(lines).toContain('| selected by | policyTypes | isolates ingress | ingress rules |');
    expect(lines).toContain('| shop/db-ingress | Ingress | yes | 1 |');
    expect(lines).toContain("| rule | from | ports | allowed pods | admitted, but denied by the peer's egress |");
    expect(lines).toContain('| shop/db-ingress `spec.ingress[0]` | pods app=api in namespace shop | TCP port named postgres | shop/api |  |');
  });
});

describe('policy-explain pod errors', () => {
  it('exits 2 for an unknown pod and names what the namespace has', async () => {
    const r = await explainShop('pod', 'shop/nope');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: shop/nope: no pod or workload shop/nope (namespace shop has shop/api, shop/db, shop/web)\n');
  });
});
