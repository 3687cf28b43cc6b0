// Clusters and the events that change them, for the tests that follow a
// cluster through changes: the kernel delta proof (test/kernel/delta.test.ts)
// and the incremental compiler's (test/compile/node-compiler.test.ts).
import fc from 'fast-check';
import type { ClusterObjects, Node, Pod } from '../../src/model/types.ts';
import { placePods } from '../../src/sources/placement.ts';
import { arbitrariesFor, clusterArb, ENGINE_WORLD, podIPv4, podIPv6 } from './arbitraries.ts';

const ENGINE = arbitrariesFor(ENGINE_WORLD);

/**
 * Pod CIDRs for each node: none, IPv4, IPv6 or both, so fail-closed sets and
 * families come and go; the IPv4 one wide or narrow, so an interval set's
 * element is replaced by one inside it.
 */
export function withPodCidrs(objects: ClusterObjects): fc.Arbitrary<ClusterObjects> {
  const choice = fc.tuple(fc.constantFrom('none', 'v4', 'v6', 'dual'), fc.boolean());
  return fc.array(choice, { minLength: objects.nodes.length, maxLength: objects.nodes.length }).map((cs) => ({
    ...objects,
    nodes: objects.nodes.map((n, i): Node => {
      const [c, wide] = cs[i] as [string, boolean];
      const v4 = wide ? '10.244.0.0/16' : `10.244.${i}.0/24`;
      return { ...n, podCIDRs: [...(c === 'v4' || c === 'dual' ? [v4] : []), ...(c === 'v6' || c === 'dual' ? ['fd00::/64'] : [])] };
    }),
  }));
}

export const clusterA = clusterArb({ maxPods: 8, maxPolicies: 5 }).chain(withPodCidrs).map((o) => placePods(o, o.nodes.map((n) => n.name)));

type Mutation = (o: ClusterObjects) => fc.Arbitrary<ClusterObjects>;
const namesOf = (o: ClusterObjects): string[] => o.namespaces.map((n) => n.name);
const withPods = (o: ClusterObjects, pods: Pod[]): ClusterObjects => ({ ...o, pods });
const index = (n: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: Math.max(0, n - 1) });

/** The events an agent sees, each as a change of the objects. */
export const MUTATIONS: readonly Mutation[] = [
  // a pod added (fresh addresses: pod numbers from 50 up are unused by clusterArb)
  (o) => fc.record({ ns: fc.constantFrom(...namesOf(o)), labels: ENGINE.podLabels, node: fc.constantFrom('node-0', 'node-1'), dual: fc.boolean(), k: fc.integer({ min: 50, max: 60 }) })
    .map(({ ns, labels, node, dual, k }) => withPods(o, [...o.pods.filter((p) => p.name !== `pod-${k}`), {
      namespace: ns, name: `pod-${k}`, kind: 'Pod', labels, ips: dual ? [podIPv4(k), podIPv6(k)] : [podIPv4(k)], nodeName: node,
      hostNetwork: false, phase: 'Running', ports: [],
    }])),
  // a pod removed
  (o) => index(o.pods.length).map((i) => withPods(o, o.pods.filter((_, j) => j !== i))),
  // a pod relabelled
  (o) => fc.tuple(index(o.pods.length), ENGINE.podLabels).map(([i, labels]) => withPods(o, o.pods.map((p, j) => (j === i ? { ...p, labels } : p)))),
  // a pod moved to the other node
  (o) => index(o.pods.length).map((i) => withPods(o, o.pods.map((p, j) => (j === i && !p.hostNetwork ? { ...p, nodeName: p.nodeName === 'node-0' ? 'node-1' : 'node-0' } : p)))),
  // a policy added or changed (same namespace and name: changed)
  (o) => ENGINE.policy(namesOf(o)).map((np) => ({ ...o, policies: [...o.policies.filter((p) => p.namespace !== np.namespace || p.name !== np.name), np] })),
  // a policy removed
  (o) => index(o.policies.length).map((i) => ({ ...o, policies: o.policies.filter((_, j) => j !== i) })),
  // a policy starts or stops failing closed (its chain's comment changes: the chain is declared anew)
  (o) => index(o.policies.length).map((i) => ({
    ...o, policies: o.policies.map((p, j) => {
      if (j !== i) return p;
      if (p.failClosed !== true) return { ...p, failClosed: true as const };
      const { failClosed: _dropped, ...open } = p;
      return open;
    }),
  })),
  // a namespace relabelled
  (o) => fc.tuple(index(o.namespaces.length), ENGINE.namespaces(namesOf(o))).map(([i, fresh]) => ({
    ...o, namespaces: o.namespaces.map((n, j) => (j === i ? (fresh[j] as typeof n) : n)),
  })),
  // a node's pod CIDRs change
  (o) => withPodCidrs(o),
  // an address reused: a newer pod with other labels claims a pod's address (the old one may be going)
  (o) => fc.record({ i: index(o.pods.length), labels: ENGINE.podLabels, k: fc.integer({ min: 61, max: 64 }), keepOld: fc.boolean() })
    .map(({ i, labels, k, keepOld }) => {
      const old = o.pods[i];
      if (old === undefined || old.hostNetwork || old.ips.length === 0) return o;
      const fresh: Pod = { ...old, name: `pod-${k}`, labels, createdAt: '2026-12-02T00:00:00.000Z' };
      return withPods(o, [...o.pods.filter((p) => p.name !== fresh.name && (keepOld || p !== old)), fresh]);
    }),
  // a pod finishes (Succeeded or Failed: it leaves every set), or runs again
  (o) => fc.tuple(index(o.pods.length), fc.constantFrom('Succeeded', 'Failed', 'Running') as fc.Arbitrary<Pod['phase']>)
    .map(([i, phase]) => withPods(o, o.pods.map((p, j) => (j === i ? { ...p, phase } : p)))),
  // a namespace deleted (its pods and policies may still be listed: the watch orders nothing)
  (o) => (o.namespaces.length < 2 ? fc.constant(o) : index(o.namespaces.length).map((i) => ({ ...o, namespaces: o.namespaces.filter((_, j) => j !== i) }))),
];

export function mutated(o: ClusterObjects, steps: number): fc.Arbitrary<ClusterObjects> {
  if (steps === 0) return fc.constant(o);
  return fc.constantFrom(...MUTATIONS).chain((m) => m(o)).chain((next) => mutated(next, steps - 1));
}

