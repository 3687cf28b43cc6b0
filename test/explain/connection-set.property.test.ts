// Property: a pair's connection set contains a connection exactly when the
// engine allows it. The oracle is the engine itself, asked about every port
// 1-65535 of TCP, UDP and SCTP and about protocols without ports, for pairs
// drawn from random clusters (pods, host-network pods, nodes, outside and
// unknown-pod addresses, both families). A second, cheaper property checks
// many more clusters at each range's edges and their neighbours.
// FC_SEED=<seed> (plus FC_PATH=<path>) replays a failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectionSet } from '../../src/explain/connection-set.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { PROTOCOLS } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import type { Endpoint } from '../../src/policy/endpoint.ts';
import { clusterArb, endpointsOf } from '../generators/arbitraries.ts';

const replay = {
  ...(process.env.FC_SEED !== undefined ? { seed: Number(process.env.FC_SEED) } : {}),
  ...(process.env.FC_PATH !== undefined ? { path: process.env.FC_PATH } : {}),
};

const OTHER_PROTOCOLS = ['ICMP', 'ICMPv6', 'GRE', 'ESP'];

/** A cluster and some same-family pairs of its ends, picked by index. */
const worldArb = fc.record({
  objects: clusterArb({ maxPods: 8, maxPolicies: 6 }),
  picks: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }),
});

/** Pairs of the picks; pods weigh three times as much as other ends, as their policies make the sets partial. */
function pairsOf(ends: readonly Endpoint[], picks: readonly (readonly [number, number])[]): [Endpoint, Endpoint][] {
  const endpoints = ends.flatMap((e): Endpoint[] => (e.kind === 'pod' ? [e, e, e] : [e]));
  const v6 = (e: Endpoint): boolean => e.ip.includes(':');
  const pairs: [Endpoint, Endpoint][] = [];
  for (const [a, b] of picks) {
    const from = endpoints[a % endpoints.length] as Endpoint;
    const same = endpoints.filter((e) => v6(e) === v6(from));
    pairs.push([from, same[b % same.length] as Endpoint]);
  }
  return pairs;
}

function describePair(from: Endpoint, to: Endpoint): string {
  return `${from.kind} ${from.ip} -> ${to.kind} ${to.ip}`;
}

describe('connection sets against the engine', () => {
  it('a pair\'s set contains a port exactly when the engine allows that port (every port of TCP, UDP and SCTP)', () => {
    fc.assert(fc.property(worldArb, ({ objects, picks }) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      for (const [from, to] of pairsOf(endpointsOf(state, objects), picks)) {
        const set = connectionSet(engine, from, to);
        for (const protocol of PROTOCOLS) {
          for (let port = 1; port <= 65535; port++) {
            const allowed = engine.allows({ from, to, protocol, port });
            if (set.has(protocol, port) !== allowed) {
              expect.fail(`${describePair(from, to)} ${protocol}/${port}: engine ${allowed ? 'allows' : 'denies'}, set is ${set.format()}`);
            }
          }
        }
        for (const protocol of OTHER_PROTOCOLS) expect(set.has(protocol), `${describePair(from, to)} ${protocol}`).toBe(engine.allows({ from, to, protocol }));
      }
    }), { numRuns: Number(process.env.FC_RUNS ?? 60), ...replay });
  }, 60_000);

  it('agrees with the engine at every range edge and its neighbours, on many clusters', () => {
    fc.assert(fc.property(worldArb, ({ objects, picks }) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      for (const [from, to] of pairsOf(endpointsOf(state, objects), picks)) {
        const set = connectionSet(engine, from, to);
        for (const protocol of PROTOCOLS) {
          const edges = new Set([1, 2, 65534, 65535, ...set.ranges(protocol).flatMap(([a, b]) => [a - 1, a, a + 1, b - 1, b, b + 1])]);
          // The container ports of the drawn pods and the policies' numbers, where sets are most often cut.
          for (const p of [53, 54, 79, 80, 81, 443, 444, 8000, 8080, 8081, 8100, 8101, 9000, 9090, 9091]) edges.add(p);
          for (const port of [...edges].filter((p) => p >= 1 && p <= 65535)) {
            expect(set.has(protocol, port), `${describePair(from, to)} ${protocol}/${port}: set ${set.format()}`)
              .toBe(engine.allows({ from, to, protocol, port }));
          }
        }
      }
    }), { numRuns: Number(process.env.FC_RUNS ?? 300), ...replay });
  });
});
