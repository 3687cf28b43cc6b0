// Live mode's conversion, with objects as the client's lists hand them back:
// typed models (the client's own deserializer, reached through loadYaml),
// where NetworkPolicy's `from` is named `_from`.
import { loadYaml } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { listAll, liveObjectsToRaw, normalizeLiveObjects } from '../../src/k8s/live-objects.ts';

const typed = (apiVersion: string, kind: string) => (o: object): unknown => {
  const model = loadYaml<Record<string, unknown>>(stringify({ apiVersion, kind, ...o }));
  delete model.apiVersion; // list items come without them
  delete model.kind;
  return model;
};

const wire = {
  namespaces: [{ metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } } }],
  pods: [
    { metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c' }] }, status: { phase: 'Running', podIPs: [{ ip: '10.244.1.2' }] } },
    { metadata: { name: 'pending', namespace: 'shop' }, spec: {}, status: { phase: 'Pending' } },
    { metadata: { name: 'done', namespace: 'shop' }, spec: {}, status: { phase: 'Succeeded' } },
  ],
  policies: [{ metadata: { name: 'deny', namespace: 'shop' }, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }] } }],
  nodes: [{ metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.1.0/24'] }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.10' }] } }],
};

const lists = {
  namespaces: wire.namespaces.map(typed('v1', 'Namespace')),
  pods: wire.pods.map(typed('v1', 'Pod')),
  policies: wire.policies.map(typed('networking.k8s.io/v1', 'NetworkPolicy')),
  nodes: wire.nodes.map(typed('v1', 'Node')),
};

describe('live objects', () => {
  it('puts kind and apiVersion back and numbers them', () => {
    const raw = liveObjectsToRaw(lists);
    expect(raw.map((r) => [r.source.file, r.source.document, (r.value as { kind: string }).kind])).toEqual([
      ['cluster', 0, 'Namespace'], ['cluster', 1, 'Pod'], ['cluster', 2, 'Pod'], ['cluster', 3, 'Pod'],
      ['cluster', 4, 'NetworkPolicy'], ['cluster', 5, 'Node'],
    ]);
  });

  it('sees the typed `_from` as the rule\'s from (not as "every peer")', () => {
    expect(JSON.stringify(lists.policies[0])).toContain('"_from"');
    const { objects } = normalizeLiveObjects(lists);
    expect(objects.policies[0]?.ingress[0]?.peers).toHaveLength(1);
  });

  it('normalizes like manifests, keeping pods without IPs and finished pods', () => {
    const { objects, problems } = normalizeLiveObjects(lists);
    expect(problems).toEqual([]);
    expect(objects.pods.map((p) => [p.name, p.ips, p.phase])).toEqual([
      ['web', ['10.244.1.2'], 'Running'], ['pending', [], 'Pending'], ['done', [], 'Succeeded'],
    ]);
    expect(objects.policies[0]?.ingress[0]?.peers).toEqual([{ kind: 'ipBlock', ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }]);
    expect(objects.nodes).toEqual([{ name: 'n1', addresses: ['192.168.1.10'], podCIDRs: ['10.244.1.0/24'], source: { file: 'cluster', document: 5 } }]);
    expect(objects.namespaces.map((n) => n.name)).toEqual(['shop']);
  });

  it('follows continue tokens', async () => {
    const pages: Record<string, { items: unknown[]; metadata?: { _continue?: string } }> = {
      first: { items: [1, 2], metadata: { _continue: 'b' } },
      b: { items: [3], metadata: { _continue: '' } },
    };
    const seen: (string | undefined)[] = [];
    const items = await listAll((cont) => {
      seen.push(cont);
      return Promise.resolve(pages[cont ?? 'first'] ?? { items: [] });
    });
    expect(items).toEqual([1, 2, 3]);
    expect(seen).toEqual([undefined, 'b']);
  });
});
