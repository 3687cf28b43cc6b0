// The cluster watch against the fake API server, through the real
// @kubernetes/client-node: lists, watches, and what a long-running agent
// meets (dropped watches, 410 Gone, an API server that goes away, bookmarks,
// malformed objects, chunked lists). Every wait is for an event.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchCluster, type ClusterEvent, type ClusterWatch, type WatchClusterOptions } from '../../src/k8s/watch-cluster.ts';
import { FakeApiServer, fakeKubeConfig } from './fake-api-server.ts';
import { EventRecorder, isChange, namespace, node, pod, policy } from './watch-events.ts';

let server: FakeApiServer;
let watch: ClusterWatch | undefined;
let rec: EventRecorder;

/** Fast, jitter-free backoff so a test's retries are many and predictable. */
const FAST: WatchClusterOptions = { backoff: { initialMs: 20, maxMs: 160, jitter: 0 } };

function start(opts: WatchClusterOptions = FAST, token = 't'): ClusterWatch {
  watch = watchCluster(fakeKubeConfig(server, { token }), rec.push, opts);
  return watch;
}

function seed(): void {
  server.apply(namespace('shop', { team: 'shop' }));
  server.apply(pod('shop', 'api', '10.244.1.2', { app: 'api' }));
  server.apply(pod('shop', 'db', '10.244.1.3', { app: 'db' }));
  server.apply(policy('shop', 'db-from-api'));
  server.apply(node('node-1', '10.244.1.0/24', '192.168.0.1'));
}

