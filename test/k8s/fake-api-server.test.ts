// The fake API server's own protocol, checked with plain HTTP, so tests that
// build on it can trust what it says a real server says.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApiServer } from './fake-api-server.ts';
import { clusterNetworkPolicy, namespace, pod } from './watch-events.ts';

let server: FakeApiServer;

beforeEach(async () => {
  server = await FakeApiServer.start();
});

afterEach(() => server.close());

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The first `n` lines of a watch, parsed. */
async function watchLines(path: string, n: number): Promise<unknown[]> {
  const ac = new AbortController();
  const res = await fetch(`${server.url}${path}`, { signal: ac.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.split('\n').length <= n) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  ac.abort();
  return text.split('\n').filter((l) => l !== '').slice(0, n).map((l) => JSON.parse(l) as unknown);
}

describe('fake API server', () => {
  it('lists with one resourceVersion for all kinds, items without kind, in pages that keep their snapshot', async () => {
    server.apply(namespace('a'));
    server.apply(pod('a', 'p1', '10.0.0.1'));
    server.apply(pod('a', 'p2', '10.0.0.2'));
    const first = await getJson('/api/v1/pods?limit=1');
    expect(first.body).toMatchObject({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '103', continue: 'token-1', remainingItemCount: 1 } });
    expect(first.body.items).toEqual([expect.not.objectContaining({ kind: 'Pod' })]);
    server.apply(pod('a', 'p3', '10.0.0.3'));
    const second = await getJson('/api/v1/pods?limit=1&continue=token-1');
    expect((second.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['p2']);
    expect(second.body.metadata).toEqual({ resourceVersion: '103' });
  });

  it('answers an expired continue token with 410 Gone', async () => {
    server.apply(pod('a', 'p1', '10.0.0.1'));
    server.apply(pod('a', 'p2', '10.0.0.2'));
    await getJson('/api/v1/pods?limit=1');
    server.expireHistory();
    const gone = await getJson('/api/v1/pods?limit=1&continue=token-1');
    expect(gone).toMatchObject({ status: 410, body: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('watches from 0 with every object ADDED, from N with the changes after N, from before the history with ERROR 410', async () => {
    server.apply(pod('a', 'p1', '10.0.0.1'));
    const rv = server.resourceVersion;
    server.apply(pod('a', 'p1', '10.0.0.1', { v: '2' }));
    expect(await watchLines('/api/v1/pods?watch=true&resourceVersion=0', 1)).toEqual([
      { type: 'ADDED', object: expect.objectContaining({ kind: 'Pod', metadata: expect.objectContaining({ labels: { v: '2' } }) }) },
    ]);
    server.delete('Pod', 'a', 'p1');
    expect((await watchLines(`/api/v1/pods?watch=true&resourceVersion=${rv}`, 2)).map((e) => (e as { type: string }).type)).toEqual(['MODIFIED', 'DELETED']);
    server.expireHistory();
    expect(await watchLines(`/api/v1/pods?watch=true&resourceVersion=${rv}`, 1)).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, message: `too old resource version: ${rv} (${server.resourceVersion})` }) },
    ]);
  });

  it('sends bookmarks only to watches that allow them, and 404 for what it does not serve', async () => {
    server.apply(pod('a', 'p1', '10.0.0.1'));
    const lines = watchLines('/api/v1/pods?watch=true&resourceVersion=0&allowWatchBookmarks=true', 2);
    while (server.watchCount('pods') === 0) await new Promise((r) => setTimeout(r, 5));
    expect(server.bookmark()).toBe(1);
    expect(await lines).toEqual([
      { type: 'ADDED', object: expect.objectContaining({ kind: 'Pod' }) },
      { type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: server.resourceVersion } } },
    ]);
    expect((await getJson('/api/v1/services')).status).toBe(404);
    expect((await getJson('/apis/networking.k8s.io/v1/pods')).status).toBe(404);
  });

  it('listens on a Unix socket when asked: the same answers there, the socket gone while down and back after', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nftpol-fake-api-sock-'));
    const socketPath = path.join(dir, 'api.sock');
    const onSocket = await FakeApiServer.start({ socketPath });
    const names = (): Promise<string[]> => new Promise((resolve, reject) => {
      request({ socketPath, path: '/api/v1/namespaces', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => void (body += c.toString()));
        res.on('end', () => resolve((JSON.parse(body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)));
      }).on('error', reject).end();
    });
    try {
      onSocket.apply(namespace('a'));
      expect(await names()).toEqual(['a']);
      expect(onSocket.all('Namespace').map((o) => o.metadata?.name)).toEqual(['a']);
      expect(() => onSocket.url).toThrow(/Unix socket/);
      await onSocket.goDown();
      expect(existsSync(socketPath)).toBe(false);
      await expect(names()).rejects.toThrow(/ENOENT/);
      await onSocket.comeBack();
      expect(await names()).toEqual(['a']);
    } finally {
      await onSocket.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the cluster-wide policy CRDs', () => {
  it('are not served until installed: discovery and their paths are 404, and objects of them are refused', async () => {
    expect((await getJson('/apis/policy.networking.k8s.io/v1alpha2')).status).toBe(404);
    expect((await getJson('/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies')).status).toBe(404);
    expect(() => server.apply(clusterNetworkPolicy('c', 'db'))).toThrow(/no CRD installed for clusternetworkpolicies/);
  });

  it('installed: discovery lists each version\'s resources (and their status subresources); lists and watches serve them', async () => {
    server.installCrd('clusternetworkpolicies', 'adminnetworkpolicies');
    server.apply(clusterNetworkPolicy('c', 'db'));
    const v2 = await getJson('/apis/policy.networking.k8s.io/v1alpha2');
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'policy.networking.k8s.io/v1alpha2' });
    expect((v2.body.resources as { name: string }[]).map((r) => r.name)).toEqual(['clusternetworkpolicies', 'clusternetworkpolicies/status']);
    const v1 = await getJson('/apis/policy.networking.k8s.io/v1alpha1');
    expect((v1.body.resources as { name: string }[]).map((r) => r.name)).toEqual(['adminnetworkpolicies', 'adminnetworkpolicies/status']);
    const list = await getJson('/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies');
    expect(list.body).toMatchObject({ kind: 'ClusterNetworkPolicyList', items: [{ metadata: { name: 'c' } }] });
    // Served in its one version only.
    expect((await getJson('/apis/policy.networking.k8s.io/v1alpha1/clusternetworkpolicies')).status).toBe(404);
    expect((await getJson('/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies')).status).toBe(404);
  });

  it('removed: its objects are deleted (DELETED to its watches), its watches end, and it is 404 again', async () => {
    server.installCrd('clusternetworkpolicies');
    server.apply(clusterNetworkPolicy('c', 'db'));
    const from = server.resourceVersion;
    const lines = watchLines(`/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies?watch=true&resourceVersion=${from}`, 1);
    while (server.watchCount('clusternetworkpolicies') === 0) await new Promise((r) => setTimeout(r, 5));
    server.removeCrd('clusternetworkpolicies');
    expect(await lines).toEqual([expect.objectContaining({ type: 'DELETED', object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'c' }) }) })]);
    expect(server.watchCount('clusternetworkpolicies')).toBe(0);
    expect((await getJson('/apis/policy.networking.k8s.io/v1alpha2')).status).toBe(404);
  });
});
