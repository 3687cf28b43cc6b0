// RBAC proven, not assumed: the fake API server enforces the ClusterRole that
// helm renders from the chart (403 Forbidden for anything it does not grant, as
// kube-apiserver answers), and the real agent, started in-process with the flags
// the chart passes it and a recording kernel, runs its whole start-up (discovery
// and the lists of the four resources and of the three cluster-wide policy
// CRDs, installed here), its watches, a reconnect and a relist after 410 Gone
// against it. Not one request may be refused. A role missing one verb makes it
// fail.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Applier, ApplyOutcome } from '../../src/agent/applier.ts';
import { resolveAgentConfig, type AgentFlags } from '../../src/agent/config.ts';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import { FakeApiServer, writeFakeKubeconfig } from '../k8s/fake-api-server.ts';
import type { PolicyRule } from '../k8s/fake-rbac.ts';
import { adminNetworkPolicy, baselineAdminNetworkPolicy, clusterNetworkPolicy, namespace, node, pod, policy } from '../k8s/watch-events.ts';
import { findObject, renderChart, type Rendered } from './helm.ts';
import { agentArgs, subcommand } from './nftpol-commands.ts';

const USER = 'system:serviceaccount:kube-system:nftpol';
const CRDS = ['clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies'] as const;
const RESOURCES = ['namespaces', 'pods', 'networkpolicies', 'nodes', ...CRDS] as const;

/** A kernel that records the IRs it is given, and lets a test wait for one. */
class RecordingKernel implements Applier {
  readonly applied: NodeIR[] = [];
  private waiters: { match: (ir: NodeIR) => boolean; resolve: () => void }[] = [];

  async apply(ir: NodeIR): Promise<ApplyOutcome> {
    this.applied.push(ir);
    for (const w of this.waiters.filter((x) => x.match(ir))) w.resolve();
    this.waiters = this.waiters.filter((x) => !x.match(ir));
    return { ok: true, applied: true, attempts: 1, script: { kind: this.applied.length === 1 ? 'replace' : 'delta', bytes: 1 } };
  }

  async inSync(): Promise<boolean> {
    return true;
  }

