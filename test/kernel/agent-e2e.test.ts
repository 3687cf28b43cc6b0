// End to end: the fake API server (test/k8s/fake-api-server.ts) + two real
// `nftpol agent --source kubernetes` processes + the kernel lab. One lab
// world of two canal-style nodes; one agent per node, each in its node's
// network namespace (it writes that node's table), both watching ONE fake API
// server that holds the world's Namespaces, Nodes (pod CIDRs), Pods (lab
// addresses, nodeName) and NetworkPolicies. The server listens on a Unix
// socket; a socat relay in each node's namespace makes it 127.0.0.1:6443
// there, and another relays the agent's endpoints back to a socket of the
// test (test/kernel/agent-e2e/node-agent.ts).
//
// Every check: change objects through the server, poll both agents' /status
// until their kernel revision includes the change (the resourceVersion of the
// last write of each resource; never a fixed sleep), then probe every TCP flow
// between the lab's pods once and require the engine's verdict for what the
// server now holds (test/kernel/agent-e2e/cluster.ts). Each step also names a
// few flows whose verdict it is about, so a step that changed nothing (or an
// oracle that says allow to everything) fails. The world is shared: the tests
// run in order and each starts from the state the one before left.
import { expect, it } from 'vitest';
import { kernelPrerequisites } from '../../src/lab/index.ts';
import type { KubeObject } from '../k8s/fake-api-server.ts';
import { describeRequiring } from '../support/describe-requiring.ts';
import { relayPrerequisites } from '../support/netns-relay.ts';
import { labPod, podObject } from './agent-e2e/cluster.ts';
import { e2eRun, pick } from './agent-e2e/e2e-run.ts';

const KINDS = ['Namespace', 'Node', 'Pod', 'NetworkPolicy'] as const;

const policy = (id: string, spec: Record<string, unknown>): KubeObject => {
  const [namespace, name] = id.split('/') as [string, string];
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec };
};
const app = (value: string): Record<string, unknown> => ({ matchLabels: { app: value } });

