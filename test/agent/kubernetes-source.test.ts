// The agent with --source kubernetes against the fake API server, through
// the real @kubernetes/client-node, with a recording Applier for a kernel.
// Every wait is for an apply or a watch event, never a fixed sleep.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../../src/agent/config.ts';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import { FakeApiServer, writeFakeKubeconfig, type KubeObject } from '../k8s/fake-api-server.ts';
import { namespace, node, pod, policy } from '../k8s/watch-events.ts';
import { RecordingKernel } from './recording-kernel.ts';

let server: FakeApiServer;
let kernel: RecordingKernel;
let running: RunningAgent | undefined;
let logs: Record<string, unknown>[];

const isolated = (ir: NodeIR, key: string): boolean | undefined => ir.pods.find((p) => p.pod === key)?.ingress.isolated;
const podKeys = (ir: NodeIR): string[] => ir.pods.map((p) => p.pod).sort();

async function start(): Promise<RunningAgent> {
  const kubeconfig = await writeFakeKubeconfig(server);
  const resolved = await resolveAgentConfig({
    source: 'kubernetes', kubeconfig, node: 'node-1', listen: '127.0.0.1:0', reconcileInterval: '0', staleAfter: '0', coalesceMs: '5',
  }, {}, '/');
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  const logTo = new Writable({ write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter((l) => l !== '')) logs.push(JSON.parse(line) as Record<string, unknown>);
    done();
  } });
  running = await runAgent(resolved.config, { logTo, applier: kernel, watch: { backoff: { initialMs: 20, maxMs: 160, jitter: 0 } } });
  return running;
}

