// End to end with cluster-wide policies: the fake API server with the
// policy.networking.k8s.io CRDs installed (ClusterNetworkPolicy v1alpha2,
// AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1) + two real
// `nftpol agent --source kubernetes` processes, one per node of a lab world
// (the same world and set-up as agent-e2e.test.ts: agent-e2e/e2e-run.ts).
// The agents find the CRDs by discovery and watch them; every step changes
// objects through the server, waits until both agents' kernels hold it (the
// revision names the resourceVersion of each resource, the cluster-wide kinds
// included), then probes every TCP flow between the lab's pods and requires
// the engine's verdict for what the server holds. Each step names a few flows
// it is about, so a step that changed nothing fails. The tests run in order on
// one shared world.
import { expect, it } from 'vitest';
import { kernelPrerequisites } from '../../src/lab/index.ts';
import type { KubeObject } from '../k8s/fake-api-server.ts';
import { describeRequiring } from '../support/describe-requiring.ts';
import { relayPrerequisites } from '../support/netns-relay.ts';
import { e2eRun, pick } from './agent-e2e/e2e-run.ts';
import type { NodeAgent } from './agent-e2e/node-agent.ts';

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
    const run = e2eRun({
      kinds: KINDS, tmpPrefix: 'nftpol-agent-e2e-cnp-',
      beforeAgents: ({ server, apply }) => {
        server.installCrd('clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies');
        // v1alpha1 Admin: nothing of namespace y reaches a db pod.
        apply(anp('y-not-to-db', { priority: 20, subject: { pods: { namespaceSelector: {}, podSelector: app('db') } }, ingress: [{ name: 'deny-y', action: 'Deny', from: [{ namespaces: ns('y') }] }] }));
      },
    });
    const { apply, remove, inKernels, kernelMatchesEngine } = run;
    /** How many scripts of a kind (replace: the whole table; delta) the agent wrote. */
    const scripts = async (a: NodeAgent, kind: 'replace' | 'delta'): Promise<number> => {
      const line = (await a.get('/metrics')).body.split('\n').find((l) => l.startsWith(`nftpol_sync_script_bytes_count{script="${kind}"} `));
      return Number(line?.split(' ').pop());
    };

    it('discovers the CRDs and enforces the AdminNetworkPolicy of the first list', async () => {
      for (const a of run.agents) expect(a.logged('AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) is served by the API server: watching it').length).toBe(1);
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
      for (const a of run.agents) {
        expect(await scripts(a, 'replace'), `replaces by the agent on ${a.node}`).toBe(1);
        expect(await scripts(a, 'delta'), `deltas by the agent on ${a.node}`).toBeGreaterThanOrEqual(2);
      }
    });

    it('an invalid ClusterNetworkPolicy fails closed for its subjects; both agents keep running and count it', async () => {
      const rejected = await Promise.all(run.agents.map((a) => a.metric('nftpol_objects_rejected_total')));
      // Priority out of range: the policy denies its subjects' ingress (the direction it has rules in) at the Admin tier.
      apply(cnp('broken', { tier: 'Admin', priority: 2000, subject: { pods: { podSelector: app('api') } }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }] }] }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/c -> x/b:80', 'x/c -> y/a:81', 'x/b -> x/c:80'])).toEqual({
        'x/c -> x/b:80': 'deny', 'x/c -> y/a:81': 'deny', 'x/b -> x/c:80': 'allow',
      });
      for (const [i, a] of run.agents.entries()) {
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
        const first = run.server.all(kind)[0];
        if (first !== undefined) apply(first);
      }
      await inKernels();
      const mark = run.server.requests.length;
      run.server.restart();
      apply(cnp('x-closed-to-y', { tier: 'Admin', priority: 1, subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: ns('y') }] }] }));
      remove('ClusterNetworkPolicy', 'x-api-to-db');
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/a -> x/b:80', 'y/b -> x/c:81', 'x/b -> x/a:80'])).toEqual({
        'y/a -> x/b:80': 'deny', 'y/b -> x/c:81': 'deny', 'x/b -> x/a:80': 'deny',
      });
      const lists = run.server.requests.slice(mark).filter((r) => r.startsWith('GET /apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies?') && !r.includes('watch=true'));
      expect(lists.length).toBe(run.agents.length);
    });
  });
