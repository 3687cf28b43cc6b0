// The exact set of connections the engine allows between two endpoints.
//
// Ports are never sampled. Only the source's egress and the destination's
// ingress isolating policies can make a port's verdict differ from its
// neighbour's, and only at the edges of their port entries: a number p (p
// and p+1), a range p..endPort (p and endPort+1), a named port resolved on
// the destination pod for that protocol (as a number). Cut at those edges,
// each protocol's port space 1-65535 falls into classes within which every
// port entry matches all ports or none, so every rule, and the engine,
// answers alike for the whole class: one question per class, asked of
// PolicyEngine.pair, which matches every rule's peers against the pair once
// and then answers each class from the ports alone (allows()'s answers).
//
// A rule none of whose peers is the other end allows nothing on any port,
// so its ports make no edges (peers never depend on the port); fewer edges,
// fewer questions, the same answer. The pair's rules whose peers hold the
// other end are those its questions check, so they are the ones cut at.
//
// Protocols without ports (ICMP, ...) match no port entry, only rules
// without ports, which match them all alike: one question answers for all.
//
// Cluster-wide policies (Admin and Baseline tiers) decide before and after
// NetworkPolicy, so the ports of their rules cut the classes too: the rules
// of the cluster policies whose subject is the source (egress) or the
// destination (ingress), with the same edges (a number, a range, a named
// port resolved on the destination pod for each protocol it declares it
// with), and the same pruning (a rule none of whose peers is the other end
// never matches, whatever the port).
import type { ClusterPort, ClusterRule, Direction, NetworkPolicy, Pod, PolicyPort, PolicyRule, Protocol } from '../model/types.ts';
import { PROTOCOLS } from '../model/types.ts';
import type { PairVerdicts, PolicyEngine } from '../policy/engine.ts';
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

/** The edges one cluster rule's port entry makes for a protocol, on these destination pods. */
function clusterEntryEdges(cp: ClusterPort, protocol: Protocol, destinations: readonly Pod[], edges: Set<number>): void {
  if (cp.kind === 'number') {
    if (cp.protocol !== protocol) return;
    edges.add(cp.port);
    edges.add((cp.endPort ?? cp.port) + 1);
    return;
  }
  // A cluster named port matches the container port of that name with the flow's protocol.
  for (const pod of destinations) {
    for (const declared of pod.ports) {
      if (declared.name !== cp.name || declared.protocol !== protocol) continue;
      edges.add(declared.port);
      edges.add(declared.port + 1);
    }
  }
}

/** The rules whose ports can cut the classes: NetworkPolicy's and the cluster tiers'. */
interface CuttingRules {
  readonly rules: readonly PolicyRule[];
  readonly clusterRules: readonly ClusterRule[];
}

/** The rules of the pair whose peers hold the other end (the engine matched them once for the pair). */
function pairRules(pair: PairVerdicts): CuttingRules {
  const sides = [pair.egress, pair.ingress].filter((d) => d !== undefined);
  return { rules: sides.flatMap((d) => d.networkPolicy), clusterRules: sides.flatMap((d) => [...d.admin, ...d.baseline]) };
}

/** Every rule of the ends' policies and of the cluster policies whose subject is an end, whatever its peers. */
function everyRule(engine: PolicyEngine, sources: readonly Pod[], destinations: readonly Pod[]): CuttingRules {
  const clusterRules = (pods: readonly Pod[], direction: Direction): ClusterRule[] => pods.flatMap((pod) => {
    const tiers = engine.tierPolicies(pod, direction);
    return [...tiers.admin, ...tiers.baseline].flatMap((policy) => policy[direction]);
  });
  return {
    rules: [...policiesOf(engine, sources, 'egress').flatMap((p) => p.egress), ...policiesOf(engine, destinations, 'ingress').flatMap((p) => p.ingress)],
    clusterRules: [...clusterRules(sources, 'egress'), ...clusterRules(destinations, 'ingress')],
  };
}

/**
 * The first port of each class of a protocol's ports (sorted), given the
 * NetworkPolicy rules and the cluster rules whose ports can matter.
 */
export function portClassStarts(rules: readonly PolicyRule[], protocol: Protocol, destinations: readonly Pod[], clusterRules: readonly ClusterRule[] = []): number[] {
  const edges = new Set<number>([MIN_PORT]);
  for (const rule of rules) for (const rp of rule.ports) entryEdges(rp, protocol, destinations, edges);
  for (const rule of clusterRules) for (const cp of rule.ports) clusterEntryEdges(cp, protocol, destinations, edges);
  return [...edges].filter((p) => p >= MIN_PORT && p <= MAX_PORT).sort((a, b) => a - b);
}

/** Every connection the engine allows from `from` to `to`, exactly. */
export function connectionSet(engine: PolicyEngine, from: Endpoint, to: Endpoint): ConnectionSet {
  const destinations = podsAt(engine, to);
  const pair = engine.pair(from, to);
  // With an address claimed twice the engine may put the holder in an end's
  // place; then every rule's ports count, whatever its peers.
  const { rules, clusterRules } = engine.state.hasSharedAddresses() ? everyRule(engine, podsAt(engine, from), destinations) : pairRules(pair);
  const ranges: Partial<Record<Protocol, PortRange[]>> = {};
  for (const protocol of PROTOCOLS) {
    const starts = portClassStarts(rules, protocol, destinations, clusterRules);
    const list: PortRange[] = [];
    starts.forEach((start, i) => {
      if (pair.allows(protocol, start)) list.push([start, (starts[i + 1] ?? MAX_PORT + 1) - 1]);
    });
    ranges[protocol] = list;
  }
  return ConnectionSet.of(ranges, pair.allows(OTHER_PROTOCOL_PROBE));
}

/** The connection set between two pods or workloads, in an address family they share (IPv4 first); undefined when they share none. */
export function podConnectionSet(engine: PolicyEngine, from: Pod, to: Pod): ConnectionSet | undefined {
  const ends = pairEndpoints(from, to);
  return ends === undefined ? undefined : connectionSet(engine, ends[0], ends[1]);
}
