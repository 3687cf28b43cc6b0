// Live mode end to end: the real @kubernetes/client-node lists Namespaces,
// Pods, NetworkPolicies and Nodes from a small fake API server on loopback,
// following `continue` tokens, and policy-explain answers from what it read.
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFromCluster } from '../../src/k8s/live-objects.ts';
import { explain } from '../cli/helpers.ts';

const ns = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels } });
const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>) => ({
  metadata: { namespace, name, labels },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});

const LISTS: Record<string, unknown[]> = {
  '/api/v1/namespaces': [ns('shop', { team: 'shop' }), ns('other')],
  '/api/v1/pods': [
    pod('shop', 'api', '10.244.1.2', { app: 'api' }),
    pod('shop', 'db', '10.244.1.3', { app: 'db' }),
    pod('other', 'x', '10.244.1.4', { app: 'api' }),
  ],
  '/apis/networking.k8s.io/v1/networkpolicies': [{
    metadata: { namespace: 'shop', name: 'db-from-api' },
    spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] }] },
  }],
  '/api/v1/nodes': [{ metadata: { name: 'node-1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.1' }] } }],
};

let server: Server;
let kubeconfig: string;
const requests: string[] = [];

beforeAll(async () => {
  // A list answers one item per page, so the client must follow `continue`.
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}?${url.searchParams}`);
    const items = LISTS[url.pathname];
    if (!items) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `no ${url.pathname}`, code: 404 }));
      return;
    }
    const start = Number(url.searchParams.get('continue') ?? 0);
    const next = start + 1 < items.length ? String(start + 1) : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '7', ...(next ? { continue: next } : {}) }, items: items.slice(start, start + 1) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const dir = await mkdtemp(path.join(tmpdir(), 'nftpol-live-'));
  kubeconfig = path.join(dir, 'config');
  await writeFile(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: fake',
    // client-node refuses plain http unless TLS verification is off, as for any
    // local test cluster.
    `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: fake, context: {cluster: fake, user: u}}, {name: broken, context: {cluster: nowhere, user: u}}]',
  ].join('\n'));
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('live mode', () => {
  it('lists every kind through all pages into the model', async () => {
    const { objects, problems } = await loadFromCluster({ kubeconfig });
    expect(problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([]);
    expect(objects.pods.map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(['other/x', 'shop/api', 'shop/db']);
    expect(objects.namespaces.find((n) => n.name === 'shop')?.labels).toMatchObject({ team: 'shop', 'kubernetes.io/metadata.name': 'shop' });
    expect(objects.nodes[0]?.podCIDRs).toEqual(['10.244.1.0/24']);
    expect(requests.some((r) => r.includes('continue=2'))).toBe(true);
  });

  it('policy-explain --kubeconfig explains a flow from the cluster', async () => {
    const allowed = await explain(['--kubeconfig', kubeconfig, '--from', 'shop/api', '--to', 'shop/db', '--port', 'http']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^ALLOWED {2}shop\/api \(10\.244\.1\.2\) -> shop\/db \(10\.244\.1\.3\) 8080\/TCP/);
    const denied = await explain(['--kubeconfig', kubeconfig, '--from', 'other/x', '--to', 'shop/db', '--port', '8080']);
    expect(denied.stdout).toMatch(/^DENIED/);
    expect(denied.stdout).toContain('a podSelector without namespaceSelector selects only namespace shop');
  });

  it('reports an unreachable cluster or unknown context as bad input, without a stack trace', async () => {
    const unknown = await explain(['--kubeconfig', kubeconfig, '--context', 'nope', 'matrix']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no context named "nope"/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});
