// The cluster watch and the cluster-wide policy CRDs, against the fake API
// server through the real @kubernetes/client-node: discovery decides what is
// watched (absent CRDs are no error and are said once), both API versions at
// once, a CRD installed or removed while watching, 410 Gone, 403 Forbidden,
// discovery that fails, and invalid objects failing closed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchCluster, type ClusterEvent, type ClusterWatch, type WatchClusterOptions } from '../../src/k8s/watch-cluster.ts';
import { loadFromCluster } from '../../src/k8s/live-objects.ts';
import { FakeApiServer, fakeKubeConfig, writeFakeKubeconfig } from './fake-api-server.ts';
import type { PolicyRule } from './fake-rbac.ts';
import {
  adminNetworkPolicy, baselineAdminNetworkPolicy, clusterNetworkPolicy, EventRecorder, isChange, namespace, node, pod, policy,
} from './watch-events.ts';

let server: FakeApiServer;
let watch: ClusterWatch | undefined;
let rec: EventRecorder;

const FAST: WatchClusterOptions = { backoff: { initialMs: 20, maxMs: 160, jitter: 0 } };
const CRDS = ['clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies'] as const;

function start(opts: WatchClusterOptions = FAST): ClusterWatch {
  watch = watchCluster(fakeKubeConfig(server), rec.push, opts);
  return watch;
}

function seed(): void {
  server.apply(namespace('shop', { team: 'shop' }));
  server.apply(pod('shop', 'db', '10.244.1.3', { app: 'db' }));
  server.apply(policy('shop', 'db-from-api'));
  server.apply(node('node-1', '10.244.1.0/24', '192.168.0.1'));
}

const discoveries = (): Extract<ClusterEvent, { type: 'discovery' }>[] => rec.events.filter((e): e is Extract<ClusterEvent, { type: 'discovery' }> => e.type === 'discovery');
const crdRequests = (): string[] => server.requests.filter((r) => /^GET \/apis\/policy\.networking\.k8s\.io\/v1alpha[12]\/[a-z]+/.test(r));

beforeEach(async () => {
  server = await FakeApiServer.start();
  rec = new EventRecorder();
  seed();
});

afterEach(async () => {
  await watch?.stop();
  watch = undefined;
  await server.close();
});

