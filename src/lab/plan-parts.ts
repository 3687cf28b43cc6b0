// What the bridge and the routed planners share: the placed pods and outside hosts, the
// sysctls of every netns, and the outside hosts' uplinks (the same in both topologies).

import { familyOf, hostCidr, type IPFamily } from '../model/addresses.ts';
import { transitAddresses } from './addresses.ts';
import type { OutsideHostSpec, PodSpec } from './spec.ts';
import type { EndpointPlan, NetnsSetup, NodePlan } from './topology.ts';

/** A pod with its netns and the node it runs on. */
export interface PlacedPod {
  readonly spec: PodSpec;
  readonly index: number;
  readonly node: NodePlan;
  readonly plan: EndpointPlan;
}

/** An outside host with its netns and the node whose uplink reaches it. */
export interface PlacedHost {
  readonly spec: OutsideHostSpec;
  readonly index: number;
  readonly node: NodePlan;
  readonly plan: EndpointPlan;
}

export const commonSysctls = {
  'net.ipv6.conf.all.accept_dad': '0',
  'net.ipv6.conf.default.accept_dad': '0',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
};

export const ofFamily = (ips: readonly string[], fam: IPFamily): string[] => ips.filter((a) => familyOf(a) === fam);

/** On the node an outside host hangs off: the uplink veth, its transit addresses, host routes to the host. */
export function uplinkCommands(h: PlacedHost): string[] {
  const [t4, far4] = transitAddresses(h.index, 4);
  const [t6, far6] = transitAddresses(h.index, 6);
  return [
    `link add out${h.index} type veth peer name eth0 netns ${h.plan.netns}`,
    `addr add ${t4}/30 dev out${h.index}`,
    `addr add ${t6}/64 dev out${h.index} nodad`,
    `link set out${h.index} up`,
    ...ofFamily(h.plan.addresses, 4).map((a) => `route add ${hostCidr(a)} via ${far4} dev out${h.index}`),
    ...ofFamily(h.plan.addresses, 6).map((a) => `route add ${hostCidr(a)} via ${far6} dev out${h.index}`),
  ];
}

/** The outside host's own netns: its addresses, and everything through the node it hangs off. */
export function outsideHostSetup(h: PlacedHost): NetnsSetup {
  const [near4, far4] = transitAddresses(h.index, 4);
  const [near6, far6] = transitAddresses(h.index, 6);
  const hostV4 = ofFamily(h.plan.addresses, 4)[0];
  const hostV6 = ofFamily(h.plan.addresses, 6)[0];
  const ip = [
    'link set lo up',
    `addr add ${far4}/30 dev eth0`,
    `addr add ${far6}/64 dev eth0 nodad`,
    ...(hostV4 ? [`addr add ${hostCidr(hostV4)} dev eth0`] : []),
    ...(hostV6 ? [`addr add ${hostCidr(hostV6)} dev eth0 nodad`] : []),
    'link set eth0 up',
    // Sourced from the host's own address (not the transit one).
    ...(hostV4 ? [`route add default via ${near4} dev eth0 src ${hostV4}`] : []),
    ...(hostV6 ? [`route add ::/0 via ${near6} dev eth0 src ${hostV6}`] : []),
  ];
  return { netns: h.plan.netns, sysctls: {}, verify: {}, ip, bridge: [] };
}