await describeRequiring('kernel', async () => [...(await kernelPrerequisites()), ...(await relayPrerequisites())],
  'nftpol agent --source kubernetes on two lab nodes, one fake API server', () => {
    const run = e2eRun({ kinds: KINDS, tmpPrefix: 'nftpol-agent-e2e-' });
    const { apply, remove, until, inKernels, kernelMatchesEngine } = run;
    const podLabels = (id: string, labels: Record<string, string>): void => {
      const p = labPod(id);
      apply(podObject(id, p.node, p.ip, labels));
    };
    /**
     * Every resource gets an event (an object re-applied as it is: MODIFIED,
     * a new resourceVersion, the same table). A reflector resets its backoff
     * streak on a watch event; without this, the faults of the tests before
     * would add up in the backoff (0.8 s doubling, reset only after two quiet
     * minutes) and a fault test would mostly wait. The Node goes last, so
     * every other resource's last resourceVersion is older than the newest
     * write: a resume from it after expireHistory() is 410 Gone.
     */
    const touchAll = async (): Promise<void> => {
      for (const kind of ['NetworkPolicy', 'Pod', 'Namespace', 'Node'] as const) {
        const first = run.server.all(kind)[0];
        if (first !== undefined) apply(first);
      }
      await inKernels();
    };

    it('enforces the world of the first list: every pod open, the address of a pod the server does not know yet closed', async () => {
      const v = await kernelMatchesEngine();
      expect(pick(v, ['x/b -> x/a:80', 'y/a -> x/b:81', 'x/a -> x/d:80', 'x/d -> y/a:80'])).toEqual({
        'x/b -> x/a:80': 'allow', 'y/a -> x/b:81': 'allow', 'x/a -> x/d:80': 'deny', 'x/d -> y/a:80': 'deny',
      });
    });

    it('follows policies, pods, pod labels and namespace labels as they are created, changed and deleted', async () => {
      // A policy and a pod created: only api pods of x reach x's db, on its "http" port.
      apply(policy('x/db-ingress', { podSelector: app('db'), ingress: [{ from: [{ podSelector: app('api') }], ports: [{ port: 'http' }] }] }));
      podLabels('x/d', { app: 'api' });
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/b -> x/a:80', 'x/b -> x/a:81', 'x/d -> x/a:80', 'x/c -> x/a:80', 'y/a -> x/a:80'])).toEqual({
        'x/b -> x/a:80': 'allow', 'x/b -> x/a:81': 'deny', 'x/d -> x/a:80': 'allow', 'x/c -> x/a:80': 'deny', 'y/a -> x/a:80': 'deny',
      });

      // The policy changed (a second peer: api pods of team=blue namespaces; port 81 too) and a pod relabelled web -> api.
      apply(policy('x/db-ingress', {
        podSelector: app('db'),
        ingress: [{ from: [{ podSelector: app('api') }, { namespaceSelector: { matchLabels: { team: 'blue' } }, podSelector: app('api') }], ports: [{ port: 'http' }, { port: 81 }] }],
      }));
      podLabels('x/c', { app: 'api' });
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/c -> x/a:80', 'x/c -> x/a:81', 'y/a -> x/a:80'])).toEqual({
        'x/c -> x/a:80': 'allow', 'x/c -> x/a:81': 'allow', 'y/a -> x/a:80': 'deny',
      });

      // A namespace label: y becomes team=blue, so its api pod (not its web pod) reaches the db.
      apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'y', labels: { 'kubernetes.io/metadata.name': 'y', team: 'blue' } } });
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/a -> x/a:80', 'y/a -> x/a:81', 'y/b -> x/a:80'])).toEqual({
        'y/a -> x/a:80': 'allow', 'y/a -> x/a:81': 'allow', 'y/b -> x/a:80': 'deny',
      });

      // An egress policy for all of y (only to namespace x), and a pod deleted: its address is closed again.
      apply(policy('y/egress-to-x', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } } }] }] }));
      remove('Pod', 'x/d');
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/b -> x/c:80', 'y/b -> y/a:80', 'y/a -> x/b:81', 'x/b -> x/d:80', 'x/d -> x/a:80'])).toEqual({
        'y/b -> x/c:80': 'allow', 'y/b -> y/a:80': 'deny', 'y/a -> x/b:81': 'allow', 'x/b -> x/d:80': 'deny', 'x/d -> x/a:80': 'deny',
      });

      // Policies deleted and the namespace label taken away: open again.
      remove('NetworkPolicy', 'x/db-ingress');
      remove('NetworkPolicy', 'y/egress-to-x');
      apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'y', labels: { 'kubernetes.io/metadata.name': 'y' } } });
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/b -> x/a:80', 'y/b -> y/a:80', 'x/c -> x/a:81'])).toEqual({
        'y/b -> x/a:80': 'allow', 'y/b -> y/a:80': 'allow', 'x/c -> x/a:81': 'allow',
      });
    });

    it('a dropped watch resumes where it was: a change made while it was cut and one made after it reopened both reach the kernel', async () => {
      const mark = run.server.requests.length;
      run.server.dropWatches();
      // In the gap (nothing can reconnect between these two lines): every pod of y isolated for ingress.
      apply(policy('y/deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }));
      await until('every watch of both agents to be open again', async () =>
        (['namespaces', 'pods', 'networkpolicies', 'nodes'] as const).every((r) => run.server.watchCount(r) === run.agents.length));
      apply(policy('y/allow-from-api', { podSelector: {}, ingress: [{ from: [{ podSelector: app('api') }] }] }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/a -> y/b:80', 'y/b -> y/a:80', 'x/b -> y/a:81'])).toEqual({
        'y/a -> y/b:80': 'allow', 'y/b -> y/a:80': 'deny', 'x/b -> y/a:81': 'deny',
      });
      // Resumed from the last resourceVersion (the history still had it): watches only, no list.
      expect(run.server.requests.slice(mark).filter((r) => !r.includes('watch=true'))).toEqual([]);
    });

    it('after 410 Gone both agents relist, and changes made in the gap reach the kernel', async () => {
      await touchAll();
      const mark = run.server.requests.length;
      const logMarks = run.agents.map((a) => a.logs.length);
      // restart(): watches cut, and no resume possible (the history is gone): a resume from before it is 410.
      run.server.restart();
      podLabels('y/b', { app: 'api' });
      remove('NetworkPolicy', 'y/deny-ingress');
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/b -> y/a:80', 'y/a -> y/b:81', 'x/b -> y/b:80'])).toEqual({
        'y/b -> y/a:80': 'allow', 'y/a -> y/b:81': 'allow', 'x/b -> y/b:80': 'deny',
      });
      // The two resources that changed in the gap were listed again, once by each agent, after the 410.
      const lists = (p: string): number => run.server.requests.slice(mark).filter((r) => r.startsWith(`GET ${p}?`) && !r.includes('watch=true')).length;
      expect([lists('/api/v1/pods'), lists('/apis/networking.k8s.io/v1/networkpolicies')]).toEqual([run.agents.length, run.agents.length]);
      for (const [i, a] of run.agents.entries()) {
        expect(a.logged('watch: pods: too old resource version', logMarks[i]).length, `agent on ${a.node} logs the 410`).toBeGreaterThan(0);
      }
    });

    it('API server down: the tables keep enforcing, /readyz stays 200, and changes made after it comes back reach the kernel', async () => {
      await touchAll();
      const before = await Promise.all(run.agents.map(async (a) => (await a.status())?.kernel.revision));
      const logMarks = run.agents.map((a) => a.logs.length);
      await run.server.goDown();
      try {
        // Down for a while: until each agent has tried again after the cut, and failed (a second trouble line for one resource).
        await until('each agent to fail a retry while the server is down', async () => run.agents.every((a, i) => {
          const perResource = new Map<string, number>();
          for (const l of a.logged('watch: ', logMarks[i])) {
            const r = l.msg.split(':')[1] ?? '';
            perResource.set(r, (perResource.get(r) ?? 0) + 1);
          }
          return [...perResource.values()].some((n) => n >= 2);
        }));
        await kernelMatchesEngine();
        for (const [i, a] of run.agents.entries()) {
          // docs/agent.md: /readyz is about the table in force, written and confirmed; an unreachable source is a log line.
          expect(await a.get('/readyz')).toEqual({ status: 200, body: 'ok\n' });
          expect((await a.status())?.kernel.revision).toBe(before[i]);
        }
      } finally {
        await run.server.comeBack(); // whatever failed, the tests after this one get a server
      }
      remove('NetworkPolicy', 'y/allow-from-api');
      apply(policy('x/db-from-x', { podSelector: app('db'), ingress: [{ from: [{ podSelector: {} }] }] }));
      // The agents reconnect at their next retry: up to a few seconds of backoff.
      await inKernels(30_000);
      expect(pick(await kernelMatchesEngine(), ['y/a -> x/a:80', 'x/c -> x/a:80', 'x/b -> y/a:80'])).toEqual({
        'y/a -> x/a:80': 'deny', 'x/c -> x/a:80': 'allow', 'x/b -> y/a:80': 'allow',
      });
    });

    it('a malformed policy fails closed for the pods it selects; both agents keep running and count it', async () => {
      const rejected = await Promise.all(run.agents.map((a) => a.metric('nftpol_objects_rejected_total')));
      // An invalid CIDR in one rule, and a sound rule that allows every pod: the whole policy fails closed
      // (DESIGN invariant 4), so neither rule opens anything. Leaving out only the broken rule would open y to all.
      apply(policy('y/bad-cidr', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/33' } }] }, { from: [{ namespaceSelector: {} }] }] }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['x/b -> y/a:80', 'y/b -> y/a:81', 'y/a -> x/c:80'])).toEqual({
        'x/b -> y/a:80': 'deny', 'y/b -> y/a:81': 'deny', 'y/a -> x/c:80': 'allow',
      });
      for (const [i, a] of run.agents.entries()) {
        expect(a.running).toBe(true);
        expect(await a.get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
        expect(await a.get('/readyz')).toEqual({ status: 200, body: 'ok\n' });
        expect(await a.metric('nftpol_objects_rejected_total')).toBe((rejected[i] ?? Number.NaN) + 1);
      }
    });

    it('an address reused by a new pod with other labels: traffic to and from it follows the new pod', async () => {
      // x's api pods take only x's traffic; x's web pods may send nothing. x/b (api) holds 10.244.1.11.
      apply(policy('x/api-from-x', { podSelector: app('api'), ingress: [{ from: [{ podSelector: {} }] }] }));
      apply(policy('x/web-no-egress', { podSelector: app('web'), policyTypes: ['Egress'] }));
      await inKernels();
      expect(pick(await kernelMatchesEngine(), ['y/a -> x/b:80', 'x/b -> x/a:80'])).toEqual({ 'y/a -> x/b:80': 'deny', 'x/b -> x/a:80': 'allow' });

      // x/b deleted and x/a-web created at its address, in one burst; the lab pod there is still called x/b. Both
      // pods have the same creationTimestamp and the new name sorts first: were the deleted pod still held
      // anywhere, it would keep the address (ClusterState's tie-break), so only its deletion hands it over.
      remove('Pod', 'x/b');
      apply(podObject('x/a-web', labPod('x/b').node, labPod('x/b').ip, { app: 'web' }));
      await inKernels();
      // Both flip, the opposite ways: neither the old pod's rules nor a closed unknown address would give this.
      expect(pick(await kernelMatchesEngine(), ['y/a -> x/b:80', 'x/b -> x/a:80'])).toEqual({ 'y/a -> x/b:80': 'allow', 'x/b -> x/a:80': 'deny' });
    });
  });
