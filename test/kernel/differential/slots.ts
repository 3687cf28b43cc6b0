// The fixed lab world of the differential test: two nodes, nine pod slots with
// fixed addresses (each slot has an IPv4 and an IPv6 address in its node's pod
// CIDRs and serves every port of SERVED_PORTS on TCP and UDP), and two
// dual-stack outside hosts. The world is built once; each generated cluster
// only decides which slots hold a pod, and that pod's namespace, labels,
// address families, container ports and the policies around it.
import type { IPFamily } from '../../../src/model/addresses.ts';
import type { Node } from '../../../src/model/types.ts';
import type { WorldSpec } from './lab.ts';

export const NODE_NAMES = ['node-1', 'node-2'] as const;
export type NodeName = (typeof NODE_NAMES)[number];

/** Ports every pod slot and outside host serves, on TCP and UDP; policies and container ports draw from them. */
export const SERVED_PORTS = [53, 80, 443, 8080, 8081, 9090] as const;

export interface NodeLayout {
  readonly name: NodeName;
  readonly podCIDR: string;
  readonly podCIDRv6: string;
  /** The node's own addresses (on its lo, serving SERVED_PORTS): what cluster policies' nodes peers select. */
  readonly v4: string;
  readonly v6: string;
}

export const NODE_LAYOUT: readonly NodeLayout[] = [
  { name: 'node-1', podCIDR: '10.244.1.0/24', podCIDRv6: 'fd00:10:244:1::/64', v4: '192.168.100.1', v6: 'fd00:192:168:100::1' },
  { name: 'node-2', podCIDR: '10.244.2.0/24', podCIDRv6: 'fd00:10:244:2::/64', v4: '192.168.100.2', v6: 'fd00:192:168:100::2' },
];

export interface PodSlot {
  readonly index: number;
  /** The lab's endpoint id of the slot. */
  readonly id: string;
  readonly node: NodeName;
  readonly v4: string;
  readonly v6: string;
}

export const SLOT_COUNT = 9;

/** Slot i sits on node-1 when i is even, node-2 when odd: 5 + 4 slots. */
export const SLOTS: readonly PodSlot[] = Array.from({ length: SLOT_COUNT }, (_, index): PodSlot => {
  const n = index % 2 === 0 ? 1 : 2;
  return { index, id: `slot/${index}`, node: `node-${n}` as NodeName, v4: `10.244.${n}.${10 + index}`, v6: `fd00:10:244:${n}::${10 + index}` };
});

export interface OutsideHost {
  readonly id: string;
  readonly via: NodeName;
  readonly v4: string;
  readonly v6: string;
}

export const OUTSIDE_HOSTS: readonly OutsideHost[] = [
  { id: 'ext-1', via: 'node-1', v4: '203.0.113.10', v6: '2001:db8::10' },
  { id: 'ext-2', via: 'node-2', v4: '198.51.100.20', v6: '2001:db8:1::20' },
];

export const slotAddress = (slot: PodSlot, family: IPFamily): string => (family === 4 ? slot.v4 : slot.v6);
export const hostAddress = (host: OutsideHost, family: IPFamily): string => (family === 4 ? host.v4 : host.v6);

/** Which slot (or outside host) owns an address of the world. */
export function slotAt(ip: string): PodSlot | undefined {
  return SLOTS.find((s) => s.v4 === ip || s.v6 === ip);
}
export function nodeAt(ip: string): NodeLayout | undefined {
  return NODE_LAYOUT.find((n) => n.v4 === ip || n.v6 === ip);
}
export function outsideHostAt(ip: string): OutsideHost | undefined {
  return OUTSIDE_HOSTS.find((h) => h.v4 === ip || h.v6 === ip);
}

/**
 * The model's Node objects: names, addresses and pod CIDRs as the world has
 * them (the nodes fail closed on unknown local addresses); a generated case
 * gives them labels.
 */
export const MODEL_NODES: readonly Node[] = NODE_LAYOUT.map((n) => ({ name: n.name, addresses: [n.v4, n.v6], podCIDRs: [n.podCIDR, n.podCIDRv6] }));

/** The lab description: every slot and outside host serves every port of SERVED_PORTS. */
export function worldSpec(): WorldSpec {
  const ports = [...SERVED_PORTS];
  return {
    nodes: NODE_LAYOUT.map((n) => ({ name: n.name, podCIDR: n.podCIDR, podCIDRv6: n.podCIDRv6, addresses: [n.v4, n.v6], tcpPorts: ports, udpPorts: ports })),
    pods: SLOTS.map((s) => ({ id: s.id, node: s.node, ips: [s.v4, s.v6], tcpPorts: ports, udpPorts: ports })),
    outsideHosts: OUTSIDE_HOSTS.map((h) => ({ id: h.id, via: h.via, ips: [h.v4, h.v6], tcpPorts: ports, udpPorts: ports })),
  };
}
