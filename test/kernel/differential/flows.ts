// The flows of one generated cluster that can be probed in the lab world, the
// engine's verdict for each, and the sample of them a run probes.
//
// A flow's ends are pods of the cluster (at an address the model gives them:
// a slot's other-family address is unknown to the model and its node drops
// it by design, so it is never an end) or outside hosts. Outside host to
// outside host is left out: no policy is involved.
import { familyOf, type IPFamily } from '../../../src/model/addresses.ts';
import type { ClusterState } from '../../../src/model/cluster-state.ts';
import type { Pod } from '../../../src/model/types.ts';
import { podKey } from '../../../src/model/types.ts';
import type { Flow, PolicyEngine } from '../../../src/policy/engine.ts';
import { addressEndpoint, podEndpoint, type Endpoint } from '../../../src/policy/endpoint.ts';
import type { LabFlow } from './lab.ts';
import { NODE_LAYOUT, OUTSIDE_HOSTS, SERVED_PORTS, hostAddress, slotAt, type NodeName } from './slots.ts';
import { prng } from '../../generators/prng.ts';

/**
 * pod-to-own-node crosses the node's input hook, pod-to-node (another node's
 * address) its forward hook: where cluster policies' nodes and networks peers
 * decide (node addresses stand for host-network pods there).
 */
export type FlowKind = 'same-node' | 'cross-node' | 'pod-to-outside' | 'outside-to-pod' | 'pod-to-own-node' | 'pod-to-node';
export const PROBE_PROTOCOLS = ['TCP', 'UDP'] as const;

export interface ProbeFlow {
  /** What the lab sends: from an endpoint id to an address. */
  readonly lab: LabFlow;
  /** What the engine is asked. */
  readonly flow: Flow;
  readonly kind: FlowKind;
  readonly family: IPFamily;
  /** The engine's verdict. */
  readonly allowed: boolean;
  /** Source address, destination address, protocol and port: names the flow across runs. */
  readonly key: string;
  /** The nodes whose rulesets the packet crosses (source pod's node, destination pod's node). */
  readonly nodes: readonly NodeName[];
}

interface End {
  readonly labId: string;
  readonly endpoint: Endpoint;
  readonly node?: NodeName;
}

function podEnds(pod: Pod): End[] {
  return pod.ips.flatMap((ip) => {
    const slot = slotAt(ip);
    if (!slot) throw new Error(`pod ${podKey(pod)}: ${ip} is no slot's address`);
    const endpoint = podEndpoint(pod, familyOf(ip));
    return endpoint ? [{ labId: slot.id, endpoint, node: slot.node }] : [];
  });
}

export function flowKey(src: string, dst: string, protocol: string, port: number): string {
  return `${src} > ${dst} ${protocol}/${port}`;
}

/** Every probe-able flow of the cluster with the engine's verdict: pod <-> pod, pod <-> outside host, pod -> node, both families, TCP and UDP. */
export function candidateFlows(engine: PolicyEngine): ProbeFlow[] {
  const state: ClusterState = engine.state;
  const pods = [...state.participatingPods()].sort((a, b) => (podKey(a) < podKey(b) ? -1 : 1));
  const podSide = pods.flatMap(podEnds);
  const outside: End[] = OUTSIDE_HOSTS.flatMap((h) => ([4, 6] as const).map((f) => ({ labId: h.id, endpoint: addressEndpoint(state, hostAddress(h, f)) })));
  const out: ProbeFlow[] = [];
  const push = (src: End, dst: End, kind: FlowKind, family: IPFamily, nodes: readonly NodeName[]): void => {
    for (const protocol of PROBE_PROTOCOLS) {
      for (const port of SERVED_PORTS) {
        const flow: Flow = { from: src.endpoint, to: dst.endpoint, protocol, port };
        out.push({
          lab: { from: src.labId, to: dst.endpoint.ip, protocol, port }, flow, kind, family,
          allowed: engine.allows(flow), key: flowKey(src.endpoint.ip, dst.endpoint.ip, protocol, port), nodes,
        });
      }
    }
  };
  // A pod to a node's own address (the node serves the ports on its lo).
  const nodeSide: End[] = NODE_LAYOUT.flatMap((n) => ([4, 6] as const).map((f) => ({ labId: n.name, endpoint: addressEndpoint(state, f === 4 ? n.v4 : n.v6), node: n.name })));
  for (const src of podSide) {
    for (const dst of nodeSide) {
      const family = familyOf(src.endpoint.ip);
      if (familyOf(dst.endpoint.ip) !== family || src.node === undefined) continue;
      push(src, dst, src.node === dst.node ? 'pod-to-own-node' : 'pod-to-node', family, [src.node]);
    }
  }
  for (const src of [...podSide, ...outside]) {
    for (const dst of [...podSide, ...outside]) {
      if (src.labId === dst.labId) continue;
      const family = familyOf(src.endpoint.ip);
      if (familyOf(dst.endpoint.ip) !== family) continue;
      const kind: FlowKind | undefined = src.node && dst.node
        ? (src.node === dst.node ? 'same-node' : 'cross-node')
        : src.node ? 'pod-to-outside' : dst.node ? 'outside-to-pod' : undefined;
      if (kind === undefined) continue;
      const nodes = [...new Set([src.node, dst.node].filter((n): n is NodeName => n !== undefined))];
      push(src, dst, kind, family, nodes);
    }
  }
  return out;
}


