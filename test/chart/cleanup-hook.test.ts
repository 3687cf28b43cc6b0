// The uninstall hook's two scripts, as helm renders them, run with node (as
// the nftpol image runs them): the Job's wait for the cleanup DaemonSet against
// a stub of the API server's DaemonSet endpoint, and the cleanup pod's wait for
// the node's agent to stop answering.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findObject, renderChart, type Rendered } from './helm.ts';

type HookContainer = { name: string; command?: string[]; args?: string[]; env?: { name: string; value?: string }[] };

function hookContainers(objects: readonly Rendered[], kind: 'Job' | 'DaemonSet'): HookContainer[] {
  const o = findObject(objects, kind, (x) => x.metadata.annotations?.['helm.sh/hook'] === 'post-delete');
  const spec = (o as unknown as { spec: { template: { spec: { containers: HookContainer[]; initContainers?: HookContainer[] } } } }).spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** The container's env as rendered, less the service account's CA (not on this machine; the stub speaks plain HTTP). */
function renderedEnv(c: HookContainer): Record<string, string> {
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '']));
  expect(env.NODE_EXTRA_CA_CERTS).toBe('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Runs a container's `node ... -e SCRIPT` here; resolves with its exit code and output. */
function runNodeContainer(c: HookContainer, env: Record<string, string>): Promise<{ code: number; out: string; ms: number }> {
  const [cmd, ...flags] = c.command ?? [];
  expect(cmd).toBe('node');
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [...flags, ...(c.args ?? [])], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr, ms: Date.now() - started });
    });
  });
}

let server: Server | undefined;
afterEach(async () => {
  if (server?.listening) await new Promise((r) => server?.close(r));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('the Job waits until every node removed its table', () => {
  it('exits 0 once every scheduled cleanup pod of the current generation is ready', async () => {
    const objects = await renderChart();
    const wait = hookContainers(objects, 'Job')[0] as HookContainer;
    const statuses = [
      { metadata: { generation: 1 }, status: { observedGeneration: 0 } },
      { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 1, updatedNumberScheduled: 3 } },
      { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 } },
    ];
    const paths: string[] = [];
    const port = await listen((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(statuses[Math.min(paths.length - 1, statuses.length - 1)]));
    });
    const env = renderedEnv(wait);
    const r = await runNodeContainer(wait, { ...env, API_URL: `http://127.0.0.1:${port}` });
    expect(r.out).toBe('nftpol cleanup: 3 of 3 nodes removed the table\n');
    expect(r.code).toBe(0);
    expect(paths).toEqual(Array(3).fill('/apis/apps/v1/namespaces/kube-system/daemonsets/nftpol-cleanup'));
  });

  it('exits 1 after cleanup.timeoutSeconds, saying how many nodes are done', async () => {
    const objects = await renderChart({ 'cleanup.timeoutSeconds': 10 });
    const wait = hookContainers(objects, 'Job')[0] as HookContainer;
    const port = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2 } }));
    });
    const env = renderedEnv(wait);
    expect(env.TIMEOUT_SECONDS).toBe('10');
    const r = await runNodeContainer(wait, { ...env, TIMEOUT_SECONDS: '1', API_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.out).toBe('nftpol cleanup: not done after 1s: 1 of 2 nodes removed the table\n');
  });
});

describe('each node\'s cleanup waits for its agent to stop', () => {
  it('keeps waiting while the agent answers on its address, and goes on once nothing listens there', async () => {
    let hits = 0;
    const port = await listen((_req, res) => {
      hits++;
      res.end('ok');
    });
    const objects = await renderChart({ 'listen.port': port });
    const waitAgent = hookContainers(objects, 'DaemonSet').find((c) => c.name === 'wait-agent-stopped') as HookContainer;
    const running = runNodeContainer(waitAgent, {});
    await new Promise((r) => setTimeout(r, 1500));
    expect(hits).toBeGreaterThanOrEqual(1); // still polling: the "agent" answers
    const closedAt = Date.now();
    await new Promise((r) => server?.close(r));
    server?.closeAllConnections();
    const r = await running;
    expect(r.code).toBe(0);
    expect(r.ms).toBeGreaterThan(1500);
    expect(Date.now() - closedAt).toBeLessThan(5000);
  });
});
