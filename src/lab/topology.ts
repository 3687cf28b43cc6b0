// Plans a world from a WorldSpec: canal-style (flannel vxlan + a bridge per node, below), or
// routed (a veth and a /32 route per pod, no bridge: routed-topology.ts) when the spec says
// `topology: 'routed'`. Pure: it returns netns names, endpoints and the iproute2 commands to
// run; world.ts runs them.
//
//   pod netns            node netns                          underlay netns       node netns
//   eth0 ──veth── vethN ─ cni0 (gw)   flannel.1 ─ eth0 ──veth── nI ─ br0 ─ nJ ──veth── eth0 ...
//                                     flannel-v6.1
//   outside netns: eth0 ──veth── outH (uplink of the node it hangs off)
//
// Addresses: a pod may hold any address, not only one inside its node's pod CIDR. Pods get
// an on-link prefix covering every pod address of the world (so same-node pods talk over
// the bridge, as on flannel) and a default route via the node's cni0 gateway. cni0 answers
// ARP (proxy_arp) and neighbour solicitations (proxy NDP entries) for every address that
// is not a local pod, so traffic to a remote pod goes to the node and is routed over
// flannel: per remote node a route for its pod CIDR, as flannel has, plus a host route for
// each remote pod address outside that CIDR. Local pods answer ARP themselves (bridged).

import { canonicalIp, cidrContains, cidrFamily, cidrOf, familyOf, hostCidr, IP_FAMILIES, type IPFamily } from '../model/addresses.ts';
import { LINK_GATEWAY, onLinkPrefixes, overlayAddress, transitAddresses, underlayAddress } from './addresses.ts';
import { commonSysctls, ofFamily, outsideHostSetup, uplinkCommands, type PlacedHost, type PlacedPod } from './plan-parts.ts';
import { routedPhases } from './routed-topology.ts';
import { nodePodCidrs, podCidrOf, type LabTopology, type WorldSpec } from './spec.ts';

export type EndpointKind = 'node' | 'pod' | 'outside';

/** Something that can send probes and answer them: a node, a pod or an outside host. */
export interface EndpointPlan {
  id: string;
  kind: EndpointKind;
  netns: string;
  /** Addresses probes may target (and be sent from), canonical form. */
  addresses: string[];
  tcpPorts: number[];
  udpPorts: number[];
}

export interface NodePlan extends EndpointPlan {
  kind: 'node';
  index: number;
  /** Pod CIDRs (at most one per family); may be empty. */
  podCIDRs: string[];
  /**
   * The pods' gateways (169.254.1.1 / fe80::1 for a family without a pod CIDR): cni0's
   * addresses, or in the routed topology the node's lo (its pods route IPv6 via fe80::1).
   */
  gateways: Record<IPFamily, string>;
  /** flannel.1 and flannel-v6.1 addresses (bridge topology): the network address of the pod CIDR, or a lab address. */
  overlay: Record<IPFamily, string>;
  underlay: string[];
  /** The node's own addresses (on lo). */
  nodeAddresses: string[];
}

/** Commands for one netns, run in order: sysctls, `ip -batch`, `bridge -batch`, then lateSysctls. */
export interface NetnsSetup {
  netns: string;
  sysctls: Record<string, string>;
  /** sysctls that must read back as the given value afterwards (checked, never assumed). */
  verify: Record<string, string>;
  ip: string[];
  bridge: string[];
  /** sysctls of interfaces the batches create (cni0's proxy_arp...). */
  lateSysctls?: Record<string, string>;
}

export interface WorldPlan {
  prefix: string;
  topology: LabTopology;
  underlayNetns: string;
  nodes: NodePlan[];
  endpoints: EndpointPlan[];
  /** Setups in phases: every setup of a phase may run in parallel; phases run in order. */
  phases: NetnsSetup[][];
}

export const VXLAN_PORT = 8472;
export const VXLAN_VNI = 1;
const MTU_V4 = 1450;
const MTU_V6 = 1430;

function mac(kind: 0 | 1, index: number): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `0e:00:00:0${kind}:${hex(index >> 8)}:${hex(index & 0xff)}`;
}

