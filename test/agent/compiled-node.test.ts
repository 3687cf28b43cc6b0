// The agent's incremental path end to end without the kernel: random walks
// through cluster states are fed as watch events to the kubernetes source
// (in bursts: several changes per read, as coalescing gives them), and after
// every read the IR the agent moves forward by the read's changes equals the
// IR compiled afresh from the whole state the source holds. The same walks
// through the folder path (whole states compared object by object) too.
import { KubeConfig } from '@kubernetes/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledNode } from '../../src/agent/compiled-node.ts';
import { KubernetesSource } from '../../src/agent/kubernetes-source.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import type { ClusterEvent, WatchedResource } from '../../src/k8s/watch-cluster.ts';
import { changesBetween, type ClusterChange } from '../../src/model/cluster-change.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import type { ModelObject } from '../../src/sources/normalize-object.ts';
import { clusterA, mutated } from '../generators/cluster-mutations.ts';

const RUNS = Number(process.env.FC_RUNS ?? 60);
const SEED = Number(process.env.FC_SEED ?? 20261202);

const walkArb = clusterA.chain((start) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }).chain((steps) => {
  let arb: fc.Arbitrary<ClusterObjects[]> = fc.constant([start]);
  for (const n of steps) arb = arb.chain((states) => mutated(states.at(-1) as ClusterObjects, n).map((next) => [...states, next]));
  return arb;
}));

function expectNever(c: ClusterChange & { kind: 'clusterPolicy' }): never {
  throw new Error(`the generated states hold no cluster policies, yet ${c.key} changed`);
}

/** The watch events that turn one state into the next. */
function eventsBetween(prev: ClusterObjects, next: ClusterObjects, rv: () => string): ClusterEvent[] {
  return changesBetween(prev, next).map((c): ClusterEvent => {
    const [resource, key, object]: [WatchedResource, string, ModelObject | undefined] =
      c.kind === 'pod' ? ['pods', c.key, c.pod && { type: 'pod', value: c.pod }]
        : c.kind === 'policy' ? ['networkpolicies', c.key, c.policy && { type: 'policy', value: c.policy }]
          : c.kind === 'namespace' ? ['namespaces', c.name, c.namespace && { type: 'namespace', value: c.namespace }]
            : c.kind === 'node' ? ['nodes', c.name, c.node && { type: 'node', value: c.node }]
              : expectNever(c);
    return object === undefined
      ? { type: 'deleted', resource, key, problems: [], resourceVersion: rv() }
      : { type: 'modified', resource, key, object, problems: [], resourceVersion: rv() };
  });
}

const EMPTY: ClusterObjects = { namespaces: [], pods: [], policies: [], nodes: [] };

describe('the agent moves its node forward by changes, and lands where a fresh compile does', () => {
  it('kubernetes source: watch events in bursts, a read after each burst', async () => {
    await fc.assert(fc.asyncProperty(walkArb, async (states) => {
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
  });

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
