// The exact commands on the repository's cluster-wide policy examples, each
// answer checked against the engine itself (not against expected output):
//  - matrix: every cell's connection set holds a port exactly when the
//    engine allows the pair's flow on it (at every range edge of the set and
//    the usual ports), and the per-port matrix agrees;
//  - diff: removing the cluster-wide policies changes exactly the pairs
//    whose sets differ;
//  - exposure: each workload's outside reach, both directions, is the
//    engine's set on every outside class's representative, and every class a
//    named block holds but the engine closes is in `closed`.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionSet, podConnectionSet } from '../../src/explain/connection-set.ts';
import { computeExposure } from '../../src/explain/exposure.ts';
import { computeConnectionMatrix, computeMatrix, matrixPods } from '../../src/explain/matrix.ts';
import { outsideClasses, rangeCidrs } from '../../src/explain/outside-classes.ts';
import { semanticDiff } from '../../src/explain/semantic-diff.ts';
import { cidrContains } from '../../src/model/addresses.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { podKey, PROTOCOLS, type ClusterObjects } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { addressEndpoint, podEndpoint } from '../../src/policy/endpoint.ts';
import { loadManifests, placeAndAddress } from '../../src/sources/load-cluster.ts';
import { FLOW_PORTS } from '../generators/arbitraries.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const EXAMPLES = ['admin-deny-metadata', 'admin-pass-delegation', 'admin-protect-namespace', 'baseline-default-deny', 'v1alpha1-anp-banp'];

async function objectsOf(example: string): Promise<ClusterObjects> {
  const loaded = await loadManifests([path.join('policies-examples', example, 'manifests')], { cwd: REPO });
  expect(loaded.problems).toEqual([]);
  expect((loaded.objects.clusterPolicies ?? []).length, `${example} has cluster-wide policies`).toBeGreaterThan(0);
  return placeAndAddress(loaded.objects);
}

describe.each(EXAMPLES)('exact answers on policies-examples/%s', (example) => {
  it('matrix: each cell is the engine\'s verdict, per connection and per port', async () => {
    const state = new ClusterState(await objectsOf(example));
    const engine = new PolicyEngine(state);
    const m = computeConnectionMatrix(state, null);
    const pods = matrixPods(state, null);
    pods.forEach((from, i) => pods.forEach((to, j) => {
      if (i === j) return;
      const set = m.connections?.[i]?.[j];
      const ends = [podEndpoint(from), podEndpoint(to)] as const;
      if (set === null || set === undefined || ends[0] === undefined || ends[1] === undefined) return;
      for (const protocol of PROTOCOLS) {
        const edges = new Set([1, 65535, ...FLOW_PORTS, 9093, 10250, ...set.ranges(protocol).flatMap(([a, b]) => [a - 1, a, b, b + 1])]);
        for (const port of [...edges].filter((p) => p >= 1 && p <= 65535)) {
          expect(set.has(protocol, port), `${podKey(from)} -> ${podKey(to)} ${protocol}/${port}: ${set.format()}`)
            .toBe(engine.allows({ from: ends[0], to: ends[1], protocol, port }));
        }
      }
    }));
    for (const port of FLOW_PORTS) {
      const byPort = computeMatrix(state, { protocol: 'TCP', port, name: null }, null);
      byPort.cells.forEach((row, i) => row.forEach((cell, j) => {
        const set = m.connections?.[i]?.[j];
        if (cell === 'self' || cell === 'n/a' || set === null || set === undefined) return;
        expect(cell, `${byPort.endpoints[i]?.id ?? ''} -> ${byPort.endpoints[j]?.id ?? ''} TCP ${port}`).toBe(set.has('TCP', port) ? 'allowed' : 'denied');
      }));
    }
  });

  it('diff: without the cluster-wide policies, exactly the pairs whose sets differ', async () => {
    const objects = await objectsOf(example);
    const [before, after] = [new ClusterState({ ...objects, clusterPolicies: [] }), new ClusterState(objects)];
    const diff = semanticDiff(before, after, { namespace: null });
    const listed = new Map(diff.changes.map((c) => [`${c.from} -> ${c.to}`, c]));
    const [eb, ea] = [new PolicyEngine(before), new PolicyEngine(after)];
    let changed = 0;
    for (const from of matrixPods(after, null)) {
      for (const to of matrixPods(after, null)) {
        if (from === to) continue;
        const [b, a] = [podConnectionSet(eb, from, to), podConnectionSet(ea, from, to)];
        if (a === undefined || b === undefined) continue;
        const change = listed.get(`${podKey(from)} -> ${podKey(to)}`);
        expect(change !== undefined, `${podKey(from)} -> ${podKey(to)}: ${b.format()} then ${a.format()}`).toBe(!a.equals(b));
        if (change) expect([change.before.format(), change.after.format()]).toEqual([b.format(), a.format()]);
        if (change) changed++;
      }
    }
    expect(listed.size).toBe(changed);
  });

  it('exposure: outside reach is the engine\'s set on every outside class, isolated or not', async () => {
    const state = new ClusterState(await objectsOf(example));
    const engine = new PolicyEngine(state);
    const classes = outsideClasses(state);
    const pods = new Map(matrixPods(state, null).map((p) => [podKey(p), p]));
    for (const w of computeExposure(state, null).workloads) {
      const pod = pods.get(w.workload);
      if (pod === undefined) return expect.fail(`${w.workload} is no matrix pod`);
      for (const [direction, reach] of [['ingress', w.ingress.outside], ['egress', w.egress.outside]] as const) {
        const blocks = reach.groups.flatMap((g) => g.ipBlocks);
        for (const c of classes) {
          const own = podEndpoint(pod, c.family);
          const rep = addressEndpoint(state, c.representative);
          if (own?.kind !== 'pod') continue;
          const set = direction === 'ingress' ? connectionSet(engine, rep, own) : connectionSet(engine, own, rep);
          const cidrs = rangeCidrs(c.first, c.last);
          const what = `${w.workload} ${direction} ${c.representative}: engine ${set.format()}`;
          const holding = reach.groups.filter((g) => cidrs.every((x) => g.addresses.includes(x)));
          expect(holding.map((g) => g.connections.format()), what).toEqual(set.isEmpty() ? [] : [set.format()]);
          const named = blocks.some((b) => cidrContains(b.cidr, c.representative) && !b.except.some((e) => cidrContains(e, c.representative)));
          const closed = cidrs.every((x) => (reach.closed ?? []).includes(x));
          if (set.isEmpty() && reach.clusterPolicies !== undefined && (!reach.isolated || named)) expect(closed, `${what}: closed`).toBe(true);
          if (!set.isEmpty()) expect(closed, `${what}: closed`).toBe(false);
        }
      }
    }
  });
});