function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

/**
 * How much a flow sits on a boundary of the policies: its pair of ends has
 * both allowed and denied ports (the port decided it), and its destination
 * and port are allowed from some sources and not from others (the peer
 * decided it). Boundary flows are where a wrong port match, named-port set,
 * peer set or address side shows.
 */
function boundaryScores(candidates: readonly ProbeFlow[]): Map<ProbeFlow, number> {
  const groups = (key: (f: ProbeFlow) => string): Map<string, Set<boolean>> => {
    const m = new Map<string, Set<boolean>>();
    for (const f of candidates) {
      const k = key(f);
      const set = m.get(k) ?? new Set<boolean>();
      set.add(f.allowed);
      m.set(k, set);
    }
    return m;
  };
  const byPair = groups((f) => `${f.lab.from} ${f.lab.to}`);
  const byTarget = groups((f) => `${f.lab.to} ${f.lab.protocol}/${f.lab.port} ${f.kind}`);
  const bySource = groups((f) => `${f.lab.from} ${f.family} ${f.lab.protocol}/${f.lab.port} ${f.kind}`);
  const mixed = (m: Map<string, Set<boolean>>, k: string): number => ((m.get(k)?.size ?? 0) > 1 ? 1 : 0);
  return new Map(candidates.map((f) => [f, 2 * mixed(byPair, `${f.lab.from} ${f.lab.to}`)
    + mixed(byTarget, `${f.lab.to} ${f.lab.protocol}/${f.lab.port} ${f.kind}`)
    + mixed(bySource, `${f.lab.from} ${f.family} ${f.lab.protocol}/${f.lab.port} ${f.kind}`)]));
}

/**
 * Up to `max` flows, spread evenly over buckets of (kind, family, verdict) so
 * that a run probes allowed and denied flows, same-node, cross-node and
 * outside, v4 and v6, whatever the mix of verdicts in the cluster. Within a
 * bucket, flows on a policy boundary (see boundaryScores) come first, in
 * random order.
 */
export function sampleFlows(candidates: readonly ProbeFlow[], seed: number, max: number): ProbeFlow[] {
  const random = prng(seed);
  const score = boundaryScores(candidates);
  const buckets = new Map<string, ProbeFlow[]>();
  for (const c of candidates) {
    const k = `${c.kind} ${c.family} ${c.allowed}`;
    const list = buckets.get(k);
    if (list) list.push(c);
    else buckets.set(k, [c]);
  }
  const byScore = (a: ProbeFlow, b: ProbeFlow): number => (score.get(b) ?? 0) - (score.get(a) ?? 0);
  const queues = shuffle([...buckets.keys()].sort(), random)
    .map((k) => shuffle([...(buckets.get(k) as ProbeFlow[])], random).sort(byScore));
  const picked: ProbeFlow[] = [];
  while (picked.length < max && queues.some((q) => q.length > 0)) {
    for (const q of queues) {
      const next = q.shift();
      if (next && picked.length < max) picked.push(next);
    }
  }
  return picked;
}
