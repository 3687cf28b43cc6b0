import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawObject } from '../../src/model/normalize-object.ts';
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
});
