// The two properties of connection sets against the engine, for the test
// files that draw clusters of their own (NetworkPolicy only, or with
// cluster-wide policies): a pair's set contains a connection exactly when
// the engine allows it, asked about every port 1-65535 of TCP, UDP and SCTP
// and about protocols without ports; and, cheaper and so on many more
// clusters, the same at each range's edges and their neighbours and at the
// ports the drawn policies use. Pairs are picked from every end of a drawn
// cluster (pods, host-network pods, nodes, outside and unknown-pod addresses),
// both ends of one family.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { connectionSet, type ConnectionSet } from '../../src/explain/connection-set.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { PROTOCOLS, type ClusterObjects } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import type { Endpoint } from '../../src/policy/endpoint.ts';
import { endpointsOf } from '../generators/arbitraries.ts';
import { replay } from '../support/fc-replay.ts';

/** FC_SEED=<seed> (plus FC_PATH=<path>) replays a failure. */
export { replay };

/** Same-family pairs of the picks; pods weigh three times as much as other ends, as their policies make the sets partial. */
function pairsOf(ends: readonly Endpoint[], picks: readonly (readonly [number, number])[]): [Endpoint, Endpoint][] {
  const endpoints = ends.flatMap((e): Endpoint[] => (e.kind === 'pod' ? [e, e, e] : [e]));
  const v6 = (e: Endpoint): boolean => e.ip.includes(':');
  return picks.map(([a, b]) => {
    const from = endpoints[a % endpoints.length] as Endpoint;
    const same = endpoints.filter((e) => v6(e) === v6(from));
    return [from, same[b % same.length] as Endpoint];
  });
}

const describePair = (from: Endpoint, to: Endpoint): string => `${from.kind} ${from.ip} -> ${to.kind} ${to.ip}`;

export interface ConnectionSetProperties {
  /** The clusters drawn. */
  readonly objects: fc.Arbitrary<ClusterObjects>;
  /** Protocols without ports asked about. */
  readonly otherProtocols: readonly string[];
  /** Ports checked beside the range edges: the container ports and policy numbers the clusters draw, where sets are most often cut. */
  readonly ports: readonly number[];
  /** Runs of each property (FC_RUNS overrides both). */
  readonly runs: { readonly everyPort: number; readonly edges: number };
  readonly timeoutMs: number;
}

/** Declares the two properties, in the enclosing describe. */
export function connectionSetProperties(o: ConnectionSetProperties): void {
  const worldArb = fc.record({ objects: o.objects, picks: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }) });
  /** Each picked pair of a drawn cluster, with its engine and the pair's set. */
  const eachPair = (check: (engine: PolicyEngine, from: Endpoint, to: Endpoint, set: ConnectionSet) => void) =>
    fc.property(worldArb, ({ objects, picks }) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      for (const [from, to] of pairsOf(endpointsOf(state, objects), picks)) check(engine, from, to, connectionSet(engine, from, to));
    });
  const runs = (n: number): number => Number(process.env.FC_RUNS ?? n);

  it('a pair\'s set contains a port exactly when the engine allows that port (every port of TCP, UDP and SCTP)', () => {
    fc.assert(eachPair((engine, from, to, set) => {
      for (const protocol of PROTOCOLS) {
        for (let port = 1; port <= 65535; port++) {
          const allowed = engine.allows({ from, to, protocol, port });
          // One comparison a port, not expect(): 196,605 expects a pair would take most of the run.
          if (set.has(protocol, port) !== allowed) {
            expect.fail(`${describePair(from, to)} ${protocol}/${port}: engine ${allowed ? 'allows' : 'denies'}, set is ${set.format()}`);
          }
        }
      }
      for (const protocol of o.otherProtocols) expect(set.has(protocol), `${describePair(from, to)} ${protocol}`).toBe(engine.allows({ from, to, protocol }));
    }), { numRuns: runs(o.runs.everyPort), ...replay });
  }, o.timeoutMs);

  it('agrees with the engine at every range edge and its neighbours, and at the drawn ports, on many clusters', () => {
    fc.assert(eachPair((engine, from, to, set) => {
      for (const protocol of PROTOCOLS) {
        const edges = new Set([1, 2, 65534, 65535, ...o.ports, ...set.ranges(protocol).flatMap(([a, b]) => [a - 1, a, a + 1, b - 1, b, b + 1])]);
        for (const port of [...edges].filter((p) => p >= 1 && p <= 65535)) {
          expect(set.has(protocol, port), `${describePair(from, to)} ${protocol}/${port}: set ${set.format()}`).toBe(engine.allows({ from, to, protocol, port }));
        }
      }
    }), { numRuns: runs(o.runs.edges), ...replay });
  }, o.timeoutMs);
}