/** Plans the world. `prefix` names every netns (e.g. `np1234r9f3a-`); the spec must be valid. */
export function planWorld(spec: WorldSpec, prefix: string): WorldPlan {
  const underlayNetns = `${prefix}u`;
  // Addresses endpoints hold: a pod CIDR's first (gateway) or network (flannel) address
  // held by a pod makes the node use the lab's own instead.
  const taken = new Set(
    [...spec.pods.flatMap((p) => p.ips), ...(spec.outsideHosts ?? []).flatMap((h) => h.ips), ...spec.nodes.flatMap((n) => n.addresses ?? [])].map(canonicalIp),
  );
  const nodes: NodePlan[] = spec.nodes.map((n, index) => {
    const v4 = podCidrOf(n, 4);
    const v6 = podCidrOf(n, 6);
    const underlay = [underlayAddress(index, 4), underlayAddress(index, 6)];
    const nodeAddresses = (n.addresses ?? []).map(canonicalIp);
    const free = (a: string | undefined): string | undefined => (a === undefined || taken.has(a) ? undefined : a);
    const gw4 = free(v4?.firstHost);
    const gw6 = free(v6?.firstHost);
    return {
      id: n.name,
      kind: 'node',
      netns: `${prefix}n${index}`,
      index,
      podCIDRs: nodePodCidrs(n),
      gateways: { 4: gw4 ?? LINK_GATEWAY[4], 6: gw6 ?? LINK_GATEWAY[6] },
      overlay: { 4: free(v4?.network) ?? overlayAddress(index, 4), 6: free(v6?.network) ?? overlayAddress(index, 6) },
      underlay,
      nodeAddresses,
      // The shared link gateways (169.254.1.1, fe80::1) are on every node: not probe targets.
      addresses: [...(gw4 ? [gw4] : []), ...(gw6 ? [gw6] : []), ...underlay, ...nodeAddresses],
      tcpPorts: n.tcpPorts ?? [],
      udpPorts: n.udpPorts ?? [],
    };
  });
  const nodeByName = new Map(nodes.map((n) => [n.id, n]));
  const specByName = new Map(spec.nodes.map((n) => [n.name, n]));
  const nodeOf = (name: string): NodePlan => {
    const n = nodeByName.get(name);
    if (!n) throw new Error(`unknown node ${name}`);
    return n;
  };
  const podCidrOfPlan = (n: NodePlan, fam: IPFamily): ReturnType<typeof podCidrOf> => podCidrOf(specByName.get(n.id) ?? { name: n.id }, fam);

  const pods = spec.pods.map((p, index): PlacedPod => ({
    spec: p,
    index,
    node: nodeOf(p.node),
    plan: {
      id: p.id,
      kind: 'pod',
      netns: `${prefix}p${index}`,
      addresses: p.ips.map(canonicalIp),
      tcpPorts: p.tcpPorts,
      udpPorts: p.udpPorts,
    } satisfies EndpointPlan,
  }));
  const outside = (spec.outsideHosts ?? []).map((h, index): PlacedHost => ({
    spec: h,
    index,
    node: nodeOf(h.via ?? spec.nodes[0]?.name ?? ''),
    plan: {
      id: h.id,
      kind: 'outside',
      netns: `${prefix}o${index}`,
      addresses: h.ips.map(canonicalIp),
      tcpPorts: h.tcpPorts ?? [],
      udpPorts: h.udpPorts ?? [],
    } satisfies EndpointPlan,
  }));

  const allPodAddresses = pods.flatMap((p) => p.plan.addresses);
  const onLink: Record<IPFamily, string[]> = {
    4: onLinkPrefixes(ofFamily(allPodAddresses, 4)),
    6: onLinkPrefixes(ofFamily(allPodAddresses, 6)),
  };
  const everyAddress = [
    ...allPodAddresses,
    ...outside.flatMap((h) => h.plan.addresses),
    ...nodes.flatMap((n) => n.nodeAddresses),
  ];
  const everyPodCidr = spec.nodes.flatMap((n) => nodePodCidrs(n));
  // Every IPv6 address of the world inside the pods' on-link prefixes (see the proxy entries).
  const v6OnLink = [...new Set([
    ...everyAddress,
    ...nodes.flatMap((n) => [n.overlay[6], n.gateways[6], ...n.underlay]),
    ...outside.flatMap((h) => transitAddresses(h.index, 6)),
  ])].filter((a) => familyOf(a) === 6 && a !== LINK_GATEWAY[6] && onLink[6].some((c) => cidrContains(c, a)));
  const hasV6 = ofFamily(everyAddress, 6).length > 0 || everyPodCidr.some((c) => cidrFamily(c) === 6);
  const podMtu = hasV6 ? MTU_V6 : MTU_V4;
  const vxlan: Record<IPFamily, string> = { 4: 'flannel.1', 6: 'flannel-v6.1' };

  // Phase 1: the underlay bridge and every netns' sysctls (before any interface exists, so
  // `default.*` applies to all of them).
  const phase1: NetnsSetup[] = [
    {
      netns: underlayNetns,
      sysctls: {
        ...commonSysctls,
        // The underlay is a plain switch: keep its frames out of netfilter.
        'net.bridge.bridge-nf-call-iptables': '0',
        'net.bridge.bridge-nf-call-ip6tables': '0',
      },
      verify: {},
      ip: ['link set lo up', 'link add br0 type bridge', 'link set br0 up'],
      bridge: [],
    },
    ...pods.map((p) => ({ netns: p.plan.netns, sysctls: commonSysctls, verify: {}, ip: [], bridge: [] })),
    ...outside.map((h) => ({ netns: h.plan.netns, sysctls: commonSysctls, verify: {}, ip: [], bridge: [] })),
  ];

  const topology = spec.topology ?? 'bridge';
  const routed = topology === 'routed' ? routedPhases({ underlayNetns, nodes, pods, outside, podCidrOf: podCidrOfPlan }) : undefined;

  // Phase 2: nodes (they create every veth, moving the far end into its netns).
  const phase2: NetnsSetup[] = routed?.nodes ?? nodes.map((node) => {
    const v4 = podCidrOfPlan(node, 4);
    const v6 = podCidrOfPlan(node, 6);
    const [u4, u6] = node.underlay as [string, string];
    const ip: string[] = [
      'link set lo up',
      ...node.nodeAddresses.map((a) => `addr add ${hostCidr(a)} dev lo${familyOf(a) === 6 ? ' nodad' : ''}`),
      `link add eth0 type veth peer name n${node.index} netns ${underlayNetns}`,
      `addr add ${u4}/24 dev eth0`,
      `addr add ${u6}/64 dev eth0 nodad`,
      'link set eth0 up',
      'link add cni0 type bridge',
      v4 && node.gateways[4] === v4.firstHost ? `addr add ${v4.firstHost}/${v4.prefix} dev cni0` : `addr add ${LINK_GATEWAY[4]}/32 dev cni0`,
      v6 && node.gateways[6] === v6.firstHost ? `addr add ${v6.firstHost}/${v6.prefix} dev cni0 nodad` : `addr add ${LINK_GATEWAY[6]}/64 dev cni0 nodad`,
      'link set cni0 up',
      // A pod CIDR whose first address a pod holds: its route without the address.
      ...(v4 && node.gateways[4] !== v4.firstHost ? [`route add ${v4.cidr} dev cni0`] : []),
      ...(v6 && node.gateways[6] !== v6.firstHost ? [`route add ${v6.cidr} dev cni0`] : []),
      `link add flannel.1 type vxlan id ${VXLAN_VNI} local ${u4} dev eth0 dstport ${VXLAN_PORT} nolearning`,
      `link set flannel.1 address ${mac(0, node.index)} mtu ${MTU_V4} up`,
      `addr add ${hostCidr(node.overlay[4])} dev flannel.1`,
      `link add flannel-v6.1 type vxlan id ${VXLAN_VNI} local ${u6} dev eth0 dstport ${VXLAN_PORT} nolearning`,
      `link set flannel-v6.1 address ${mac(1, node.index)} mtu ${MTU_V6} up`,
      `addr add ${hostCidr(node.overlay[6])} dev flannel-v6.1 nodad`,
    ];
    const bridge: string[] = [];
    // Flannel's vxlan backend: per remote node a route for its pod CIDR via its flannel.1
    // address (onlink), a permanent neighbour entry for that address and an fdb entry to its
    // underlay address. Node addresses are on the underlay.
    for (const other of nodes) {
      if (other === node) continue;
      const [ou4, ou6] = other.underlay as [string, string];
      ip.push(
        `neigh add ${other.overlay[4]} lladdr ${mac(0, other.index)} dev flannel.1 nud permanent`,
        `neigh add ${other.overlay[6]} lladdr ${mac(1, other.index)} dev flannel-v6.1 nud permanent`,
      );
      bridge.push(
        `fdb append ${mac(0, other.index)} dev flannel.1 dst ${ou4} self permanent`,
        `fdb append ${mac(1, other.index)} dev flannel-v6.1 dst ${ou6} self permanent`,
      );
      for (const fam of IP_FAMILIES) {
        const c = podCidrOfPlan(other, fam);
        if (c) ip.push(`route add ${c.cidr} via ${other.overlay[fam]} dev ${vxlan[fam]} onlink`);
      }
      for (const a of other.nodeAddresses) ip.push(`route add ${hostCidr(a)} via ${familyOf(a) === 4 ? ou4 : ou6} dev eth0`);
    }
    // Pods: local ones on cni0 (a host route when outside the node's pod CIDR), remote ones
    // over flannel (a host route when outside their node's pod CIDR).
    for (const p of pods) {
      if (p.node === node) {
        ip.push(
          `link add veth${p.index} type veth peer name eth0 netns ${p.plan.netns}`,
          `link set veth${p.index} mtu ${podMtu} master cni0 up`,
        );
      }
      for (const a of p.plan.addresses) {
        const fam = familyOf(a);
        const c = podCidrOfPlan(p.node, fam);
        if (c && cidrContains(c.cidr, a)) continue;
        ip.push(
          p.node === node
            ? `route add ${hostCidr(a)} dev cni0`
            : `route add ${hostCidr(a)} via ${p.node.overlay[fam]} dev ${vxlan[fam]} onlink`,
        );
      }
    }
    for (const h of outside) {
      if (h.node === node) {
        ip.push(...uplinkCommands(h));
      } else {
        // Other nodes reach the outside host through its node, over the overlay.
        for (const a of h.plan.addresses) {
          const fam = familyOf(a);
          ip.push(`route add ${hostCidr(a)} via ${h.node.overlay[fam]} dev ${vxlan[fam]} onlink`);
        }
      }
    }
    // cni0 answers neighbour solicitations for every IPv6 address of the world that the pods
    // take as on-link and that is not on cni0's side of this node (IPv4 needs no list:
    // proxy_arp answers for whatever is routed elsewhere).
    const local = new Set([...pods.filter((p) => p.node === node).flatMap((p) => p.plan.addresses), node.gateways[6]]);
    for (const a of v6OnLink) if (!local.has(a)) ip.push(`neigh add proxy ${a} dev cni0`);
    return {
      netns: node.netns,
      sysctls: {
        ...commonSysctls,
        'net.ipv4.ip_forward': '1',
        'net.ipv6.conf.all.forwarding': '1',
        'net.bridge.bridge-nf-call-iptables': '1',
        'net.bridge.bridge-nf-call-ip6tables': '1',
      },
      verify: { 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' },
      ip,
      bridge,
      lateSysctls: {
        'net.ipv4.conf.cni0.proxy_arp': '1',
        'net.ipv4.neigh.cni0.proxy_delay': '0',
        'net.ipv6.conf.cni0.proxy_ndp': '1',
        'net.ipv6.neigh.cni0.proxy_delay': '0',
      },
    };
  });

  // Phase 3: far ends of the veths: underlay ports, pods, outside hosts.
  const phase3: NetnsSetup[] = [
    {
      netns: underlayNetns,
      sysctls: {},
      verify: {},
      ip: nodes.map((n) => `link set n${n.index} master br0 up`),
      bridge: [],
    },
    ...(routed?.pods ?? pods.map((p) => {
      const ip = ['link set lo up'];
      for (const a of p.plan.addresses) ip.push(`addr add ${hostCidr(a)} dev eth0${familyOf(a) === 6 ? ' nodad' : ''}`);
      ip.push(`link set eth0 mtu ${podMtu} up`);
      for (const fam of IP_FAMILIES) {
        if (ofFamily(p.plan.addresses, fam).length === 0) continue;
        // Every pod address of the world is on-link (ARP/ND: local pods answer, the node
        // answers for the others); everything else goes to the node's gateway.
        for (const prefix of onLink[fam]) {
          if (hostCidr(cidrOf(prefix).network) === prefix) continue;
          ip.push(`route add ${prefix} dev eth0 scope link`);
        }
        ip.push(`route add ${fam === 4 ? 'default' : '::/0'} via ${p.node.gateways[fam]} dev eth0 onlink`);
      }
      return { netns: p.plan.netns, sysctls: {}, verify: {}, ip, bridge: [] };
    })),
    ...outside.map(outsideHostSetup),
  ];
  return {
    prefix,
    topology,
    underlayNetns,
    nodes,
    endpoints: [...nodes, ...pods.map((p) => p.plan), ...outside.map((h) => h.plan)],
    phases: [phase1, phase2, phase3],
  };
}

/** Every netns the plan creates. */
export function netnsNames(plan: WorldPlan): string[] {
  return [plan.underlayNetns, ...plan.endpoints.map((e) => e.netns)];
}