/** Waits until all four resources have a watch open on the server. */
async function watchesOpen(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (['namespaces', 'pods', 'networkpolicies', 'nodes'].some((r) => server.watchCount(r as 'pods') !== 1)) {
    if (Date.now() > deadline) throw new Error(`watches not open: ${server.requests.slice(-8).join('; ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  rec = new EventRecorder();
});

afterEach(async () => {
  await watch?.stop();
  watch = undefined;
  await server.close();
});

describe('initial sync', () => {
  it('lists all four kinds into model objects, then says synced once with every resourceVersion', async () => {
    seed();
    const w = start();
    await w.synced;
    const syncedAt = rec.events.findIndex((e) => e.type === 'synced');
    expect(rec.changesSince(0, syncedAt).sort()).toEqual([
      'added namespaces shop', 'added networkpolicies shop/db-from-api', 'added nodes node-1', 'added pods shop/api', 'added pods shop/db',
    ]);
    const synced = rec.events[syncedAt] as Extract<ClusterEvent, { type: 'synced' }>;
    expect(synced.resourceVersions).toEqual({ namespaces: server.resourceVersion, pods: server.resourceVersion, networkpolicies: server.resourceVersion, nodes: server.resourceVersion });
    const objects = rec.events.filter(isChange).map((e) => e.object);
    expect(objects.find((o) => o?.type === 'pod' && o.value.name === 'api')?.value).toMatchObject({ ips: ['10.244.1.2'], labels: { app: 'api' }, phase: 'Running' });
    expect(objects.find((o) => o?.type === 'namespace')?.value).toMatchObject({ labels: { team: 'shop', 'kubernetes.io/metadata.name': 'shop' } });
    expect(objects.find((o) => o?.type === 'node')?.value).toMatchObject({ podCIDRs: ['10.244.1.0/24'] });
    // The client's typed list names `from` `_from`; a policy read without its peers would allow everything.
    const pol = objects.find((o) => o?.type === 'policy');
    expect(pol?.type === 'policy' && pol.value.ingress[0]?.peers).toHaveLength(1);
    expect(rec.events.filter(isChange).flatMap((e) => e.problems).filter((p) => p.severity !== 'debug')).toEqual([]);
    expect(rec.events.filter((e) => e.type === 'synced')).toHaveLength(1);
  });

  it('is not synced until every resource has listed', async () => {
    seed();
    const release = server.holdLists('nodes');
    const w = start();
    try {
      for (const r of ['namespaces', 'pods', 'networkpolicies'] as const) await rec.waitForEvent('listed', r);
      // Discovery says (for each cluster-wide kind at once) that none is served: only the nodes are missing now.
      await rec.waitForEvent('discovery', 'baselineadminnetworkpolicies');
      expect(w.isSynced()).toBe(false);
      expect(rec.events.some((e) => e.type === 'synced')).toBe(false);
    } finally {
      release();
    }
    await w.synced;
    expect(rec.events.at(-1)?.type).toBe('synced');
    expect(rec.events.at(-2)).toMatchObject({ type: 'listed', resource: 'nodes', initial: true, count: 1 });
  });

  it('follows continue tokens through a chunked list', async () => {
    server.apply(namespace('shop'));
    for (let i = 0; i < 7; i++) server.apply(pod('shop', `p${i}`, `10.244.1.${i + 10}`));
    const w = start({ ...FAST, pageSize: 3 });
    await w.synced;
    expect(rec.changesSince(0).filter((c) => c.startsWith('added pods'))).toHaveLength(7);
    const podLists = server.requests.filter((r) => r.startsWith('GET /api/v1/pods?') && !r.includes('watch='));
    expect(podLists).toHaveLength(3);
    expect(podLists.slice(1).every((r) => r.includes('continue=token-'))).toBe(true);
  });
});

describe('credentials', () => {
  it('sends the kubeconfig token on lists and watches; a refused one is trouble, retried', async () => {
    seed();
    server.requireToken = 't';
    const w = start();
    await w.synced;
    await watchesOpen();
    await w.stop();
    const mark = rec.mark;
    start(FAST, 'wrong');
    const refused = await rec.waitForEvent('trouble', 'pods', undefined, mark);
    expect(rec.events[refused]).toMatchObject({ message: 'cannot list /api/v1/pods: HTTP 401: Unauthorized' });
    await rec.waitFor((e) => e.type === 'trouble' && e.resource === 'pods', refused + 1);
  });
});

describe('changes', () => {
  it('delivers add, update and delete in order, each with its resourceVersion', async () => {
    seed();
    const w = start();
    await w.synced;
    await watchesOpen();
    const mark = rec.mark;
    const added = server.apply(pod('shop', 'web', '10.244.1.9', { app: 'web' }));
    server.apply(pod('shop', 'web', '10.244.1.9', { app: 'web', tier: 'front' }));
    server.delete('Pod', 'shop', 'web');
    await rec.waitForEvent('deleted', 'pods', 'shop/web', mark);
    expect(rec.changesSince(mark)).toEqual(['added pods shop/web', 'modified pods shop/web', 'deleted pods shop/web']);
    const [a, m, d] = rec.since(mark).filter(isChange);
    expect(a?.resourceVersion).toBe(added.metadata?.resourceVersion);
    expect(Number(m?.resourceVersion)).toBeGreaterThan(Number(a?.resourceVersion));
    expect(Number(d?.resourceVersion)).toBeGreaterThan(Number(m?.resourceVersion));
    expect(m?.object).toMatchObject({ type: 'pod', value: { labels: { app: 'web', tier: 'front' } } });
    // A delete names the object as it was last seen.
    expect(d?.object).toMatchObject({ type: 'pod', value: { name: 'web', labels: { tier: 'front' } } });
    expect(w.resourceVersions().pods).toBe(server.resourceVersion);
  });
});

describe('faults', () => {
  it('resumes a dropped watch from its resourceVersion: nothing lost, nothing twice, no relist', async () => {
    seed();
    const w = start();
    await w.synced;
    await watchesOpen();
    const before = w.resourceVersions().pods;
    const mark = rec.mark;
    server.dropWatches();
    // In the same tick as the drop: the client cannot have reconnected yet, so these happen in the gap.
    server.apply(pod('shop', 'web', '10.244.1.9'));
    server.apply(pod('shop', 'api', '10.244.1.2', { app: 'api', v: '2' }));
    server.delete('Pod', 'shop', 'db');
    await rec.waitForEvent('deleted', 'pods', 'shop/db', mark);
    await watchesOpen();
    server.apply(pod('shop', 'late', '10.244.1.10'));
    await rec.waitForEvent('added', 'pods', 'shop/late', mark);
    expect(rec.changesSince(mark)).toEqual(['added pods shop/web', 'modified pods shop/api', 'deleted pods shop/db', 'added pods shop/late']);
    expect(rec.since(mark).filter((e) => e.type === 'listed' || e.type === 'expired')).toEqual([]);
    expect(server.requests.some((r) => r.startsWith(`GET /api/v1/pods?watch=true&resourceVersion=${before}&allowWatchBookmarks=true`))).toBe(true);
  });

  it('ignores an event repeated with the same resourceVersion', async () => {
    seed();
    const w = start();
    await w.synced;
    await watchesOpen();
    const mark = rec.mark;
    const web = server.apply(pod('shop', 'web', '10.244.1.9'));
    server.injectLine('pods', JSON.stringify({ type: 'MODIFIED', object: web }));
    server.apply(pod('shop', 'after', '10.244.1.10'));
    await rec.waitForEvent('added', 'pods', 'shop/after', mark);
    expect(rec.changesSince(mark)).toEqual(['added pods shop/web', 'added pods shop/after']);
  });

  it('relists after 410 Gone and emits exactly the differences', async () => {
    seed();
    server.apply(pod('shop', 'same', '10.244.1.20'));
    server.apply(pod('shop', 'reborn', '10.244.1.21'));
    const w = start();
    await w.synced;
    await watchesOpen();
    const oldUid = server.get('Pod', 'shop', 'reborn')?.metadata?.uid;
    const mark = rec.mark;
    server.dropWatches();
    server.delete('Pod', 'shop', 'db');
    server.apply(pod('shop', 'api', '10.244.1.2', { app: 'api', v: '2' }));
    server.apply(pod('shop', 'web', '10.244.1.9'));
    // Deleted and created again under the same name: a new object (new uid), not an update.
    server.delete('Pod', 'shop', 'reborn');
    server.apply(pod('shop', 'reborn', '10.244.1.22'));
    server.expireHistory();
    const relisted = await rec.waitFor((e) => e.type === 'listed' && e.resource === 'pods' && !e.initial, mark);
    const expired = rec.since(mark).findIndex((e) => e.type === 'expired' && e.resource === 'pods');
    expect(expired).toBeGreaterThanOrEqual(0);
    expect(rec.since(mark + expired, relisted).filter((e) => isChange(e) && e.resource === 'pods').map((e) => `${e.type} ${isChange(e) ? e.key : ''}`)).toEqual([
      'deleted shop/db', 'deleted shop/reborn', 'modified shop/api', 'added shop/reborn', 'added shop/web',
    ]);
    const reborn = rec.since(mark).filter(isChange).find((e) => e.type === 'added' && e.key === 'shop/reborn');
    expect(reborn?.object).toMatchObject({ value: { ips: ['10.244.1.22'] } });
    expect(server.get('Pod', 'shop', 'reborn')?.metadata?.uid).not.toBe(oldUid);
    // The relist's resourceVersion is where the watch goes on from.
    await watchesOpen();
    server.apply(pod('shop', 'after', '10.244.1.30'));
    await rec.waitForEvent('added', 'pods', 'shop/after', mark);
    expect(w.resourceVersions().pods).toBe(server.resourceVersion);
  });

  it('relists just the same when the server refuses the old resourceVersion with an HTTP 410', async () => {
    seed();
    server.watchGoneAs = 'status';
    const w = start();
    await w.synced;
    await watchesOpen();
    const mark = rec.mark;
    server.dropWatches();
    server.delete('Pod', 'shop', 'db');
    server.expireHistory();
    await rec.waitFor((e) => e.type === 'listed' && e.resource === 'pods' && !e.initial, mark);
    expect(rec.changesSince(mark)).toEqual(['deleted pods shop/db']);
    expect(rec.since(mark).find((e) => e.type === 'expired' && e.resource === 'pods')).toBeDefined();
  });

  it('starts a chunked list over when its continue token expires', async () => {
    server.apply(namespace('shop'));
    for (let i = 0; i < 5; i++) server.apply(pod('shop', `p${i}`, `10.244.1.${i + 10}`));
    let expired = false;
    server.onRequest = ({ resource, query }) => {
      if (resource === 'pods' && query.has('continue') && !expired) {
        expired = true;
        server.apply(pod('shop', 'p9', '10.244.1.99'));
        server.expireHistory();
      }
    };
    const w = start({ ...FAST, pageSize: 2 });
    await w.synced;
    expect(rec.changesSince(0).filter((c) => c.includes(' pods ')).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p9'].map((n) => `added pods shop/${n}`));
    const podLists = server.requests.filter((r) => r.startsWith('GET /api/v1/pods?') && !r.includes('watch='));
    // First page, the expired second, then the whole list again in three pages.
    expect(podLists.map((r) => r.includes('continue='))).toEqual([false, true, false, true, true]);
    // The pod list recovered on its own; the other lists, expired with it, are the next test's business.
    expect(rec.events.filter((e) => e.type === 'trouble' && e.resource === 'pods')).toEqual([]);
  });

  it('waits before relisting when a watch is gone right after its list', async () => {
    seed();
    // The history expires at every watch request: each watch, even from a list's own resourceVersion, is 410.
    server.onRequest = ({ watch }) => {
      if (watch) {
        server.apply(namespace(`n${server.resourceVersion}`));
        server.expireHistory();
      }
    };
    start();
    const listedMoreThan = (n: number) => (e: ClusterEvent): boolean => e.type === 'listed' && e.resource === 'pods' && rec.events.filter((x) => x.type === 'listed' && x.resource === 'pods').length > n;
    await rec.waitFor(listedMoreThan(3));
    const pods = rec.events.filter((e) => 'resource' in e && e.resource === 'pods' && !isChange(e));
    expect(pods.slice(0, 10).map((e) => (e.type === 'trouble' ? `trouble ${e.retryInMs}` : e.type))).toEqual([
      'listed', 'expired', 'trouble 20', 'listed', 'expired', 'trouble 40', 'listed', 'expired', 'trouble 80', 'listed',
    ]);
  });

  it('syncs and resumes through a slow server', async () => {
    seed();
    server.latencyMs = 50;
    const w = start();
    await w.synced;
    await watchesOpen();
    const mark = rec.mark;
    server.dropWatches();
    server.apply(pod('shop', 'web', '10.244.1.9'));
    await rec.waitForEvent('added', 'pods', 'shop/web', mark);
    expect(rec.changesSince(mark)).toEqual(['added pods shop/web']);
  });

  it('backs off while the API server is down, then resyncs when it is back', async () => {
    seed();
    const w = start();
    await w.synced;
    await watchesOpen();
    const mark = rec.mark;
    await server.goDown();
    // Four failures in a row: each delay twice the one before, up to the maximum.
    for (let n = 0; n < 5; n++) await rec.waitFor((e) => e.type === 'trouble' && e.resource === 'pods' && rec.since(mark).filter((x) => x.type === 'trouble' && x.resource === 'pods').length > n, mark);
    const delays = rec.since(mark).flatMap((e) => (e.type === 'trouble' && e.resource === 'pods' ? [e.retryInMs] : []));
    expect(delays.slice(0, 5)).toEqual([20, 40, 80, 160, 160]);
    expect(rec.since(mark).find((e) => e.type === 'trouble' && e.resource === 'pods' && /ECONNREFUSED/.test(e.message))).toBeDefined();
    // While it was down: changes, and a restart that lost the watch history.
    server.delete('Pod', 'shop', 'db');
    server.apply(pod('shop', 'web', '10.244.1.9'));
    server.expireHistory();
    await server.comeBack();
    await rec.waitFor((e) => e.type === 'listed' && e.resource === 'pods' && !e.initial, mark);
    expect(rec.changesSince(mark)).toEqual(['deleted pods shop/db', 'added pods shop/web']);
    expect(w.resourceVersions().pods).toBe(server.resourceVersion);
  });

  it('advances resourceVersion on bookmarks, so a resume after the history is gone needs no relist', async () => {
    seed();
    const w = start();
    await w.synced;
    await watchesOpen();
    // A change the pod watch does not see: only its bookmark can move it forward.
    server.apply(namespace('other'));
    await rec.waitForEvent('added', 'namespaces', 'other');
    expect(w.resourceVersions().pods).not.toBe(server.resourceVersion);
    const mark = rec.mark;
    expect(server.bookmark()).toBe(4);
    for (const r of ['namespaces', 'pods', 'networkpolicies', 'nodes'] as const) await rec.waitForEvent('bookmark', r, undefined, mark);
    expect(w.resourceVersions()).toEqual({ namespaces: server.resourceVersion, pods: server.resourceVersion, networkpolicies: server.resourceVersion, nodes: server.resourceVersion });
    server.restart();
    await watchesOpen();
    server.apply(pod('shop', 'web', '10.244.1.9'));
    await rec.waitForEvent('added', 'pods', 'shop/web', mark);
    expect(rec.since(mark).filter((e) => e.type === 'expired' || e.type === 'listed')).toEqual([]);
    expect(server.requests.some((r) => r.startsWith(`GET /api/v1/pods?watch=true&resourceVersion=${server.resourceVersion}`))).toBe(false);
  });
});

describe('malformed objects', () => {
  it('reports a malformed object as a problem and keeps the stream going', async () => {
    seed();
    const w = start();
    await w.synced;
    await watchesOpen();
    const mark = rec.mark;
    server.apply(pod('shop', 'bad', 'not-an-ip'));
    server.injectLine('pods', JSON.stringify({ type: 'MODIFIED', object: { kind: 'Pod', apiVersion: 'v1' } }));
    const badPolicy = policy('shop', 'bad-cidr');
    (badPolicy.spec as { ingress: unknown[] }).ingress = [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }];
    server.apply(badPolicy);
    // A garbled line ends the watch; the resume from the last good resourceVersion gets what came after it.
    server.injectLine('pods', '{"type": "ADDED", "object": {');
    server.apply(pod('shop', 'good', '10.244.1.40'));
    await rec.waitForEvent('added', 'pods', 'shop/good', mark);
    await rec.waitForEvent('added', 'networkpolicies', 'shop/bad-cidr', mark);
    expect(rec.changesSince(mark).filter((c) => c.includes(' pods '))).toEqual(['added pods shop/bad', 'added pods ', 'added pods shop/good']);
    expect(rec.since(mark).flatMap((e) => (e.type === 'trouble' ? [`${e.resource}: ${e.message}`] : []))).toEqual([
      'pods: watch of /api/v1/pods failed: unreadable watch event (not JSON): "{\\"type\\": \\"ADDED\\", \\"object\\": {"',
    ]);
    const changes = rec.since(mark).filter(isChange);
    const badPod = changes.find((e) => e.key === 'shop/bad');
    expect(badPod?.problems).toContainEqual(expect.objectContaining({ severity: 'error', file: 'cluster', kind: 'Pod', namespace: 'shop', name: 'bad', field: 'status.podIPs[0].ip' }));
    // An object without a name cannot be a model object; it is reported, and the pods after it still arrive.
    const nameless = changes.find((e) => e.key === '');
    expect(nameless?.object).toBeUndefined();
    expect(nameless?.problems.map((p) => p.message)).toContain('metadata.name is required');
    // A policy with errors fails closed: it isolates what it selects and allows nothing.
    const pol = changes.find((e) => e.key === 'shop/bad-cidr');
    expect(pol?.object).toMatchObject({ type: 'policy', value: { failClosed: true, ingress: [] } });
    expect(pol?.problems.some((p) => p.severity === 'error' && p.field?.includes('ipBlock.cidr'))).toBe(true);
    expect(changes.find((e) => e.key === 'shop/good')?.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('reports a malformed object in the initial list', async () => {
    seed();
    const bad = pod('shop', 'bad', '10.244.1.50');
    (bad.spec as { containers: { ports: unknown[] }[] }).containers[0]!.ports = [{ containerPort: 70000 }];
    server.apply(bad);
    const w = start();
    await w.synced;
    const e = rec.events.filter(isChange).find((x) => x.key === 'shop/bad');
    expect(e?.problems.filter((p) => p.severity === 'error').map((p) => p.field)).toEqual(['spec.containers[0].ports[0].containerPort']);
    expect(e?.object).toBeDefined();
  });
});

describe('stop', () => {
  it('closes every watch and delivers nothing afterwards', async () => {
    seed();
    const w = start();
    await w.synced;
    await watchesOpen();
    await w.stop();
    const mark = rec.mark;
    server.apply(pod('shop', 'web', '10.244.1.9'));
    const deadline = Date.now() + 10_000;
    while (server.watchCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(server.watchCount()).toBe(0);
    expect(rec.since(mark)).toEqual([]);
  });
});

describe('stop while a list hangs', () => {
  it('returns without waiting for the list, and its answer is dropped', async () => {
    seed();
    const release = server.holdLists('nodes');
    const w = start();
    for (const r of ['namespaces', 'pods', 'networkpolicies'] as const) await rec.waitForEvent('listed', r);
    await w.stop();
    const mark = rec.mark;
    release();
    server.apply(pod('shop', 'web', '10.244.1.9'));
    // The held list is answered now; wait until the server has sent it, then make sure nothing came of it.
    const deadline = Date.now() + 10_000;
    while (server.watchCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setImmediate(r));
    expect(rec.since(mark)).toEqual([]);
    expect(w.isSynced()).toBe(false);
  });
});
