// How a PolicyTest world becomes a kernel lab world. Pure: no I/O.
//
//  - Nodes: the Node objects and the nodes pods name (spec.nodeName), or, when there are
//    none, node-1 and node-2. A Node's podCIDRs go to the lab (cni0 gateway, flannel route)
//    and to the compiler (the fail-closed sets); its addresses live in the node's netns.
//  - Pods: every pod taking part in policy, on its spec.nodeName, or spread round-robin
//    over the nodes in namespace/name order (compile/placement.ts, as `nftpol render` does),
//    with its addresses wherever they are.
//  - Host-network pods: their addresses are their node's.
//  - `ip:` endpoints outside the cluster: an outside host each, reached through the uplink
//    of the first node whose pod CIDRs do not hold the address (a node drops traffic from
//    or to an address in its own pod CIDRs that no pod holds: fail closed).
//  - Ports: every endpoint serves the TCP and UDP ports the flows to it need.
//
// Worlds with the same nodes and pods (placement and addresses) share one lab network:
// a run of the conformance tests (one world.yaml, a different policy per file) builds it
// once. Their outside hosts and ports are merged.
import { knownNodes, placePods } from '../sources/placement.ts';
import type { WorldSpec } from '../lab/spec.ts';
import { canonicalIp as canonicalAddress, cidrContains, cidrFamily } from '../model/addresses.ts';
import { ClusterState, participates } from '../model/cluster-state.ts';
import type { ClusterObjects, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import type { Endpoint } from '../policy/endpoint.ts';
import { PolicyEngine, type Flow } from '../policy/engine.ts';
import type { TestWorld } from './load-test-world.ts';

/** The nodes of a world without Node objects or pods naming a node. */
export const DEFAULT_NODES: readonly string[] = ['node-1', 'node-2'];

/** A test world with every pod on a node, and the engine the compiler uses for it. */
export interface PlacedWorld {
  readonly world: TestWorld;
  readonly objects: ClusterObjects;
  readonly state: ClusterState;
  readonly engine: PolicyEngine;
  /** Node names, sorted. */
  readonly nodes: readonly string[];
  /** Identifies the nodes and pods (placement, addresses): worlds with the same key share a lab network. */
  readonly networkKey: string;
}

interface NetworkNode {
  readonly name: string;
  readonly podCIDRs: readonly string[];
  readonly addresses: readonly string[];
}

interface NetworkPod {
  readonly id: string;
  readonly node: string;
  readonly ips: readonly string[];
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The pods that get a netns: those taking part in policy. */
function labPods(objects: ClusterObjects): Pod[] {
  return objects.pods.filter(participates).sort((a, b) => compare(podKey(a), podKey(b)));
}

function networkOf(objects: ClusterObjects, nodes: readonly string[]): { nodes: NetworkNode[]; pods: NetworkPod[] } {
  const nodeObjects = new Map(objects.nodes.map((n) => [n.name, n]));
  const hostAddresses = new Map<string, string[]>();
  for (const p of objects.pods) {
    if (!p.hostNetwork || p.nodeName === undefined) continue;
    hostAddresses.set(p.nodeName, [...(hostAddresses.get(p.nodeName) ?? []), ...p.ips]);
  }
  return {
    nodes: nodes.map((name) => {
      const n = nodeObjects.get(name);
      // One pod CIDR per family, as Kubernetes allows.
      const cidrs: string[] = [];
      for (const c of n?.podCIDRs ?? []) {
        const fam = cidrFamily(c);
        if (!cidrs.some((x) => cidrFamily(x) === fam)) cidrs.push(c);
      }
      const addresses = [...new Set([...(n?.addresses ?? []), ...(hostAddresses.get(name) ?? [])].map(canonicalAddress))];
      return { name, podCIDRs: cidrs, addresses };
    }),
    pods: labPods(objects).map((p) => ({ id: podKey(p), node: p.nodeName as string, ips: p.ips.map(canonicalAddress) })),
  };
}

/** Puts every pod of a test world on a node. */
export function placeWorld(world: TestWorld): PlacedWorld {
  const extra = knownNodes(world.objects).length === 0 ? DEFAULT_NODES : [];
  const objects = placePods(world.objects, extra);
  const nodes = knownNodes(objects, extra);
  const state = new ClusterState(objects);
  return { world, objects, state, engine: new PolicyEngine(state), nodes, networkKey: JSON.stringify(networkOf(objects, nodes)) };
}

export type ProbeProtocol = 'TCP' | 'UDP';

/** One flow as the lab sends it. */
export interface LabProbe {
  /** Lab endpoint id of the sender: a pod key, a node name, or `ip:ADDRESS` for an outside host. */
  readonly from: string;
  /** The address it sends from (the flow's source address). */
  readonly source: string;
  readonly to: string;
  /** Lab endpoint id owning `to`. */
  readonly target: string;
  readonly protocol: ProbeProtocol;
  readonly port: number;
}

/** Where a flow's end is in the lab: its endpoint id, and its node when it has one. */
export interface LabEnd {
  readonly id: string;
  readonly node?: string;
}

export function outsideHostId(ip: string): string {
  return `ip:${canonicalAddress(ip)}`;
}

/** The lab endpoint of a flow's end, in the placed world. */
export function labEnd(placed: PlacedWorld, e: Endpoint): LabEnd {
  if (e.kind === 'pod') {
    const node = placed.state.pods.get(podKey(e.pod))?.nodeName;
    return { id: podKey(e.pod), ...(node !== undefined && { node }) };
  }
  if (e.kind === 'node') {
    const node = e.node?.name ?? (e.hostPod ? placed.state.pods.get(podKey(e.hostPod))?.nodeName : undefined) ?? placed.state.nodeAt(e.ip)?.node?.name;
    if (node === undefined) throw new Error(`node address ${e.ip} belongs to no node`);
    return { id: node, node };
  }
  return { id: outsideHostId(e.ip) };
}

/** The probe for a TCP or UDP flow; undefined for flows the lab cannot send (SCTP, portless protocols). */
export function labProbe(placed: PlacedWorld, flow: Flow): LabProbe | undefined {
  if ((flow.protocol !== 'TCP' && flow.protocol !== 'UDP') || flow.port === undefined) return undefined;
  return {
    from: labEnd(placed, flow.from).id,
    source: canonicalAddress(flow.from.ip),
    to: canonicalAddress(flow.to.ip),
    target: labEnd(placed, flow.to).id,
    protocol: flow.protocol,
    port: flow.port,
  };
}

/** The lab description for worlds sharing one network (same networkKey), serving every probe's port. */
export function labSpec(worlds: readonly PlacedWorld[], probes: readonly LabProbe[]): WorldSpec {
  const first = worlds[0];
  if (!first) throw new Error('labSpec: no world');
  const net = networkOf(first.objects, first.nodes);
  const tcp = new Map<string, Set<number>>();
  const udp = new Map<string, Set<number>>();
  const outside = new Map<string, string>();
  const podIds = new Set(net.pods.map((p) => p.id));
  const nodeNames = new Set(net.nodes.map((n) => n.name));
  const note = (id: string, address: string): void => {
    if (!podIds.has(id) && !nodeNames.has(id)) outside.set(id, address);
  };
  for (const p of probes) {
    note(p.from, p.source);
    note(p.target, p.to);
    const ports = p.protocol === 'TCP' ? tcp : udp;
    const set = ports.get(p.target) ?? new Set<number>();
    set.add(p.port);
    ports.set(p.target, set);
  }
  const portsOf = (id: string): { tcpPorts: number[]; udpPorts: number[] } => ({
    tcpPorts: [...(tcp.get(id) ?? [])].sort((a, b) => a - b),
    udpPorts: [...(udp.get(id) ?? [])].sort((a, b) => a - b),
  });
  const via = (ip: string): string => {
    const free = net.nodes.find((n) => !n.podCIDRs.some((c) => cidrContains(c, ip)));
    return (free ?? net.nodes[0])?.name ?? '';
  };
  // An `ip:` address inside a node's pod CIDR can only be a pod of that node
  // (one nftpol does not know): it sits on that node's cni0, as it would in a
  // cluster, not behind an uplink.
  const owner = (ip: string): string | undefined => net.nodes.find((n) => n.podCIDRs.some((c) => cidrContains(c, ip)))?.name;
  const ends = [...outside].sort(([a], [b]) => compare(a, b));
  const unknownPods = ends.filter(([, ip]) => owner(ip) !== undefined);
  return {
    nodes: net.nodes.map((n) => ({ name: n.name, podCIDRs: [...n.podCIDRs], addresses: [...n.addresses], ...portsOf(n.name) })),
    pods: [
      ...net.pods.map((p) => ({ id: p.id, node: p.node, ips: [...p.ips], ...portsOf(p.id) })),
      ...unknownPods.map(([id, ip]) => ({ id, node: owner(ip) as string, ips: [ip], ...portsOf(id) })),
    ],
    outsideHosts: ends
      .filter(([, ip]) => owner(ip) === undefined)
      .map(([id, ip]) => ({ id, ips: [ip], via: via(ip), ...portsOf(id) })),
  };
}

/**
 * Why a node may drop a flow whatever the policies say: an end's address lies in a node's
 * pod CIDR but is no pod of that node (an address no pod holds, or a pod placed on another
 * node), and nodes fail closed on such addresses. The engine denies the first kind too
 * (decidedBy "unknown-pod"); the note says it next to a kernel deny in either case.
 */
export function failClosedNote(placed: PlacedWorld, flow: Flow): string | undefined {
  const notes: string[] = [];
  for (const e of [flow.from, flow.to]) {
    for (const node of placed.state.nodes.values()) {
      const cidr = node.podCIDRs.find((c) => cidrContains(c, e.ip));
      if (cidr === undefined) continue;
      const pod = placed.state.podAt(e.ip);
      if (pod !== undefined && pod.nodeName === node.name) continue;
      const what = pod ? `pod ${podKey(pod)} runs on ${pod.nodeName ?? 'another node'}` : 'no pod holds it';
      notes.push(`${e.ip} is in node ${node.name}'s pod CIDR ${cidr} but ${what}: node ${node.name} drops it (fail closed)`);
    }
  }
  return notes.length === 0 ? undefined : notes.join('; ');
}
