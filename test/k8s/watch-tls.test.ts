// Over HTTPS, as every real cluster: the kubeconfig's CA is what the list
// and the watch requests trust, and a server it does not vouch for is refused.
// The key and certificate in fixtures/ are for these tests only (127.0.0.1).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWatch } from '../../src/k8s/watch-stream.ts';
import { watchCluster } from '../../src/k8s/watch-cluster.ts';
import { FakeApiServer, fakeKubeConfig } from './fake-api-server.ts';
import { EventRecorder, namespace, node, pod, policy } from './watch-events.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
let server: FakeApiServer;
let ca: string;

beforeAll(async () => {
  const [key, cert] = await Promise.all(['key', 'crt'].map((ext) => readFile(path.join(FIXTURES, `fake-api-server.${ext}`), 'utf8')));
  ca = cert as string;
  server = await FakeApiServer.start({ tls: { key: key as string, cert: cert as string } });
  server.requireToken = 't';
  server.apply(namespace('shop'));
  server.apply(pod('shop', 'api', '10.244.1.2'));
  server.apply(policy('shop', 'p'));
  server.apply(node('node-1', '10.244.1.0/24', '192.168.0.1'));
});

afterAll(() => server.close());

describe('watch over HTTPS', () => {
  it('syncs and follows changes with the kubeconfig CA and token', async () => {
    expect(server.url).toMatch(/^https:/);
    const rec = new EventRecorder();
    const w = watchCluster(fakeKubeConfig(server, { ca }), rec.push, { backoff: { initialMs: 20, maxMs: 160, jitter: 0 } });
    try {
      await w.synced;
      const mark = rec.mark;
      server.apply(pod('shop', 'web', '10.244.1.9'));
      await rec.waitForEvent('added', 'pods', 'shop/web', mark);
      expect(rec.events.filter((e) => e.type === 'trouble')).toEqual([]);
    } finally {
      await w.stop();
    }
  });

  it('refuses a server whose certificate the kubeconfig does not trust', async () => {
    const watch = openWatch({
      kubeConfig: fakeKubeConfig(server), path: '/api/v1/pods', params: { resourceVersion: server.resourceVersion }, idleTimeoutMs: 10_000,
      onEvent: () => undefined,
    });
    expect(await watch.ended).toEqual({ kind: 'failed', message: expect.stringMatching(/self[- ]signed certificate/) as unknown });
  });

  it('a trusted watch gets events', async () => {
    const seen: unknown[] = [];
    const watch = openWatch({
      kubeConfig: fakeKubeConfig(server, { ca }), path: '/api/v1/pods', params: { resourceVersion: server.resourceVersion }, idleTimeoutMs: 10_000,
      onEvent: (type) => {
        seen.push(type);
        return { kind: 'closed' };
      },
    });
    while (server.watchCount('pods') === 0) await new Promise((r) => setTimeout(r, 5));
    server.apply(pod('shop', 'db', '10.244.1.3'));
    expect(await watch.ended).toEqual({ kind: 'closed' });
    expect(seen).toEqual(['ADDED']);
  });
});
