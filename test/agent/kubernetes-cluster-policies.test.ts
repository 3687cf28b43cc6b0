// The agent --source kubernetes and the cluster-wide policy CRDs, against the
// fake API server through the real @kubernetes/client-node, with a recording
// kernel: absent CRDs are no error (said once, at info); present ones (both
// API versions at once) reach the node's IR as a fresh compile of the
// server's state would have them, through add, modify, delete, a CRD
// installed after start, 410 Gone, and an invalid object failing closed.
// /status and the metrics say which kinds are watched.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../../src/agent/config.ts';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import { loadFromCluster } from '../../src/k8s/live-objects.ts';
import { FakeApiServer, writeFakeKubeconfig } from '../k8s/fake-api-server.ts';
import { adminNetworkPolicy, baselineAdminNetworkPolicy, clusterNetworkPolicy, namespace, node, pod, policy } from '../k8s/watch-events.ts';
import { RecordingKernel } from './recording-kernel.ts';

const CRDS = ['clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies'] as const;

let server: FakeApiServer;
let kernel: RecordingKernel;
let running: RunningAgent | undefined;
let logs: Record<string, unknown>[];
let kubeconfig: string;

async function start(): Promise<RunningAgent> {
  kubeconfig = await writeFakeKubeconfig(server);
  const resolved = await resolveAgentConfig({
    source: 'kubernetes', kubeconfig, node: 'node-1', listen: '127.0.0.1:0', reconcileInterval: '0', staleAfter: '0', coalesceMs: '5',
  }, {}, '/');
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  const logTo = new Writable({ write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter((l) => l !== '')) logs.push(JSON.parse(line) as Record<string, unknown>);
    done();
  } });
  running = await runAgent(resolved.config, { logTo, applier: kernel, watch: { backoff: { initialMs: 20, maxMs: 160, jitter: 0 }, discoveryIntervalMs: 30 } });
  return running;
}

/** The IR a fresh compile of what the server holds now gives (read with live mode's one-shot list). */
async function freshIR(): Promise<NodeIR> {
  const { objects, problems } = await loadFromCluster({ kubeconfig });
  // A cluster-wide policy with errors is in the objects, failing closed: its errors are expected.
  expect(problems.filter((p) => p.severity === 'error' && p.kind !== 'ClusterNetworkPolicy')).toEqual([]);
  const r = compileForNode(objects, 'node-1', { place: false });
  if (!r.ok) throw new Error('node-1 unknown');
  return r.ir;
}

/** Waits for the kernel to hold what a fresh compile of the server's state gives, and returns it. */
async function settled(from = 0): Promise<NodeIR> {
  const want = await freshIR();
  return kernel.next((ir) => JSON.stringify(ir) === JSON.stringify(want), from);
}

const chainsOf = (ir: NodeIR): string[] => [...new Set((ir.clusterChains ?? []).map((c) => `${c.policy} ${c.tier}${c.failClosed ? ' failClosed' : ''}`))].sort();

async function metricLines(name: string): Promise<string[]> {
  return (await running!.metrics.text()).split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function seed(): void {
  server.apply(namespace('shop', { team: 'shop' }));
  server.apply(pod('shop', 'api', '10.244.1.2', { app: 'api' }));
  server.apply(pod('shop', 'db', '10.244.1.3', { app: 'db' }));
  server.apply(policy('shop', 'db-from-api'));
  server.apply({ ...node('node-1', '10.244.1.0/24', '192.168.0.1'), metadata: { name: 'node-1', labels: { zone: 'a' } } });
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  kernel = new RecordingKernel();
  logs = [];
  running = undefined;
  seed();
});

afterEach(async () => {
  await running?.stop();
  await server.close();
});

describe('agent --source kubernetes without the CRDs', () => {
  it('runs, says once at info that each kind is not served, never an error; /status and metrics say what is watched', async () => {
    await start();
    const first = await settled();
    expect(first.clusterChains).toBeUndefined();
    // Discovery is asked every 30 ms here: several more times, and nothing more is said.
    const asked = (): number => server.requests.filter((r) => r.startsWith('GET /apis/policy.networking.k8s.io/v1alpha')).length;
    const deadline = Date.now() + 10_000;
    while (asked() < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const notServed = logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('not served'));
    expect(notServed.map((l) => [l.level, l.msg])).toEqual([
      [30, 'ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) is not served by the API server: not watching it (asked again every 30 ms)'],
      [30, 'AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) is not served by the API server: not watching it (asked again every 30 ms)'],
      [30, 'BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) is not served by the API server: not watching it (asked again every 30 ms)'],
    ]);
    expect(logs.filter((l) => (l.level as number) >= 40)).toEqual([]);
    const st = running!.agent.status();
    expect(st.ready).toBe(true);
    expect(st.source.resources?.map((r) => `${r.resource} ${r.apiVersion} ${r.state}`)).toEqual([
      'namespaces v1 watching', 'pods v1 watching', 'networkpolicies networking.k8s.io/v1 watching', 'nodes v1 watching',
      'clusternetworkpolicies policy.networking.k8s.io/v1alpha2 not served', 'adminnetworkpolicies policy.networking.k8s.io/v1alpha1 not served',
      'baselineadminnetworkpolicies policy.networking.k8s.io/v1alpha1 not served',
    ]);
    expect(await metricLines('nftpol_resource_watched')).toEqual(expect.arrayContaining([
      'nftpol_resource_watched{resource="pods",api_version="v1"} 1',
      'nftpol_resource_watched{resource="clusternetworkpolicies",api_version="policy.networking.k8s.io/v1alpha2"} 0',
    ]));
  });

  it('a CRD installed after start: its policies reach the node at the next discovery', async () => {
    await start();
    await settled();
    server.installCrd('clusternetworkpolicies');
    server.apply(clusterNetworkPolicy('deny-db', 'db'));
    const ir = await settled(kernel.applied.length);
    expect(chainsOf(ir)).toEqual(['cnp/deny-db Admin']);
    expect(logs.some((l) => l.msg === 'ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) is served by the API server: watching it')).toBe(true);
    expect(running!.agent.status().source.resources?.find((r) => r.resource === 'clusternetworkpolicies')?.state).toBe('watching');
  });
});

