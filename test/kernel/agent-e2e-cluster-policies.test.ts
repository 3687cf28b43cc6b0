// End to end with cluster-wide policies: the fake API server with the
// policy.networking.k8s.io CRDs installed (ClusterNetworkPolicy v1alpha2,
// AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1) + two real
// `nftpol agent --source kubernetes` processes, one per node of a lab world
// (the same world and helpers as agent-e2e.test.ts). The agents find the
// CRDs by discovery and watch them; every step changes objects through the
// server, waits until both agents' kernels hold it (the revision names the
// resourceVersion of each resource, the cluster-wide kinds included), then
// probes every TCP flow between the lab's pods and requires the engine's
// verdict for what the server holds. Each step names a few flows it is
// about, so a step that changed nothing fails. The tests run in order on one
// shared world.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildWorld, cleanupOrphans, kernelPrerequisites, type World } from '../../src/lab/index.ts';
import { KIND_TO_RESOURCE } from '../k8s/fake-api-resources.ts';
import { FakeApiServer, writeFakeKubeconfig, type FakeResource, type KubeObject } from '../k8s/fake-api-server.ts';
import { describeRequiring } from '../support/describe-requiring.ts';
import { relayPrerequisites } from '../support/netns-relay.ts';
import { disagreements, engineVerdicts, initialObjects, NODES, podFlows, worldSpec, type Verdict } from './agent-e2e/cluster.ts';
import { API_PORT, NodeAgent, revisionCovers } from './agent-e2e/node-agent.ts';

const KINDS = ['Namespace', 'Node', 'Pod', 'NetworkPolicy', 'ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'] as const;
const V1ALPHA2 = 'policy.networking.k8s.io/v1alpha2';
const V1ALPHA1 = 'policy.networking.k8s.io/v1alpha1';

const app = (value: string): Record<string, unknown> => ({ matchLabels: { app: value } });
const ns = (name: string): Record<string, unknown> => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });
const policy = (id: string, spec: Record<string, unknown>): KubeObject => {
  const [namespace, name] = id.split('/') as [string, string];
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec };
};
const cnp = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: V1ALPHA2, kind: 'ClusterNetworkPolicy', metadata: { name }, spec });
const anp = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: V1ALPHA1, kind: 'AdminNetworkPolicy', metadata: { name }, spec });
const banp = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: V1ALPHA1, kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'default' }, spec });