describe('the CRDs not installed', () => {
  it('syncs with the four, says each kind is not served once (not again at later checks), never lists them', async () => {
    const w = start({ ...FAST, discoveryIntervalMs: 30 });
    await w.synced;
    expect(discoveries().map((d) => `${d.resource} ${d.served}`)).toEqual(CRDS.map((r) => `${r} false`));
    expect(discoveries()[0]?.message).toBe('ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) is not served by the API server: not watching it (asked again every 30 ms)');
    // Discovery is asked again (both versions, each time), and says nothing new.
    const asked = (): number => server.requests.filter((r) => r.startsWith('GET /apis/policy.networking.k8s.io/v1alpha')).length;
    const deadline = Date.now() + 10_000;
    while (asked() < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(asked()).toBeGreaterThanOrEqual(6);
    expect(discoveries()).toHaveLength(3);
    expect(crdRequests()).toEqual([]);
    expect(rec.events.filter((e) => e.type === 'trouble')).toEqual([]);
    expect(Object.keys(w.resourceVersions()).sort()).toEqual(['namespaces', 'networkpolicies', 'nodes', 'pods']);
  });

  it('a discovery that fails (not 404) is trouble, retried; no sync until it answers', async () => {
    server.discoveryFailure = 500;
    const w = start();
    await rec.waitFor((e) => e.type === 'trouble' && e.resource === 'discovery');
    for (const r of ['namespaces', 'pods', 'networkpolicies', 'nodes'] as const) await rec.waitForEvent('listed', r);
    expect(w.isSynced()).toBe(false);
    const trouble = rec.events.find((e) => e.type === 'trouble') as Extract<ClusterEvent, { type: 'trouble' }>;
    expect(trouble.message).toMatch(/^cannot tell whether the API server serves policy\.networking\.k8s\.io\/v1alpha[12]: HTTP 500: discovery is broken in this test/);
    server.discoveryFailure = undefined;
    await w.synced;
    expect(discoveries().map((d) => d.served)).toEqual([false, false, false]);
  });
});

describe('the CRDs installed, both API versions', () => {
  beforeEach(() => {
    server.installCrd(...CRDS);
    server.apply(clusterNetworkPolicy('deny-db', 'db'));
    server.apply(adminNetworkPolicy('deny-db-v1', 'db'));
    server.apply(baselineAdminNetworkPolicy('db'));
  });

  it('lists and watches all three into cluster policies; add, modify and delete come through', async () => {
    const w = start();
    await w.synced;
    expect(discoveries().map((d) => `${d.resource} ${d.served}`)).toEqual(CRDS.map((r) => `${r} true`));
    const syncedAt = rec.events.findIndex((e) => e.type === 'synced');
    expect(rec.changesSince(0, syncedAt).filter((c) => !/ (namespaces|pods|networkpolicies|nodes) /.test(c)).sort()).toEqual([
      'added adminnetworkpolicies deny-db-v1', 'added baselineadminnetworkpolicies default', 'added clusternetworkpolicies deny-db',
    ]);
    const models = rec.events.filter(isChange).flatMap((e) => (e.object?.type === 'clusterPolicy' ? [e.object.value] : []));
    expect(models.map((p) => `${p.kind} ${p.name} ${p.tier} ${p.priority} ${p.ingress[0]?.action}`).sort()).toEqual([
      'AdminNetworkPolicy deny-db-v1 Admin 20 Deny', 'BaselineAdminNetworkPolicy default Baseline 0 Deny', 'ClusterNetworkPolicy deny-db Admin 10 Deny',
    ]);
    expect(rec.events.filter(isChange).flatMap((e) => e.problems).filter((p) => p.severity !== 'debug')).toEqual([]);
    expect(Object.keys(w.resourceVersions()).sort()).toEqual([...CRDS, 'namespaces', 'networkpolicies', 'nodes', 'pods'].sort());

    let mark = rec.mark;
    server.apply(clusterNetworkPolicy('deny-db', 'db', 'Accept'));
    const modified = rec.events[await rec.waitForEvent('modified', 'clusternetworkpolicies', 'deny-db', mark)];
    expect(modified && isChange(modified) && modified.object?.type === 'clusterPolicy' && modified.object.value.ingress[0]?.action).toBe('Accept');
    mark = rec.mark;
    server.delete('AdminNetworkPolicy', undefined, 'deny-db-v1');
    await rec.waitForEvent('deleted', 'adminnetworkpolicies', 'deny-db-v1', mark);
  });

  it('waits for their first lists before it says synced', async () => {
    const release = server.holdLists('adminnetworkpolicies');
    const w = start();
    try {
      await rec.waitForEvent('listed', 'clusternetworkpolicies');
      for (const r of ['namespaces', 'pods', 'networkpolicies', 'nodes'] as const) await rec.waitForEvent('listed', r);
      expect(w.isSynced()).toBe(false);
    } finally {
      release();
    }
    await w.synced;
  });

  it('410 Gone: relists a cluster-wide kind and emits what changed in the gap', async () => {
    const w = start();
    await w.synced;
    const mark = rec.mark;
    server.dropWatches();
    server.apply(clusterNetworkPolicy('late', 'db'));
    server.delete('ClusterNetworkPolicy', undefined, 'deny-db');
    server.expireHistory();
    await rec.waitForEvent('expired', 'clusternetworkpolicies', undefined, mark);
    await rec.waitForEvent('added', 'clusternetworkpolicies', 'late', mark);
    await rec.waitForEvent('deleted', 'clusternetworkpolicies', 'deny-db', mark);
    expect(rec.changesSince(mark).filter((c) => c.includes('clusternetworkpolicies')).sort()).toEqual(['added clusternetworkpolicies late', 'deleted clusternetworkpolicies deny-db']);
  });

  it('an invalid object fails closed, with its problems', async () => {
    server.apply({ ...clusterNetworkPolicy('broken', 'db'), spec: { tier: 'admin', priority: 10, subject: { namespaces: {} } } });
    const w = start();
    await w.synced;
    const e = rec.events.find((x) => isChange(x) && x.key === 'broken');
    expect(e && isChange(e) && e.object?.type === 'clusterPolicy' && e.object.value.failClosed).toBe(true);
    expect(e && isChange(e) && e.problems.filter((p) => p.severity === 'error').map((p) => `${p.kind} ${p.name} ${p.field}: ${p.message}`)).toEqual([
      'ClusterNetworkPolicy broken spec.tier: unknown tier "admin" (want Admin or Baseline); tiers are case-sensitive: write Admin',
    ]);
  });
});

describe('CRDs that come and go', () => {
  it('a CRD installed after start is watched from the next discovery on', async () => {
    const w = start({ ...FAST, discoveryIntervalMs: 30 });
    await w.synced;
    server.installCrd('clusternetworkpolicies');
    server.apply(clusterNetworkPolicy('deny-db', 'db'));
    const mark = rec.mark;
    await rec.waitForEvent('added', 'clusternetworkpolicies', 'deny-db', mark);
    expect(discoveries().map((d) => `${d.resource} ${d.served}`)).toEqual([...CRDS.map((r) => `${r} false`), 'clusternetworkpolicies true']);
    expect(discoveries().at(-1)?.message).toBe('ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) is served by the API server: watching it');
  });

  it('a CRD removed: its objects are deleted, then it is said not served; installed again, it is watched again', async () => {
    server.installCrd('clusternetworkpolicies');
    server.apply(clusterNetworkPolicy('deny-db', 'db'));
    const w = start({ ...FAST, discoveryIntervalMs: 30 });
    await w.synced;
    let mark = rec.mark;
    server.removeCrd('clusternetworkpolicies');
    await rec.waitForEvent('deleted', 'clusternetworkpolicies', 'deny-db', mark);
    await rec.waitFor((e) => e.type === 'discovery' && !e.served, mark);
    expect(discoveries().at(-1)?.message).toMatch(/^ClusterNetworkPolicy \(policy\.networking\.k8s\.io\/v1alpha2\) is no longer served by the API server \(.*404.*\): not watching it$/);
    mark = rec.mark;
    server.installCrd('clusternetworkpolicies');
    server.apply(clusterNetworkPolicy('back', 'db'));
    await rec.waitForEvent('added', 'clusternetworkpolicies', 'back', mark);
  });
});

describe('node labels (what a nodes peer selects on)', () => {
  it('reach the model through the watch and through live mode\'s list', async () => {
    server.apply({ ...node('node-1', '10.244.1.0/24', '192.168.0.1'), metadata: { name: 'node-1', labels: { zone: 'a', 'kubernetes.io/hostname': 'node-1' } } });
    const w = start();
    await w.synced;
    const watched = rec.events.filter(isChange).flatMap((e) => (e.object?.type === 'node' ? [e.object.value] : []));
    expect(watched.at(-1)?.labels).toEqual({ zone: 'a', 'kubernetes.io/hostname': 'node-1' });
    const { objects } = await loadFromCluster({ kubeconfig: await writeFakeKubeconfig(server) });
    expect(objects.nodes[0]?.labels).toEqual({ zone: 'a', 'kubernetes.io/hostname': 'node-1' });
  });
});

describe('RBAC', () => {
  const everything: PolicyRule[] = [
    { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
  ];

  it('a served CRD the role does not grant: a warning that names the permission, retried, and no sync (the policies are unknown)', async () => {
    server.installCrd(...CRDS);
    server.role = { user: 'system:serviceaccount:kube-system:nftpol', rules: [...everything, { apiGroups: ['policy.networking.k8s.io'], resources: ['adminnetworkpolicies', 'baselineadminnetworkpolicies'], verbs: ['get', 'list', 'watch'] }] };
    const w = start();
    const i = await rec.waitFor((e) => e.type === 'trouble' && e.resource === 'clusternetworkpolicies');
    const trouble = rec.events[i] as Extract<ClusterEvent, { type: 'trouble' }>;
    expect(trouble.message).toBe('cannot list /apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies: HTTP 403: clusternetworkpolicies.policy.networking.k8s.io is forbidden: ' +
      'User "system:serviceaccount:kube-system:nftpol" cannot list resource "clusternetworkpolicies" in API group "policy.networking.k8s.io" at the cluster scope ' +
      '(RBAC: the service account needs get, list and watch on it; the chart\'s ClusterRole grants them)');
    await rec.waitForEvent('listed', 'adminnetworkpolicies');
    expect(w.isSynced()).toBe(false);
    // Discovery itself needs no grant (system:discovery): never refused.
    expect(server.forbidden.every((f) => f.includes('/clusternetworkpolicies?'))).toBe(true);
  });
});