describe('agent --source kubernetes with the CRDs of both API versions', () => {
  beforeEach(() => {
    server.installCrd(...CRDS);
    server.apply(adminNetworkPolicy('deny-db-v1', 'db', 'Deny', 20));
    server.apply(baselineAdminNetworkPolicy('api'));
  });

  it('a ClusterNetworkPolicy added, changed and deleted: each reaches the node as a fresh compile has it', async () => {
    await start();
    const first = await settled();
    expect(chainsOf(first)).toEqual(['anp/deny-db-v1 Admin', 'banp/default Baseline']);
    expect(running!.agent.status().source.revision).toMatch(/^namespaces=\d+,pods=\d+,networkpolicies=\d+,nodes=\d+,clusternetworkpolicies=\d+,adminnetworkpolicies=\d+,baselineadminnetworkpolicies=\d+$/);

    server.apply(clusterNetworkPolicy('db-admin', 'db', 'Accept', 'Admin', 5));
    const added = await settled(kernel.applied.length);
    expect(chainsOf(added)).toEqual(['anp/deny-db-v1 Admin', 'banp/default Baseline', 'cnp/db-admin Admin']);
    // Now at the Baseline tier, for api (db is isolated by a NetworkPolicy: Baseline would not apply to it).
    server.apply(clusterNetworkPolicy('db-admin', 'api', 'Deny', 'Baseline', 5));
    const changed = await settled(kernel.applied.length);
    expect(chainsOf(changed)).toEqual(['anp/deny-db-v1 Admin', 'banp/default Baseline', 'cnp/db-admin Baseline']);
    server.delete('ClusterNetworkPolicy', undefined, 'db-admin');
    const deleted = await settled(kernel.applied.length);
    expect(chainsOf(deleted)).toEqual(['anp/deny-db-v1 Admin', 'banp/default Baseline']);
    expect(await metricLines('nftpol_resource_watched')).toEqual(expect.arrayContaining([
      'nftpol_resource_watched{resource="clusternetworkpolicies",api_version="policy.networking.k8s.io/v1alpha2"} 1',
      'nftpol_resource_watched{resource="adminnetworkpolicies",api_version="policy.networking.k8s.io/v1alpha1"} 1',
    ]));
    expect(logs.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });

  it('410 Gone: the relist brings the cluster-wide policies changed in the gap', async () => {
    await start();
    await settled();
    const before = kernel.applied.length;
    server.dropWatches();
    server.apply(clusterNetworkPolicy('in-the-gap', 'api'));
    server.delete('AdminNetworkPolicy', undefined, 'deny-db-v1');
    server.expireHistory();
    const after = await settled(before);
    expect(chainsOf(after)).toEqual(['banp/default Baseline', 'cnp/in-the-gap Admin']);
    expect(logs.some((l) => typeof l.msg === 'string' && /^watch: clusternetworkpolicies: .*too old/.test(l.msg))).toBe(true);
  });

  it('an invalid ClusterNetworkPolicy fails closed, is logged and counted as an invalid NetworkPolicy is', async () => {
    await start();
    await settled();
    // Out of range: the policy fails closed, denying its subjects' ingress (the direction it has rules in) at its tier.
    const broken = clusterNetworkPolicy('broken', 'db', 'Accept');
    server.apply({ ...broken, spec: { ...(broken.spec as object), priority: 2000 } });
    const ir = await settled(kernel.applied.length);
    expect(chainsOf(ir)).toContain('cnp/broken Admin failClosed');
    const errors = logs.filter((l) => l.level === 50);
    expect(errors.map((l) => l.msg)).toEqual([expect.stringMatching(/^invalid object from the API server/)]);
    expect(JSON.stringify(errors[0]?.problems)).toMatch(/ClusterNetworkPolicy broken.*spec\.priority/);
    expect((await metricLines('nftpol_objects_rejected_total'))).toEqual(['nftpol_objects_rejected_total 1']);
    expect(running!.agent.status().ready).toBe(true);
  });
});