await describeRequiring('kernel', async () => [...(await kernelPrerequisites()), ...(await relayPrerequisites())],
  'nftpol agent --source kubernetes with cluster-wide policy CRDs, on two lab nodes', () => {
    let world: World;
    let server: FakeApiServer;
    let agents: NodeAgent[] = [];
    let dir: string;
    const written: Partial<Record<FakeResource, number>> = {};

    const apply = (obj: KubeObject): void => {
      const stored = server.apply(obj);
      written[KIND_TO_RESOURCE[obj.kind as string] as FakeResource] = Number(stored.metadata?.resourceVersion);
    };
    const remove = (kind: string, id: string): void => {
      const [namespace, name] = id.includes('/') ? (id.split('/') as [string, string]) : [undefined, id];
      expect(server.delete(kind, namespace, name), `delete ${kind} ${id}`).toBe(true);
      written[KIND_TO_RESOURCE[kind] as FakeResource] = Number(server.resourceVersion);
    };
    const transcripts = (): string => agents.map((a) => `--- agent on ${a.node}:\n${a.transcript().split('\n').slice(-40).join('\n')}`).join('\n');
    const until = async (what: string, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${transcripts()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const inKernels = (timeoutMs?: number): Promise<void> => until(`both kernels to include ${JSON.stringify(written)}`, async () => {
      const all = await Promise.all(agents.map((a) => a.status()));
      return all.every((s) => s !== undefined && s.ready && s.kernel.lastSync?.result !== 'failed' && revisionCovers(s.kernel.revision, written));
    }, timeoutMs);
    const kernelMatchesEngine = async (): Promise<ReadonlyMap<string, Verdict>> => {
      const flows = podFlows();
      const expected = engineVerdicts(KINDS.flatMap((k) => server.all(k)), flows);
      expect(disagreements(await world.probeAll(flows), expected)).toEqual([]);
      return expected;
    };
    /** How many scripts of a kind (replace: the whole table; delta) the agent wrote. */
    const scripts = async (a: NodeAgent, kind: 'replace' | 'delta'): Promise<number> => {
      const line = (await a.get('/metrics')).body.split('\n').find((l) => l.startsWith(`nftpol_sync_script_bytes_count{script="${kind}"} `));
      return Number(line?.split(' ').pop());
    };
    const pick = (verdicts: ReadonlyMap<string, Verdict>, names: readonly string[]): Record<string, Verdict | undefined> =>
      Object.fromEntries(names.map((n) => [n, verdicts.get(n)]));

    beforeAll(async () => {
      await cleanupOrphans();
      dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-e2e-cnp-'));
      world = await buildWorld(worldSpec());
      server = await FakeApiServer.start({ socketPath: path.join(dir, 'api.sock') });
      server.installCrd('clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies');
      for (const o of initialObjects()) apply(o);
      // v1alpha1 Admin: nothing of namespace y reaches a db pod.
      apply(anp('y-not-to-db', { priority: 20, subject: { pods: { namespaceSelector: {}, podSelector: app('db') } }, ingress: [{ name: 'deny-y', action: 'Deny', from: [{ namespaces: ns('y') }] }] }));
      const kubeconfig = await writeFakeKubeconfig({ url: `http://127.0.0.1:${API_PORT}` }, dir);
      agents = await Promise.all(NODES.map((n) => NodeAgent.start({
        node: n.name, netnsPrefix: world.nodeCommandPrefix(n.name), apiSocket: path.join(dir, 'api.sock'), kubeconfig, dir,
      })));
      await inKernels(30_000);
    });

    afterAll(async () => {
      const codes = await Promise.all(agents.map((a) => a.stop()));
      await server?.close();
      await world?.destroy();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      expect(codes).toEqual(agents.map(() => 0));
    });

    it('discovers the CRDs and enforces the AdminNetworkPolicy of the first list', async () => {
      for (const a of agents) expect(a.logged('AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) is served by the API server: watching it').length).toBe(1);
      expect(pick(await kernelMatchesEngine(), ['y/a -> x/a:80', 'x/b -> x/a:80', 'y/a -> x/b:80'])).toEqual({
        'y/a -> x/a:80': 'deny', 'x/b -> x/a:80': 'allow', 'y/a -> x/b:80': 'allow',
      });
    });

    it('an Admin Accept decides before a NetworkPolicy that denies; changed to Pass, the NetworkPolicy decides', async () => {
      apply(policy('x/db-closed', { podSelector: app('db'), policyTypes: ['Ingress'] }));
      apply(cnp('x-api-to-db', {
        tier: 'Admin', priority: 5, subject: { pods: { podSelector: app('db') } },
        ingress: [{ name: 'x-api', action: 'Accept', from: [{ pods: { namespaceSelector: ns('x'), podSelector: app('api') } }], protocols: [{ tcp: { destinationPort: { number: 80 } } }] }],
      }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/b -> x/a:80', 'x/b -> x/a:81', 'x/c -> x/a:80', 'y/a -> x/a:80'])).toEqual({
        'x/b -> x/a:80': 'allow', 'x/b -> x/a:81': 'deny', 'x/c -> x/a:80': 'deny', 'y/a -> x/a:80': 'deny',
      });
      apply(cnp('x-api-to-db', {
        tier: 'Admin', priority: 5, subject: { pods: { podSelector: app('db') } },
        ingress: [{ name: 'x-api', action: 'Pass', from: [{ pods: { namespaceSelector: ns('x'), podSelector: app('api') } }] }],
      }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/b -> x/a:80', 'y/a -> x/a:80'])).toEqual({ 'x/b -> x/a:80': 'deny', 'y/a -> x/a:80': 'deny' });
    });

    it('a Baseline deny holds for pods no NetworkPolicy isolates, and a NetworkPolicy overrides it; an egress networks Deny', async () => {
      apply(banp({ subject: { pods: { namespaceSelector: {}, podSelector: app('web') } }, ingress: [{ name: 'deny-all', action: 'Deny', from: [{ namespaces: {} }] }] }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/b -> x/c:80', 'y/a -> y/b:80', 'x/b -> y/a:80'])).toEqual({
        'x/b -> x/c:80': 'deny', 'y/a -> y/b:80': 'deny', 'x/b -> y/a:80': 'allow',
      });
      apply(policy('y/web-open', { podSelector: app('web'), ingress: [{}] }));
      apply(cnp('web-not-to-node-2', {
        tier: 'Admin', priority: 30, subject: { pods: { podSelector: app('web') } },
        egress: [{ name: 'node-2-pods', action: 'Deny', to: [{ networks: ['10.244.2.0/24'] }] }],
      }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/a -> y/b:80', 'x/b -> x/c:80', 'y/b -> x/c:80', 'y/b -> x/b:80'])).toEqual({
        'y/a -> y/b:80': 'allow', 'x/b -> x/c:80': 'deny', 'y/b -> x/c:80': 'deny', 'y/b -> x/b:80': 'allow',
      });
    });

    it('cluster-wide policies deleted: their rules leave both kernels; every change so far was a delta', async () => {
      remove('ClusterNetworkPolicy', 'web-not-to-node-2');
      remove('AdminNetworkPolicy', 'y-not-to-db');
      remove('BaselineAdminNetworkPolicy', 'default');
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/b -> x/c:80', 'x/b -> x/c:80', 'y/a -> x/a:80'])).toEqual({
        'y/b -> x/c:80': 'allow', 'x/b -> x/c:80': 'allow', 'y/a -> x/a:80': 'deny',
      });
      // The first sync replaced the table; each change since that touched a node (cluster-wide policies added, changed, deleted) was a delta the kernel took.
      for (const a of agents) {
        expect(await scripts(a, 'replace'), `replaces by the agent on ${a.node}`).toBe(1);
        expect(await scripts(a, 'delta'), `deltas by the agent on ${a.node}`).toBeGreaterThanOrEqual(2);
      }
    });

    it('an invalid ClusterNetworkPolicy fails closed for its subjects; both agents keep running and count it', async () => {
      const rejected = await Promise.all(agents.map((a) => a.metric('nftpol_objects_rejected_total')));
      // Priority out of range: the policy denies its subjects' ingress (the direction it has rules in) at the Admin tier.
      apply(cnp('broken', { tier: 'Admin', priority: 2000, subject: { pods: { podSelector: app('api') } }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }] }] }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/c -> x/b:80', 'x/c -> y/a:81', 'x/b -> x/c:80'])).toEqual({
        'x/c -> x/b:80': 'deny', 'x/c -> y/a:81': 'deny', 'x/b -> x/c:80': 'allow',
      });
      for (const [i, a] of agents.entries()) {
        expect(a.running).toBe(true);
        expect(await a.get('/readyz')).toEqual({ status: 200, body: 'ok\n' });
        expect(await a.metric('nftpol_objects_rejected_total')).toBe((rejected[i] ?? Number.NaN) + 1);
      }
      remove('ClusterNetworkPolicy', 'broken');
      await inKernels();
    });

    it('after 410 Gone both agents relist the cluster-wide policies changed in the gap', async () => {
      // Every resource gets an event, so each watch resumes from before the gap (a 410 after restart()).
      for (const kind of ['NetworkPolicy', 'Pod', 'Namespace', 'ClusterNetworkPolicy', 'Node'] as const) {
        const first = server.all(kind)[0];
        if (first !== undefined) apply(first);
      }
      await inKernels();
      const mark = server.requests.length;
      server.restart();
      apply(cnp('x-closed-to-y', { tier: 'Admin', priority: 1, subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: ns('y') }] }] }));
      remove('ClusterNetworkPolicy', 'x-api-to-db');
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/a -> x/b:80', 'y/b -> x/c:81', 'x/b -> x/a:80'])).toEqual({
        'y/a -> x/b:80': 'deny', 'y/b -> x/c:81': 'deny', 'x/b -> x/a:80': 'deny',
      });
      const lists = server.requests.slice(mark).filter((r) => r.startsWith('GET /apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies?') && !r.includes('watch=true'));
      expect(lists.length).toBe(agents.length);
    });
  });
