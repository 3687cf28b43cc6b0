// The agent's incremental path end to end without the kernel: random walks
// through cluster states are fed as watch events to the kubernetes source
// (in bursts: several changes per read, as coalescing gives them), and after
// every read the IR the agent moves forward by the read's changes equals the
// IR compiled afresh from the whole state the source holds. The same walks
// through the folder path (whole states compared object by object) too. And
// walks with cluster-wide policies (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy added, changed, reprioritised, removed; nodes
// relabelled), as the watch of their CRDs delivers them.
import { KubeConfig } from '@kubernetes/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledNode } from '../../src/agent/compiled-node.ts';
import { KubernetesSource } from '../../src/agent/kubernetes-source.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import type { ClusterEvent, WatchedResource } from '../../src/k8s/watch-cluster.ts';
import { changesBetween, type ClusterChange } from '../../src/model/cluster-change.ts';
import { CLUSTER_POLICY_PREFIX, type ClusterObjects } from '../../src/model/types.ts';
import type { ModelObject } from '../../src/sources/normalize-object.ts';
import { clusterA, mutated } from '../generators/cluster-mutations.ts';
import { clusterWithPoliciesA, mutatedWithClusterPolicies } from '../generators/cluster-policies.ts';
import { CLUSTER_POLICY_TYPES, CLUSTER_POLICY_RESOURCES } from '../../src/k8s/cluster-policy-api.ts';

const RUNS = Number(process.env.FC_RUNS ?? 60);
const SEED = Number(process.env.FC_SEED ?? 20261202);

function walks(start: fc.Arbitrary<ClusterObjects>, mutate: (o: ClusterObjects, steps: number) => fc.Arbitrary<ClusterObjects>): fc.Arbitrary<ClusterObjects[]> {
  return start.chain((first) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }).chain((steps) => {
    let arb: fc.Arbitrary<ClusterObjects[]> = fc.constant([first]);
    for (const n of steps) arb = arb.chain((states) => mutate(states.at(-1) as ClusterObjects, n).map((next) => [...states, next]));
    return arb;
  }));
}

const walkArb = walks(clusterA, mutated);
const clusterWalkArb = walks(clusterWithPoliciesA, mutatedWithClusterPolicies);

/** A cluster policy's change as its CRD's watch names it: the resource of its kind, and its name. */
function clusterPolicyEvent(c: ClusterChange & { kind: 'clusterPolicy' }): [WatchedResource, string, ModelObject | undefined] {
  const [prefix, name] = c.key.split('/') as [string, string];
  const resource = CLUSTER_POLICY_RESOURCES.find((r) => CLUSTER_POLICY_PREFIX[CLUSTER_POLICY_TYPES[r].kind] === prefix);
  if (resource === undefined) throw new Error(`no resource for ${c.key}`);
  return [resource, name, c.clusterPolicy && { type: 'clusterPolicy', value: c.clusterPolicy }];
}

/** The watch events that turn one state into the next. */
function eventsBetween(prev: ClusterObjects, next: ClusterObjects, rv: () => string): ClusterEvent[] {
  return changesBetween(prev, next).map((c): ClusterEvent => {
    const [resource, key, object]: [WatchedResource, string, ModelObject | undefined] =
      c.kind === 'pod' ? ['pods', c.key, c.pod && { type: 'pod', value: c.pod }]
        : c.kind === 'policy' ? ['networkpolicies', c.key, c.policy && { type: 'policy', value: c.policy }]
          : c.kind === 'namespace' ? ['namespaces', c.name, c.namespace && { type: 'namespace', value: c.namespace }]
            : c.kind === 'node' ? ['nodes', c.name, c.node && { type: 'node', value: c.node }]
              : clusterPolicyEvent(c);
    return object === undefined
      ? { type: 'deleted', resource, key, problems: [], resourceVersion: rv() }
      : { type: 'modified', resource, key, object, problems: [], resourceVersion: rv() };
  });
}

async function kubernetesWalks(arb: fc.Arbitrary<ClusterObjects[]>): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, async (states) => {
    let n = 0;
    const rv = (): string => String(++n);
    let emit: (e: ClusterEvent) => void = () => undefined;
    const source = new KubernetesSource({
      kubeConfig: new KubeConfig(), location: 'test',
      startWatch: (onEvent) => {
        emit = onEvent;
        return { synced: Promise.resolve(), isSynced: () => true, resourceVersions: () => ({ namespaces: '', pods: '', networkpolicies: '', nodes: '' }), stop: async () => {} };
      },
    });
    await source.start(() => undefined);
    const first = states[0] as ClusterObjects;
    for (const e of eventsBetween(EMPTY, first, rv)) emit(e);
    for (const resource of ['namespaces', 'pods', 'networkpolicies', 'nodes'] as const) emit({ type: 'listed', resource, resourceVersion: rv(), initial: true, count: 0 });
    emit({ type: 'synced', resourceVersions: { namespaces: '', pods: '', networkpolicies: '', nodes: '' } });
    const compiled = new CompiledNode('node-0', { place: false });
    const how: string[] = [];
    for (let i = 0; i < states.length; i++) {
      if (i > 0) for (const e of eventsBetween(states[i - 1] as ClusterObjects, states[i] as ClusterObjects, rv)) emit(e);
      const read = await source.read();
      if (read.kind !== 'state') throw new Error('refused');
      const moved = compiled.advance(read.snapshot, read.changes);
      how.push(moved.advance.how);
      expect(moved).toMatchObject(compileForNode(read.snapshot.objects, 'node-0', { place: false }));
    }
    // Only the first read builds afresh.
    expect(how.filter((h) => h === 'fresh')).toHaveLength(1);
  }), { numRuns: RUNS, seed: SEED });
}

const EMPTY: ClusterObjects = { namespaces: [], pods: [], policies: [], nodes: [] };

describe('the agent moves its node forward by changes, and lands where a fresh compile does', () => {
  it('kubernetes source: watch events in bursts, a read after each burst', () => kubernetesWalks(walkArb));

  it('kubernetes source with cluster-wide policies (their CRDs watched): watch events in bursts, a read after each burst', () => kubernetesWalks(clusterWalkArb));

  it('files: whole states compared object by object, pods placed as render places them', () => {
    fc.assert(fc.property(walkArb, (states) => {
      const compiled = new CompiledNode('node-1', { place: true });
      states.forEach((objects, i) => {
        const unplaced = { ...objects, pods: objects.pods.map(({ nodeName: _n, ...p }, j) => (j % 2 === 0 ? p : { ...p, nodeName: _n })) };
        const moved = compiled.advance({ revision: `r${i}`, objects: unplaced });
        expect(moved.advance.how).toBe(i === 0 ? 'fresh' : 'changes');
        expect(moved).toMatchObject(compileForNode(unplaced, 'node-1', { place: true }));
      });
    }), { numRuns: RUNS, seed: SEED });
  });
});
