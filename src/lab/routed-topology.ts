// The routed topology (kindnet, Calico, the CNI `ptp` plugin): each pod on its own veth,
// a /32 (/128) route to it on its node, no bridge and no overlay; nodes route each
// other's pod CIDRs (and pod addresses outside them) over the underlay link.
//
//   pod netns                node netns                      underlay netns
//   eth0 ──veth── vethN      lo: node addresses, gateways    eth0 ──veth── nI ── br0
//   (default via gateway)    route <pod>/32 dev vethN        route <remote pod CIDR> via <remote underlay>
//
// Every pod packet is routed by its node (pod -> vethA -> node -> vethB -> pod), so it
// crosses the node's forward hook without br_netfilter: the nodes keep
// bridge-nf-call-ip(6)tables at 0, and a world built this way shows that nothing here
// depends on it.
//
// Pods: their addresses as /32 and /128 on eth0 and nothing on-link: IPv4 `default via
// <gateway> onlink` (the node's gateway address sits on its lo, so the node answers ARP for
// it from any veth, arp_ignore 0, as Calico's 169.254.1.1), IPv6 `default via fe80::1`
// (every pod veth on the node holds fe80::1/64, as Calico routes via the veth's link-local).

import { cidrContains, familyOf, hostCidr, IP_FAMILIES, type IPFamily } from '../model/addresses.ts';
import { LINK_GATEWAY, type PodCidr } from './addresses.ts';
import { commonSysctls, ofFamily, uplinkCommands, type PlacedHost, type PlacedPod } from './plan-parts.ts';
import type { NetnsSetup, NodePlan } from './topology.ts';

/** The routed nodes' bridge sysctls: off, and checked off (see above). */
export const ROUTED_NODE_BRIDGE_SYSCTLS = { 'net.bridge.bridge-nf-call-iptables': '0', 'net.bridge.bridge-nf-call-ip6tables': '0' };

export interface RoutedParts {
  readonly underlayNetns: string;
  readonly nodes: readonly NodePlan[];
  readonly pods: readonly PlacedPod[];
  readonly outside: readonly PlacedHost[];
  readonly podCidrOf: (n: NodePlan, fam: IPFamily) => PodCidr | undefined;
}

const underlayOf = (n: NodePlan, fam: IPFamily): string => n.underlay[fam === 4 ? 0 : 1] as string;

/** Phase 2 (nodes, creating every veth) and the pods' half of phase 3. */
export function routedPhases(w: RoutedParts): { nodes: NetnsSetup[]; pods: NetnsSetup[] } {
  const nodes = w.nodes.map((node): NetnsSetup => {
    const ip: string[] = [
      'link set lo up',
      ...node.nodeAddresses.map((a) => `addr add ${hostCidr(a)} dev lo${familyOf(a) === 6 ? ' nodad' : ''}`),
      // The gateways: the node's own addresses in its pod CIDRs (or 169.254.1.1), on lo.
      `addr add ${hostCidr(node.gateways[4])} dev lo`,
      ...(node.gateways[6] === LINK_GATEWAY[6] ? [] : [`addr add ${hostCidr(node.gateways[6])} dev lo nodad`]),
      `link add eth0 type veth peer name n${node.index} netns ${w.underlayNetns}`,
      `addr add ${underlayOf(node, 4)}/24 dev eth0`,
      `addr add ${underlayOf(node, 6)}/64 dev eth0 nodad`,
      'link set eth0 up',
    ];
    // kindnet's routes: per remote node its pod CIDRs via its underlay address; node
    // addresses likewise.
    for (const other of w.nodes) {
      if (other === node) continue;
      for (const fam of IP_FAMILIES) {
        const c = w.podCidrOf(other, fam);
        if (c) ip.push(`route add ${c.cidr} via ${underlayOf(other, fam)} dev eth0`);
      }
      for (const a of other.nodeAddresses) ip.push(`route add ${hostCidr(a)} via ${underlayOf(other, familyOf(a))} dev eth0`);
    }
    for (const p of w.pods) {
      if (p.node === node) {
        ip.push(
          `link add veth${p.index} type veth peer name eth0 netns ${p.plan.netns}`,
          `link set veth${p.index} up`,
          `addr add ${LINK_GATEWAY[6]}/64 dev veth${p.index} nodad`,
          ...p.plan.addresses.map((a) => `route add ${hostCidr(a)} dev veth${p.index}`),
        );
        continue;
      }
      // A remote pod outside its node's pod CIDR: a host route to that node.
      for (const a of p.plan.addresses) {
        const fam = familyOf(a);
        const c = w.podCidrOf(p.node, fam);
        if (!(c && cidrContains(c.cidr, a))) ip.push(`route add ${hostCidr(a)} via ${underlayOf(p.node, fam)} dev eth0`);
      }
    }
    for (const h of w.outside) {
      if (h.node === node) ip.push(...uplinkCommands(h));
      else for (const a of h.plan.addresses) ip.push(`route add ${hostCidr(a)} via ${underlayOf(h.node, familyOf(a))} dev eth0`);
    }
    return {
      netns: node.netns,
      sysctls: { ...commonSysctls, 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '1', ...ROUTED_NODE_BRIDGE_SYSCTLS },
      verify: ROUTED_NODE_BRIDGE_SYSCTLS,
      ip,
      bridge: [],
    };
  });
  const pods = w.pods.map((p): NetnsSetup => {
    const ip = ['link set lo up'];
    for (const a of p.plan.addresses) ip.push(`addr add ${hostCidr(a)} dev eth0${familyOf(a) === 6 ? ' nodad' : ''}`);
    ip.push('link set eth0 up');
    if (ofFamily(p.plan.addresses, 4).length > 0) ip.push(`route add default via ${p.node.gateways[4]} dev eth0 onlink`);
    if (ofFamily(p.plan.addresses, 6).length > 0) ip.push(`route add ::/0 via ${LINK_GATEWAY[6]} dev eth0`);
    return { netns: p.plan.netns, sysctls: {}, verify: {}, ip, bridge: [] };
  });
  return { nodes, pods };
}
