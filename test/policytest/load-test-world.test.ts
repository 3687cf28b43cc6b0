import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawObject } from '../../src/sources/normalize-object.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { mergeDocuments, TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { policyTest, Scratch } from './helpers.ts';

function raw(kind: string, name: string, namespace?: string, tag = ''): RawObject {
  return {
    source: { file: tag, document: 0 },
    value: { apiVersion: 'v1', kind, metadata: { name, ...(namespace !== undefined && { namespace }) } },
  };
}

describe('mergeDocuments', () => {
  it('lets an inline object replace earlier objects of the same kind/namespace/name, resources first', () => {
    const resources = [raw('Pod', 'a', 'x', 'r1'), raw('Pod', 'a', 'y', 'r2'), raw('Namespace', 'x', undefined, 'r3'), raw('Pod', 'b', undefined, 'r4')];
    const inline = [raw('Pod', 'a', 'x', 'i1'), raw('Namespace', 'x', 'ignored-for-cluster-scoped', 'i2'), raw('Pod', 'b', 'default', 'i3'), raw('Pod', 'a', 'x', 'i4')];
    expect(mergeDocuments(resources, inline).map((r) => r.source.file)).toEqual(['r2', 'i2', 'i3', 'i4']);
  });

  it('keeps duplicates among the resources for the sources to report', () => {
    const resources = [raw('Pod', 'a', 'x', 'r1'), raw('Pod', 'a', 'x', 'r2')];
    expect(mergeDocuments(resources, []).map((r) => r.source.file)).toEqual(['r1', 'r2']);
  });

  it('does not merge a Deployment and a Pod of the same name', () => {
    expect(mergeDocuments([raw('Deployment', 'a', 'x', 'r1')], [raw('Pod', 'a', 'x', 'i1')]).map((r) => r.source.file)).toEqual(['r1', 'i1']);
  });
});

describe('TestWorldLoader', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await Scratch.create();
  });
  afterAll(async () => {
    await s.remove();
  });

  it('shares one world (and one engine) among tests with the same resources, and reads each resource set once', async () => {
    const c = '  - {from: shop/api, to: shop/db, port: 5432, expect: allow}\n';
    await s.write('a/one.yaml', `${policyTest('one', c)}---\n${policyTest('two', c)}`);
    await s.write('a/inline.yaml', policyTest('three', c, 'objects: [{apiVersion: v1, kind: Namespace, metadata: {name: extra}}]\n'));
    await s.write('b/same.yaml', policyTest('four', c));
    const { tests, problems } = await collectPolicyTests(['a', 'b'], s.root);
    expect(problems).toEqual([]);
    const loader = new TestWorldLoader({ cwd: s.root });
    const worlds = await Promise.all(tests.map((t) => loader.worldFor(t)));
    const [one, two, three, four] = worlds.map((w) => w.world);
    expect(tests.map((t) => t.name)).toEqual(['three', 'one', 'two', 'four']);
    // a/inline.yaml sorts first: "three" has inline objects, so a world of its own.
    expect(two).toBe(three);
    expect(two?.engine).toBe(three?.engine);
    expect(one).not.toBe(two);
    expect(one?.state.namespaces.has('extra')).toBe(true);
    expect(two?.state.namespaces.has('extra')).toBe(false);
    // b/../manifests and a/../manifests are the same folder: the same world.
    expect(four).toBe(two);
    expect(loader.counts).toEqual({ worlds: 2, resourceSets: 1 });
    expect(loader.resourcePaths(tests[3]!)).toEqual(['manifests/*.yaml']);
    expect(loader.resourcePaths(tests[1]!)).toEqual(['manifests/*.yaml']);
  });

  it('places pods without a node on the known nodes before giving them addresses from that node\'s pod CIDR', async () => {
    const nodes = 'objects:\n' +
      '  - {apiVersion: v1, kind: Node, metadata: {name: n1}, spec: {podCIDR: 10.250.1.0/24}, status: {addresses: [{type: InternalIP, address: 192.168.9.1}]}}\n' +
      '  - {apiVersion: v1, kind: Node, metadata: {name: n2}, spec: {podCIDR: 10.250.2.0/24}, status: {addresses: [{type: InternalIP, address: 192.168.9.2}]}}\n';
    await s.write('c/placed.yaml', policyTest('placed', '  - {from: shop/api, to: shop/db, port: 5432, expect: allow}\n', nodes));
    const { tests } = await collectPolicyTests(['c'], s.root);
    const { world } = await new TestWorldLoader({ cwd: s.root }).worldFor(tests[0]!);
    const pods = [...world!.state.pods.values()].filter((p) => !p.hostNetwork);
    expect(pods.length).toBeGreaterThan(1);
    for (const pod of pods) {
      expect(['n1', 'n2']).toContain(pod.nodeName);
      const cidr = pod.nodeName === 'n1' ? '10.250.1.' : '10.250.2.';
      expect(pod.ips[0]?.startsWith(cidr), `${pod.name} on ${pod.nodeName} has ${pod.ips[0]}`).toBe(true);
    }
  });
});