async function metric(name: string): Promise<number> {
  const line = (await running!.metrics.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ').pop());
}

/** Waits until all four resources have a watch open on the server (polls the fake server's own count). */
async function watchesOpen(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((['namespaces', 'pods', 'networkpolicies', 'nodes'] as const).some((r) => server.watchCount(r) !== 1)) {
    if (Date.now() > deadline) throw new Error(`watches not open: ${server.requests.slice(-8).join('; ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function seed(): void {
  server.apply(namespace('shop', { team: 'shop' }));
  server.apply(pod('shop', 'api', '10.244.1.2', { app: 'api' }));
  server.apply(pod('shop', 'db', '10.244.1.3', { app: 'db' }));
  server.apply(pod('shop', 'web', '10.244.1.4', { app: 'web' }));
  server.apply(policy('shop', 'db-from-api'));
  server.apply(node('node-1', '10.244.1.0/24', '192.168.0.1'));
}

const denyAll = (name: string, app: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
  metadata: { namespace: 'shop', name },
  spec: { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress'] },
});

beforeEach(async () => {
  server = await FakeApiServer.start();
  kernel = new RecordingKernel();
  logs = [];
  running = undefined;
});

afterEach(async () => {
  await running?.stop();
  await server.close();
});

describe('agent --source kubernetes', () => {
  it('applies nothing before every list is in, then once; the revision names the resourceVersions', async () => {
    seed();
    const release = server.holdLists('networkpolicies');
    const agent = await start();
    // The other three lists are done when their watches open; the policies' list is still held.
    const deadline = Date.now() + 10_000;
    while ((['namespaces', 'pods', 'nodes'] as const).some((r) => server.watchCount(r) !== 1)) {
      if (Date.now() > deadline) throw new Error('watches not open');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(kernel.applied).toEqual([]);
    expect(agent.agent.status()).toMatchObject({ ready: false, source: { kind: 'kubernetes', location: server.url, synced: false } });
    release();
    const first = await kernel.next(() => true);
    expect(podKeys(first)).toEqual(['shop/api', 'shop/db', 'shop/web']);
    expect(isolated(first, 'shop/db')).toBe(true);
    expect(isolated(first, 'shop/api')).toBe(false);
    const rv = server.resourceVersion;
    await new Promise<void>((resolve) => {
      const off = agent.agent.onKernelWork(() => {
        off();
        resolve();
      });
      if (agent.agent.status().kernel.revision !== null) {
        off();
        resolve();
      }
    });
    const st = agent.agent.status();
    expect(st.source.revision).toMatch(/^namespaces=\d+,pods=\d+,networkpolicies=\d+,nodes=\d+$/);
    expect(st.source.revision).toContain(`networkpolicies=${rv}`);
    expect(st).toMatchObject({ ready: true, kernel: { revision: st.source.revision, lastApply: { kind: 'replace' } } });
    expect(kernel.applied).toHaveLength(1);
  });

  it('a policy created, changed and deleted, and a pod relabelled: each is a new apply that shows it', async () => {
    seed();
    await start();
    await kernel.next((ir) => isolated(ir, 'shop/db') === true);
    await watchesOpen();

    server.apply(denyAll('deny-web', 'web'));
    await kernel.next((ir) => isolated(ir, 'shop/web') === true);
    server.apply(denyAll('deny-web', 'api')); // changed: now it selects api, no longer web
    const changed = await kernel.next((ir) => isolated(ir, 'shop/api') === true);
    expect(isolated(changed, 'shop/web')).toBe(false);
    server.delete('NetworkPolicy', 'shop', 'deny-web');
    await kernel.next((ir) => isolated(ir, 'shop/api') === false);
    server.apply(pod('shop', 'web', '10.244.1.4', { app: 'db' })); // relabelled: db-from-api selects it now
    const relabelled = await kernel.next((ir) => isolated(ir, 'shop/web') === true);
    expect(relabelled.policyChains.length).toBeGreaterThan(0);
    expect(running!.agent.status().ready).toBe(true);
  });

  it('a malformed policy fails closed and a malformed pod is left out: the agent runs on and counts them', async () => {
    seed();
    await start();
    await kernel.next(() => true);
    await watchesOpen();
    expect(await metric('nftpol_objects_rejected_total')).toBe(0);
    const bad = denyAll('bad-cidr', 'web');
    (bad.spec as Record<string, unknown>).ingress = [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }];
    server.apply(bad);
    // Fails closed: web is isolated, and the rule that would have admitted 10.0.0.0/33 is not there.
    await kernel.next((ir) => isolated(ir, 'shop/web') === true);
    server.apply(pod('shop', 'broken', 'not-an-ip', { app: 'api' }));
    // No node (but an address, as a buggy server might give): a live pod is where the scheduler put it; nothing places it here.
    server.apply({ ...pod('shop', 'pending', '10.244.1.9', { app: 'api' }), spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    server.apply(pod('shop', 'late', '10.244.1.5', { app: 'api' }));
    const after = await kernel.next((ir) => podKeys(ir).includes('shop/late'));
    expect(podKeys(after)).not.toContain('shop/broken');
    expect(podKeys(after)).not.toContain('shop/pending');
    expect(await metric('nftpol_objects_rejected_total')).toBe(2);
    expect(logs.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^invalid object from the API server/), expect.stringMatching(/^invalid object from the API server/),
    ]);
    expect(running!.agent.status().ready).toBe(true);
  });

  it('a standing warning (two pods on one address) is logged once, not at every change', async () => {
    seed();
    server.apply(pod('shop', 'stale', '10.244.1.2', { app: 'old' }));
    await start();
    await kernel.next(() => true);
    await watchesOpen();
    server.apply(pod('shop', 'late', '10.244.1.5'));
    await kernel.next((ir) => podKeys(ir).includes('shop/late'));
    const warned = logs.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warned).toEqual(['1 address is claimed by two or more running pods']);
  });

  it('410 Gone mid-run: the table stays in force, the relist brings what changed during the gap', async () => {
    seed();
    await start();
    await kernel.next(() => true);
    await watchesOpen();
    const before = kernel.applied.length;
    server.dropWatches();
    server.apply(denyAll('deny-web', 'web'));
    server.delete('Pod', 'shop', 'api');
    server.expireHistory();
    const after = await kernel.next((ir) => isolated(ir, 'shop/web') === true && !podKeys(ir).includes('shop/api'), before);
    expect(podKeys(after)).toEqual(['shop/db', 'shop/web']);
    expect(isolated(after, 'shop/db')).toBe(true);
    // Every apply since the gap is a whole cluster: nothing was applied from a partial picture.
    for (const ir of kernel.applied.slice(before)) expect(podKeys(ir)).toContain('shop/db');
    expect(logs.some((l) => typeof l.msg === 'string' && /^watch: .*(410|too old|Expired)/i.test(l.msg))).toBe(true);
    expect(running!.agent.status().ready).toBe(true);
  });
});
