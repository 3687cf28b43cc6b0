// Live mode's failures as a user meets them: no kubeconfig at all is one
// line, not the client library's fallback failing four times; a kubeconfig
// that names no usable cluster says what is wrong with it; an unreachable
// server is one problem, not one per list. And, as kubectl does, the
// context's namespace is where names without one are looked up.
// The cluster-wide policies are read when the API server serves them (the
// fake API server with their CRDs installed), and a cluster without them is no
// problem. Only loopback is contacted: a fake API server, or a closed port.
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { explain } from './helpers.ts';
import { FakeApiServer, writeFakeKubeconfig } from '../k8s/fake-api-server.ts';
import { adminNetworkPolicy, clusterNetworkPolicy, namespace, node, pod, policy } from '../k8s/watch-events.ts';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const ENV_KEYS = ['HOME', 'KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let dir: string;
let closedPort: number;

async function kubeconfig(name: string, lines: readonly string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, ['apiVersion: v1', 'kind: Config', 'users: [{name: u, user: {token: t}}]', ...lines].join('\n'));
  return file;
}

const cluster = (port: number): string => `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nftpol-live-cli-'));
  // A port that was just free: nothing listens there.
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  closedPort = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
});

afterEach(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('no usable kubeconfig', () => {
  it('without -f and without any kubeconfig: one line, exit 2', async () => {
    // Inside a pod the client would use the service account instead; this
    // test is about a machine with no cluster configured at all.
    expect(existsSync(SERVICE_ACCOUNT_TOKEN), `${SERVICE_ACCOUNT_TOKEN} exists: this test needs a machine outside a cluster`).toBe(false);
    process.env.HOME = dir; // no .kube/config under it
    delete process.env.KUBECONFIG;
    // Should the client look for in-cluster config anyway, it finds only loopback.
    process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = String(closedPort);
    for (const args of [['lint'], ['--from', 'shop/a', '--to', 'shop/b', '--port', '80'], ['--context', 'prod', 'matrix']]) {
      const r = await explain(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('error: no input: give -f, or a kubeconfig with --kubeconfig/--context (found none: no $KUBECONFIG, no ~/.kube/config, not in a pod)\n');
    }
  });

  it('a kubeconfig without current-context names its contexts', async () => {
    const file = await kubeconfig('no-current', [cluster(closedPort), 'contexts: [{name: dev, context: {cluster: c, user: u}}]']);
    const r = await explain(['--kubeconfig', file, 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: cluster: cannot load kubeconfig: the kubeconfig has no current-context: give --context (contexts: dev)\n' +
      'error: 1 error in the input; nothing was explained\n',
    );
  });

  it('a context whose cluster is not defined says so', async () => {
    const file = await kubeconfig('dangling', [cluster(closedPort), 'current-context: dev', 'contexts: [{name: dev, context: {cluster: gone, user: u}}]']);
    const r = await explain(['--kubeconfig', file, 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('error: cluster: cannot load kubeconfig: context "dev" names cluster "gone", which the kubeconfig does not define');
  });

  it('an unreachable server is one problem, with the reason', async () => {
    const file = await kubeconfig('refused', [cluster(closedPort), 'current-context: dev', 'contexts: [{name: dev, context: {cluster: c, user: u}}]']);
    const r = await explain(['--kubeconfig', file, 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: cluster: cannot list anything from http://127.0.0.1:${closedPort}: fetch failed (connect ECONNREFUSED 127.0.0.1:${closedPort})\n` +
      'error: 1 error in the input; nothing was explained\n',
    );
  });
});

