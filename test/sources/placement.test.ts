// placePods: pods with spec.nodeName stay; the others are spread
// round-robin, in namespace/name order, over the known nodes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knownNodes, placePods } from '../../src/sources/placement.ts';
import type { ClusterObjects, Pod } from '../../src/model/types.ts';
import { podKey } from '../../src/model/types.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { node, objects, pod } from '../generators/cluster-builders.ts';

const where = (o: ClusterObjects): Record<string, string | undefined> =>
  Object.fromEntries(o.pods.map((p) => [`${p.kind}:${podKey(p)}`, p.nodeName]));

describe('knownNodes', () => {
  it('is the Node objects, the nodes pods name and the extra names, sorted, once each', () => {
    const o = objects({
      nodes: [node('worker-b', []), node('worker-a', [])],
      pods: [pod('x/a', {}, { node: 'pinned' }), pod('x/b', {}, { node: 'worker-a' }), pod('x/c')],
    });
    expect(knownNodes(o)).toEqual(['pinned', 'worker-a', 'worker-b']);
    expect(knownNodes(o, ['extra', 'worker-b', ''])).toEqual(['extra', 'pinned', 'worker-a', 'worker-b']);
    expect(knownNodes(objects({}))).toEqual([]);
  });
});

describe('placePods', () => {
  it('keeps pods that have a node, spreads the others round-robin in namespace/name order', () => {
    const o = objects({
      pods: [
        pod('z/last'), pod('a/first'), pod('m/pinned', {}, { node: 'node-2' }), pod('a/second'), pod('m/middle'),
      ],
    });
    const placed = placePods(o, ['node-1', 'node-2']);
    expect(where(placed)).toEqual({
      'Pod:a/first': 'node-1',
      'Pod:a/second': 'node-2',
      'Pod:m/middle': 'node-1',
      'Pod:m/pinned': 'node-2',
      'Pod:z/last': 'node-2',
    });
    // The list keeps its order and everything else.
    expect(placed.pods.map(podKey)).toEqual(o.pods.map(podKey));
    expect(placed.policies).toBe(o.policies);
    expect(placed.namespaces).toBe(o.namespaces);
  });

  it('spreads over Node objects and the nodes pods name, with the extra names', () => {
    const o = objects({ nodes: [node('b', [])], pods: [pod('x/1'), pod('x/2'), pod('x/3'), pod('x/4', {}, { node: 'c' })] });
    expect(where(placePods(o, ['a']))).toEqual({ 'Pod:x/1': 'a', 'Pod:x/2': 'b', 'Pod:x/3': 'c', 'Pod:x/4': 'c' });
    expect(where(placePods(o))).toEqual({ 'Pod:x/1': 'b', 'Pod:x/2': 'c', 'Pod:x/3': 'b', 'Pod:x/4': 'c' });
  });

  it('with one node, every pod goes there', () => {
    const o = objects({ pods: [pod('x/a'), pod('y/b'), pod('x/c', {}, { kind: 'Deployment' })] });
    expect(Object.values(where(placePods(o, ['only'])))).toEqual(['only', 'only', 'only']);
  });

  it('changes nothing without any known node, or without a pod to place', () => {
    const none = objects({ pods: [pod('x/a')] });
    expect(placePods(none)).toBe(none);
    const placed = objects({ pods: [pod('x/a', {}, { node: 'n1' })] });
    expect(placePods(placed, ['n2'])).toBe(placed);
  });

  it('orders a Pod and a workload of the same name by kind', () => {
    const o = objects({ pods: [pod('x/web'), pod('x/web', {}, { kind: 'Deployment' })] });
    expect(where(placePods(o, ['n1', 'n2']))).toEqual({ 'Deployment:x/web': 'n1', 'Pod:x/web': 'n2' });
  });

  it('does not depend on the order of the objects (property)', () => {
    const arb = clusterArb().chain((o) => fc.tuple(
      fc.constant(o),
      fc.shuffledSubarray([...o.pods], { minLength: o.pods.length, maxLength: o.pods.length }),
      fc.shuffledSubarray(['node-0', 'node-1', 'node-9'], { minLength: 3, maxLength: 3 }),
    ));
    fc.assert(fc.property(arb, ([o, shuffled, extra]) => {
      const a = where(placePods(o, ['node-9', 'node-0']));
      const b = where(placePods({ ...o, pods: shuffled }, extra));
      expect(b).toEqual(a);
      for (const p of placePods(o, ['node-9']).pods as Pod[]) expect(p.nodeName).toBeDefined();
    }), { numRuns: 100 });
  });
});
