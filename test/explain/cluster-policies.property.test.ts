// Properties of the exact answers (connection sets, outside classes, the
// semantic diff) on random clusters with cluster-wide policies (every tier,
// kind, action, peer kind and port form, rules failing closed; node labels),
// drawn by test/generators/cluster-policies.ts on top of clusterArb:
//  - a pair's connection set holds a connection exactly when the engine
//    allows it (every port of TCP, UDP and SCTP; protocols without ports;
//    connection-set-properties.ts's two properties, as for NetworkPolicy);
//  - every outside address of a class gets the set of the class's
//    representative (networks cidrs cut the classes);
//  - exposure's outside reach of every workload, both directions, isolated
//    or not, is the engine's set on each class's representative: a class
//    with a set is in the one group with that set, a class without is in no
//    group, and in `closed` when an ipBlock a group names holds it (or the
//    workload is not isolated), so the text's "through" is never wider than
//    what the engine allows;
//  - diff(A, A) is empty; diff(A, A + cluster policies) lists exactly the
//    pairs whose sets differ, with both sets as the engine gives them.
// FC_SEED=<seed> (plus FC_PATH=<path>) replays a failure.
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { connectionSet, podConnectionSet } from '../../src/explain/connection-set.ts';
import { isOutside, outsideReach } from '../../src/explain/exposure.ts';
import { matrixPods } from '../../src/explain/matrix.ts';
import { outsideClasses, policyIpBlockCidrs, rangeCidrs } from '../../src/explain/outside-classes.ts';
import { hasAnyChange, semanticDiff } from '../../src/explain/semantic-diff.ts';
import { cidrContains, familyOf } from '../../src/model/addresses.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { podKey, type ClusterObjects, type Direction } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { addressEndpoint, podEndpoint } from '../../src/policy/endpoint.ts';
import { clusterArb, EXTERNAL_ADDRESSES, FLOW_PORTS } from '../generators/arbitraries.ts';
import { withClusterPolicies } from '../generators/cluster-policies.ts';
import { connectionSetProperties, replay } from './connection-set-properties.ts';

const objectsArb = clusterArb({ maxPods: 7, maxPolicies: 4 }).chain((o) => withClusterPolicies(o, 4));

/** Addresses at and around the edges of a cidr. */
function edgesOf(cidr: string): string[] {
  const [net, prefix] = ipaddr.parseCIDR(cidr);
  const bytes = net.toByteArray();
  const bits = BigInt(bytes.length * 8);
  const first = bytes.reduce((a, b) => (a << 8n) | BigInt(b), 0n);
  const size = 1n << (bits - BigInt(prefix));
  const at = (n: bigint): string | undefined => (n < 0n || n >= 1n << bits ? undefined
    : ipaddr.fromByteArray(bytes.map((_, i) => Number((n >> (8n * BigInt(bytes.length - 1 - i))) & 0xffn))).toString());
  return [at(first - 1n), at(first), at(first + 1n), at(first + size - 1n), at(first + size)].filter((a): a is string => a !== undefined);
}

