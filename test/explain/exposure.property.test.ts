// Property: a workload is reported reachable from outside on a connection
// (and reaching outside on it) exactly when the engine allows that
// connection between the workload and some outside address. The oracle asks
// the engine directly about many outside addresses (the edges of every
// ipBlock cidr and except, each class's first and last address, random
// addresses of both families) on many ports, for random clusters, some with
// a pod CIDR that holds only part of the pods.
// FC_SEED=<seed> (plus FC_PATH=<path>) replays a failure.
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { computeExposure, isOutside } from '../../src/explain/exposure.ts';
import { outsideClasses, policyIpBlockCidrs } from '../../src/explain/outside-classes.ts';
import { familyOf, parseIp } from '../../src/model/addresses.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { podKey, PROTOCOLS, type ClusterObjects } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { addressEndpoint, podEndpoint } from '../../src/policy/endpoint.ts';
import { clusterArb, EXTERNAL_ADDRESSES, FLOW_PORTS } from '../generators/arbitraries.ts';
import { replay } from '../support/fc-replay.ts';


/** The address `delta` away from `ip` in its family, if there is one. */
function step(ip: string, delta: bigint): string | undefined {
  const bytes = ipaddr.parse(ip).toByteArray();
  const bits = BigInt(bytes.length * 8);
  const n = bytes.reduce((a, b) => (a << 8n) | BigInt(b), 0n) + delta;
  if (n < 0n || n >= 1n << bits) return undefined;
  const out = bytes.map((_, i) => Number((n >> (8n * BigInt(bytes.length - 1 - i))) & 0xffn));
  return canonical(ipaddr.fromByteArray(out).toString());
}

/** The address in canonical form; undefined for one the sources refuse (IPv4-mapped IPv6). */
function canonical(text: string): string | undefined {
  const r = parseIp(text);
  return r.ok ? r.ip : undefined;
}

/** Addresses at and around the edges of a cidr. */
function edgesOf(cidr: string): string[] {
  const [net, prefix] = ipaddr.parseCIDR(cidr);
  const first = net.toString();
  const size = 1n << BigInt(net.toByteArray().length * 8 - prefix);
  return [step(first, -1n), first, step(first, 1n), step(first, size - 1n), step(first, size)].filter((a): a is string => a !== undefined);
}

const worldArb = fc.record({
  objects: clusterArb({ maxPods: 6, maxPolicies: 6 }),
  podCidr: fc.constantFrom(undefined, '10.244.0.0/23', '10.244.1.0/24'),
  random: fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { maxLength: 12 }),
});

function withPodCidr(objects: ClusterObjects, podCidr: string | undefined): ClusterObjects {
  if (podCidr === undefined) return objects;
  return { ...objects, nodes: objects.nodes.map((n, i) => (i === 0 ? { ...n, podCIDRs: [podCidr] } : n)) };
}

describe('exposure against the engine', () => {
  it('reports a workload reachable from (and reaching) outside on a connection iff the engine allows it for some outside address', () => {
    fc.assert(fc.property(worldArb, ({ objects, podCidr, random }) => {
      const state = new ClusterState(withPodCidr(objects, podCidr));
      const engine = new PolicyEngine(state);
      const classes = outsideClasses(state);
      const candidates = [...new Set([
        ...policyIpBlockCidrs(state).flatMap(edgesOf),
        ...classes.flatMap((c) => [c.first, c.last, c.representative]),
        ...EXTERNAL_ADDRESSES, ...random.map(canonical),
      ])].filter((a): a is string => a !== undefined && isOutside(state, a));
      const pods = new Map([...state.participatingPods()].map((p) => [podKey(p), p]));
      for (const w of computeExposure(state, null).workloads) {
        const pod = pods.get(w.workload);
        if (pod === undefined) return expect.fail(`no pod ${w.workload}`);
        for (const direction of ['ingress', 'egress'] as const) {
          const reported = direction === 'ingress' ? w.ingress.outside.connections : w.egress.outside.connections;
          const probes: [string, number | undefined][] = [
            ...PROTOCOLS.flatMap((protocol) => [...new Set([1, 65535, ...FLOW_PORTS, ...reported.ranges(protocol).flatMap(([a, b]) => [a - 1, a, b, b + 1])])]
              .filter((p) => p >= 1 && p <= 65535).map((p): [string, number] => [protocol, p])),
            ['ICMP', undefined],
          ];
          for (const [protocol, port] of probes) {
            const allowedFor = candidates.find((a) => {
              const own = podEndpoint(pod, familyOf(a));
              if (own?.kind !== 'pod') return false;
              const outside = addressEndpoint(state, a);
              const flow = direction === 'ingress' ? { from: outside, to: own } : { from: own, to: outside };
              return engine.allows({ ...flow, protocol, ...(port !== undefined && { port }) });
            });
            expect(reported.has(protocol, port), `${w.workload} ${direction} ${protocol}/${port ?? '-'}: reported ${reported.format()}, engine allows ${allowedFor ?? 'no outside address'}`)
              .toBe(allowedFor !== undefined);
          }
        }
      }
    }), { numRuns: Number(process.env.FC_RUNS ?? 80), ...replay });
  }, 120_000);
});
