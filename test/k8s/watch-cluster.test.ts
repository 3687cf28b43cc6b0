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

function start(opts: WatchClusterOptions = FAST): ClusterWatch {
  watch = watchCluster(fakeKubeConfig(server), rec.push, opts);
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
    for (const r of ['namespaces', 'pods', 'networkpolicies'] as const) await rec.waitForEvent('listed', r);
    expect(w.isSynced()).toBe(false);
    expect(rec.events.some((e) => e.type === 'synced')).toBe(false);
    release();
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