  next(match: (ir: NodeIR) => boolean): Promise<void> {
    if (this.applied.some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching apply within 10 s (${this.applied.length} applied)`)), 10_000);
      this.waiters.push({ match, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }
}

let objects: Rendered[];
let server: FakeApiServer;
let kernel: RecordingKernel;
let running: RunningAgent | undefined;

const hasPod = (key: string) => (ir: NodeIR): boolean => ir.pods.some((p) => p.pod === key);
const hasClusterPolicy = (key: string) => (ir: NodeIR): boolean => (ir.clusterChains ?? []).some((c) => c.policy === key);
const isolated = (key: string) => (ir: NodeIR): boolean => ir.pods.find((p) => p.pod === key)?.ingress.isolated === true;

function chartRules(): PolicyRule[] {
  return (findObject(objects, 'ClusterRole') as unknown as { rules: PolicyRule[] }).rules;
}

/** The chart's rules with one verb taken away from one resource. */
function without(verb: string, resource: string): PolicyRule[] {
  return chartRules().flatMap((r) => {
    if (!(r.resources ?? []).includes(resource)) return [r];
    const others = (r.resources ?? []).filter((x) => x !== resource);
    return [
      ...(others.length > 0 ? [{ ...r, resources: others }] : []),
      { ...r, resources: [resource], verbs: r.verbs.filter((v) => v !== verb) },
    ];
  });
}

/** The agent as the chart runs it: its rendered flags, with the fake server's kubeconfig and a free port. */
async function startAgent(): Promise<RunningAgent> {
  const flags = await subcommand('agent').parse(agentArgs(objects)) as AgentFlags;
  const kubeconfig = await writeFakeKubeconfig(server);
  const resolved = await resolveAgentConfig({ ...flags, kubeconfig, listen: '127.0.0.1:0' }, { NODE_NAME: 'node-1' }, '/');
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  const logTo = new Writable({ write: (_chunk, _enc, done) => done() });
  running = await runAgent(resolved.config, { logTo, applier: kernel, watch: { backoff: { initialMs: 20, maxMs: 160, jitter: 0 } } });
  return running;
}

async function until(what: string, test: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s; last requests: ${server.requests.slice(-6).join('; ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const watchesOpen = (): Promise<void> => until('a watch of each resource', () => RESOURCES.every((r) => server.watchCount(r) === 1));

function seed(): void {
  server.apply(namespace('shop', { team: 'shop' }));
  server.apply(pod('shop', 'api', '10.244.1.2', { app: 'api' }));
  server.apply(pod('shop', 'db', '10.244.1.3', { app: 'db' }));
  server.apply(policy('shop', 'db-from-api'));
  server.apply(node('node-1', '10.244.1.0/24', '192.168.0.1'));
  server.installCrd(...CRDS);
  server.apply(clusterNetworkPolicy('deny-db', 'db'));
  server.apply(adminNetworkPolicy('deny-db-v1', 'db'));
  server.apply(baselineAdminNetworkPolicy('api'));
}

beforeEach(async () => {
  objects = await renderChart();
  server = await FakeApiServer.start();
  kernel = new RecordingKernel();
  running = undefined;
  seed();
});

afterEach(async () => {
  await running?.stop();
  await server.close();
});

describe('the agent under the ClusterRole the chart renders', () => {
  it('start-up, watches, a reconnect and a relist after 410 Gone: not one request forbidden', async () => {
    server.role = { user: USER, rules: chartRules() };
    await startAgent();
    await kernel.next(isolated('shop/db'));
    await kernel.next(hasClusterPolicy('cnp/deny-db'));
    await watchesOpen();
    server.apply(pod('shop', 'web', '10.244.1.4', { app: 'web' }));
    await kernel.next(hasPod('shop/web'));
    // Watches cut: the agent watches again from where it was.
    server.dropWatches();
    server.apply(pod('shop', 'late', '10.244.1.5', { app: 'web' }));
    await kernel.next(hasPod('shop/late'));
    await watchesOpen();
    // Watches cut and history gone: 410, then a new list of each resource.
    server.dropWatches();
    server.apply(pod('shop', 'after-gone', '10.244.1.6', { app: 'web' }));
    server.apply(clusterNetworkPolicy('after-gone', 'web'));
    server.expireHistory();
    await kernel.next(hasPod('shop/after-gone'));
    await kernel.next(hasClusterPolicy('cnp/after-gone'));
    await watchesOpen();
    expect(server.forbidden).toEqual([]);
    expect(running?.agent.status().ready).toBe(true);
    // The run exercised what the role must grant: a list and a watch of each resource, and a relist.
    for (const r of RESOURCES) {
      const mine = server.requests.filter((q) => new RegExp(`^GET /apis?/(v1|networking\\.k8s\\.io/v1|policy\\.networking\\.k8s\\.io/v1alpha[12])/${r}\\?`).test(q));
      expect(mine.filter((q) => !/watch=(true|1)/.test(q)).length, `lists of ${r}`).toBeGreaterThanOrEqual(2);
      expect(mine.filter((q) => /watch=(true|1)/.test(q)).length, `watches of ${r}`).toBeGreaterThanOrEqual(3);
    }
  });

  it('a role without watch on nodes: the agent\'s watch of nodes is refused, 403 as the API server says it', async () => {
    server.role = { user: USER, rules: without('watch', 'nodes') };
    await startAgent();
    await until('a refused request', () => server.forbidden.length > 0);
    expect(server.forbidden[0]).toMatch(/^GET \/api\/v1\/nodes\?.*watch=true.*: nodes is forbidden: User "system:serviceaccount:kube-system:nftpol" cannot watch resource "nodes" in API group "" at the cluster scope$/);
    expect(server.forbidden.every((f) => f.includes('/api/v1/nodes?'))).toBe(true);
  });

  it('a role without list on clusternetworkpolicies (an older ClusterRole): refused, the missing grant named, and nothing applied while the policies are unknown', async () => {
    server.role = { user: USER, rules: without('list', 'clusternetworkpolicies') };
    await startAgent();
    await until('a refused request', () => server.forbidden.length > 0);
    expect(server.forbidden[0]).toMatch(/clusternetworkpolicies\.policy\.networking\.k8s\.io is forbidden: .* cannot list resource "clusternetworkpolicies" in API group "policy.networking.k8s.io" at the cluster scope$/);
    expect(server.forbidden.every((f) => f.includes('/clusternetworkpolicies?'))).toBe(true);
    expect(kernel.applied).toEqual([]);
    const status = running?.agent.status();
    expect(status?.ready).toBe(false);
    expect(status?.source.resources?.find((r) => r.resource === 'clusternetworkpolicies')).toMatchObject({ state: 'listing', problem: expect.stringMatching(/HTTP 403: .*RBAC: the service account needs get, list and watch on it/) });
  });

  it('a role without list on networkpolicies: refused, and nothing is ever applied (the agent waits for every list)', async () => {
    server.role = { user: USER, rules: without('list', 'networkpolicies') };
    await startAgent();
    await until('a refused request', () => server.forbidden.length > 0);
    expect(server.forbidden[0]).toMatch(/networkpolicies\.networking\.k8s\.io is forbidden: .* cannot list resource "networkpolicies" in API group "networking.k8s.io" at the cluster scope$/);
    expect(kernel.applied).toEqual([]);
    expect(running?.agent.status().ready).toBe(false);
  });
});