describe('the context namespace', () => {
  let server: Server;
  let file: string;
  const pod = (namespace: string, name: string, ip: string) => ({
    metadata: { namespace, name, labels: { app: name } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  });
  const LISTS: Record<string, unknown[]> = {
    '/api/v1/namespaces': [{ metadata: { name: 'shop' } }, { metadata: { name: 'other' } }],
    '/api/v1/pods': [pod('shop', 'api', '10.244.1.2'), pod('shop', 'db', '10.244.1.3'), pod('other', 'x', '10.244.1.4')],
    '/apis/networking.k8s.io/v1/networkpolicies': [],
    '/api/v1/nodes': [{ metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.1' }] } }],
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const items = LISTS[new URL(req.url ?? '/', 'http://x').pathname];
      res.writeHead(items ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(items ? { kind: 'List', apiVersion: 'v1', metadata: {}, items } : { kind: 'Status', code: 404, message: 'not found' }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    file = await kubeconfig('with-namespace', [cluster(port), 'current-context: dev', 'contexts: [{name: dev, context: {cluster: c, user: u, namespace: shop}}]']);
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is where names without a namespace are, unless -n says otherwise', async () => {
    const r = await explain(['--kubeconfig', file, '--from', 'api', '--to', 'db', '--port', 'http']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ALLOWED {2}shop\/api \(10\.244\.1\.2\) -> shop\/db \(10\.244\.1\.3\) 8080\/TCP/);
    const other = await explain(['--kubeconfig', file, '-n', 'other', 'pod', 'x']);
    expect(other.stdout).toMatch(/^Pod other\/x /);
  });

  it('does not narrow the matrix: only -n does', async () => {
    const r = await explain(['--kubeconfig', file, 'matrix', '--port', '8080', '-o', 'json']);
    expect((JSON.parse(r.stdout) as { endpoints: { id: string }[] }).endpoints.map((e) => e.id)).toEqual(['other/x', 'shop/api', 'shop/db']);
  });
});

describe('cluster-wide policies', () => {
  let fake: FakeApiServer;
  let file: string;

  beforeAll(async () => {
    fake = await FakeApiServer.start();
    fake.apply(namespace('shop', { team: 'shop' }));
    fake.apply(pod('shop', 'api', '10.244.1.2', { app: 'api' }));
    fake.apply(pod('shop', 'db', '10.244.1.3', { app: 'db' }));
    fake.apply(pod('shop', 'web', '10.244.1.4', { app: 'web' }));
    fake.apply(policy('shop', 'db-from-api'));
    fake.apply(node('node-1', '10.244.1.0/24', '192.168.0.1'));
    file = await writeFakeKubeconfig(fake);
  });

  afterAll(() => fake.close());

  it('without their CRDs: nothing to read, and nothing said about it', async () => {
    const r = await explain(['--kubeconfig', file, '--from', 'shop/api', '--to', 'shop/db', '--port', 'http']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ALLOWED /);
    expect(fake.requests.filter((q) => q.startsWith('GET /apis/policy.networking.k8s.io/')).sort()).toEqual([
      'GET /apis/policy.networking.k8s.io/v1alpha1', 'GET /apis/policy.networking.k8s.io/v1alpha2',
    ]);
  });

  it('served, both versions: read, and the Admin tier decides before the NetworkPolicy', async () => {
    fake.installCrd('clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies');
    fake.apply(clusterNetworkPolicy('deny-db', 'db', 'Deny', 'Admin', 10));
    fake.apply(adminNetworkPolicy('deny-web', 'web', 'Deny', 20));
    const db = await explain(['--kubeconfig', file, '--from', 'shop/api', '--to', 'shop/db', '--port', 'http']);
    expect(db.stderr).toBe('');
    expect(db.stdout).toMatch(/^DENIED /);
    expect(db.stdout).toContain('deny-db');
    const web = await explain(['--kubeconfig', file, '--from', 'shop/api', '--to', 'shop/web', '--port', '8080']);
    expect(web.stdout).toMatch(/^DENIED /);
    expect(web.stdout).toContain('deny-web');
  });

  it('served but not readable (RBAC): an error that names the grant, and nothing is explained from a partial view', async () => {
    fake.role = { user: 'me', rules: [
      { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['list'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list'] },
      { apiGroups: ['policy.networking.k8s.io'], resources: ['adminnetworkpolicies', 'baselineadminnetworkpolicies'], verbs: ['list'] },
    ] };
    try {
      const r = await explain(['--kubeconfig', file, 'lint']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'error: cluster: ClusterNetworkPolicy: cannot list ClusterNetworkPolicy objects: HTTP 403: clusternetworkpolicies.policy.networking.k8s.io is forbidden: ' +
        'User "me" cannot list resource "clusternetworkpolicies" in API group "policy.networking.k8s.io" at the cluster scope\n' +
        'error: 1 error in the input; nothing was explained\n',
      );
    } finally {
      fake.role = undefined;
    }
  });
});