describe('exact answers with cluster-wide policies', () => {
  connectionSetProperties({
    objects: objectsArb,
    otherProtocols: ['ICMP', 'GRE'],
    ports: [...FLOW_PORTS, 79, 81, 444, 8079, 8101],
    runs: { everyPort: 30, edges: 300 },
    timeoutMs: 120_000,
  });

  it('every outside address of a class gets its representative\'s connection set, both ways', () => {
    fc.assert(fc.property(objectsArb, (objects) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      const classes = outsideClasses(state);
      const candidates = [...new Set([...policyIpBlockCidrs(state).flatMap(edgesOf), ...EXTERNAL_ADDRESSES])].filter((a) => isOutside(state, a));
      const toBig = (ip: string): bigint => ipaddr.parse(ip).toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
      for (const a of candidates) {
        const c = classes.find((k) => k.family === familyOf(a) && toBig(k.first) <= toBig(a) && toBig(a) <= toBig(k.last));
        if (c === undefined) return expect.fail(`outside address ${a} is in no class`);
        for (const pod of state.participatingPods()) {
          const own = podEndpoint(pod, c.family);
          if (own?.kind !== 'pod') continue;
          const x = addressEndpoint(state, a);
          const rep = addressEndpoint(state, c.representative);
          expect(connectionSet(engine, x, own).format(), `${a} -> ${podKey(pod)} (class of ${c.representative})`).toBe(connectionSet(engine, rep, own).format());
          expect(connectionSet(engine, own, x).format(), `${podKey(pod)} -> ${a} (class of ${c.representative})`).toBe(connectionSet(engine, own, rep).format());
        }
      }
    }), { numRuns: 150, ...replay });
  }, 120_000);

  it('exposure\'s outside reach is the engine\'s set on every class, isolated or not, and closes what a named block would overstate', () => {
    fc.assert(fc.property(objectsArb, (objects) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      const classes = outsideClasses(state);
      for (const pod of matrixPods(state, null)) {
        for (const direction of ['ingress', 'egress'] as const satisfies readonly Direction[]) {
          const reach = outsideReach(engine, pod, direction, classes);
          const blocks = reach.groups.flatMap((g) => g.ipBlocks);
          const closed = new Set(reach.closed ?? []);
          for (const c of classes) {
            const own = podEndpoint(pod, c.family);
            const rep = addressEndpoint(state, c.representative);
            if (own?.kind !== 'pod' || rep.kind !== 'external' || rep.unknownPodOn !== undefined) continue;
            const set = direction === 'ingress' ? connectionSet(engine, rep, own) : connectionSet(engine, own, rep);
            const cidrs = rangeCidrs(c.first, c.last);
            const what = `${podKey(pod)} ${direction} ${c.representative} (isolated: ${String(reach.isolated)}, engine: ${set.format()})`;
            const holding = reach.groups.filter((g) => cidrs.some((x) => g.addresses.includes(x)));
            if (set.isEmpty()) {
              expect(holding, `${what}: in a group`).toEqual([]);
              const named = blocks.some((b) => cidrContains(b.cidr, c.representative) && !b.except.some((e) => cidrContains(e, c.representative)));
              if (reach.clusterPolicies !== undefined && (!reach.isolated || named)) {
                expect(cidrs.every((x) => closed.has(x)), `${what}: not in closed ${[...closed].join(', ')}`).toBe(true);
              }
            } else {
              expect(holding.map((g) => g.connections.format()), `${what}: groups`).toEqual([set.format()]);
              expect(cidrs.every((x) => holding[0]?.addresses.includes(x)), `${what}: part of the class only`).toBe(true);
              expect(cidrs.some((x) => closed.has(x)), `${what}: closed`).toBe(false);
            }
          }
        }
      }
    }), { numRuns: 150, ...replay });
  }, 120_000);

  it('diff(A, A) is empty; diff(A without, A with cluster policies) lists exactly the pairs whose sets differ', () => {
    fc.assert(fc.property(objectsArb, (objects) => {
      const state = new ClusterState(objects);
      expect(hasAnyChange(semanticDiff(state, new ClusterState(objects), { namespace: null }))).toBe(false);
      const without: ClusterObjects = { ...objects, clusterPolicies: [] };
      const before = new ClusterState(without);
      const diff = semanticDiff(before, state, { namespace: null });
      const listed = new Map(diff.changes.map((c) => [`${c.from} -> ${c.to}`, c]));
      const [eb, ea] = [new PolicyEngine(before), new PolicyEngine(state)];
      const pods = matrixPods(state, null);
      for (const from of pods) {
        for (const to of pods) {
          if (from === to) continue;
          const b = podConnectionSet(eb, from, to);
          const a = podConnectionSet(ea, from, to);
          if (a === undefined || b === undefined) continue;
          const change = listed.get(`${podKey(from)} -> ${podKey(to)}`);
          expect(change !== undefined, `${podKey(from)} -> ${podKey(to)}: ${b.format()} then ${a.format()}`).toBe(!a.equals(b));
          if (change) expect([change.before.format(), change.after.format()]).toEqual([b.format(), a.format()]);
        }
      }
    }), { numRuns: 100, ...replay });
  }, 120_000);
});
