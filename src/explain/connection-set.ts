// The exact set of connections the engine allows between two endpoints.
//
// Ports are never sampled. Only the source's egress and the destination's
// ingress isolating policies can make a port's verdict differ from its
// neighbour's, and only at the edges of their port entries: a number p (p
// and p+1), a range p..endPort (p and endPort+1), a named port resolved on
// the destination pod for that protocol (as a number). Cut at those edges,
// each protocol's port space 1-65535 falls into classes within which every
// port entry matches all ports or none, so every rule, and the engine,
// answers alike for the whole class: one PolicyEngine.allows per class.
//
// Protocols without ports (ICMP, ...) match no port entry, only rules
// without ports, which match them all alike: one question answers for all.
import type { NetworkPolicy, Pod, PolicyPort, Protocol } from '../model/types.ts';
import { PROTOCOLS } from '../model/types.ts';
import type { Direction } from '../model/types.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import type { Endpoint } from '../policy/endpoint.ts';
import { resolveNamedPort } from '../policy/port-match.ts';
import { ConnectionSet, MAX_PORT, MIN_PORT, type PortRange } from './connection-set-algebra.ts';
import { pairEndpoints } from './pod-reach.ts';

export { ConnectionSet, ConnectionSetSyntaxError, parseConnectionSet, type PortRange } from './connection-set-algebra.ts';

/** The protocol name asked for "every protocol without ports": the engine treats them all as it treats ICMP. */
export const OTHER_PROTOCOL_PROBE = 'ICMP';

/**
 * The pods that stand at one end, for the engine: the pod named and the pod
 * that holds its address, when another does (the engine evaluates the
 * holder, as the kernel sees only the address).
 */
function podsAt(engine: PolicyEngine, e: Endpoint): Pod[] {
  const holder = engine.state.podAt(e.ip);
  const named = e.kind === 'pod' ? [e.pod] : [];
  return holder !== undefined && !named.includes(holder) ? [...named, holder] : named;
}

/** The edges one port entry makes for a protocol, on these destination pods. */
function entryEdges(rp: PolicyPort, protocol: Protocol, destinations: readonly Pod[], edges: Set<number>): void {
  if (rp.protocol !== protocol || rp.port === undefined) return;
  if (typeof rp.port === 'number') {
    edges.add(rp.port);
    edges.add((rp.endPort ?? rp.port) + 1);
    return;
  }
  for (const pod of destinations) {
    const n = resolveNamedPort(pod, rp.port, protocol);
    if (n === undefined) continue;
    edges.add(n);
    edges.add(n + 1);
  }
}

function policiesOf(engine: PolicyEngine, pods: readonly Pod[], direction: Direction): NetworkPolicy[] {
  return pods.flatMap((p) => [...engine.isolatingPolicies(p, direction)]);
}

/** The first port of each class of a protocol's ports (sorted), given the policies that apply. */
export function portClassStarts(
  policies: readonly { policy: NetworkPolicy; direction: Direction }[], protocol: Protocol, destinations: readonly Pod[],
): number[] {
  const edges = new Set<number>([MIN_PORT]);
  for (const { policy, direction } of policies) {
    for (const rule of policy[direction]) for (const rp of rule.ports) entryEdges(rp, protocol, destinations, edges);
  }
  return [...edges].filter((p) => p >= MIN_PORT && p <= MAX_PORT).sort((a, b) => a - b);
}

/** Every connection the engine allows from `from` to `to`, exactly. */
export function connectionSet(engine: PolicyEngine, from: Endpoint, to: Endpoint): ConnectionSet {
  const destinations = podsAt(engine, to);
  const policies = [
    ...policiesOf(engine, podsAt(engine, from), 'egress').map((policy) => ({ policy, direction: 'egress' as const })),
    ...policiesOf(engine, destinations, 'ingress').map((policy) => ({ policy, direction: 'ingress' as const })),
  ];
  const ranges: Partial<Record<Protocol, PortRange[]>> = {};
  for (const protocol of PROTOCOLS) {
    const starts = portClassStarts(policies, protocol, destinations);
    const list: PortRange[] = [];
    starts.forEach((start, i) => {
      if (engine.allows({ from, to, protocol, port: start })) list.push([start, (starts[i + 1] ?? MAX_PORT + 1) - 1]);
    });
    ranges[protocol] = list;
  }
  return ConnectionSet.of(ranges, engine.allows({ from, to, protocol: OTHER_PROTOCOL_PROBE }));
}

/** The connection set between two pods or workloads, in an address family they share (IPv4 first); undefined when they share none. */
export function podConnectionSet(engine: PolicyEngine, from: Pod, to: Pod): ConnectionSet | undefined {
  const ends = pairEndpoints(from, to);
  return ends === undefined ? undefined : connectionSet(engine, ends[0], ends[1]);
}
