// Plans a canal-style world (flannel vxlan + a bridge per node) from a WorldSpec.
// Pure: it returns netns names, endpoints and the iproute2 commands to run; netns.ts runs them.
//
//   pod netns            node netns                          underlay netns       node netns
//   eth0 ──veth── vethN ─ cni0 (gw)   flannel.1 ─ eth0 ──veth── nI ─ br0 ─ nJ ──veth── eth0 ...
//                                     flannel-v6.1
//   outside netns: eth0 ──veth── outH (uplink of the node it hangs off)

import { canonical, family, parseCidr, transitAddresses, underlayAddress } from './addresses.ts';
import type { WorldSpec } from './spec.ts';

export type EndpointKind = 'node' | 'pod' | 'outside';

/** Something that can send probes and answer them: a node, a pod or an outside host. */
export interface EndpointPlan {
  id: string;
  kind: EndpointKind;
  netns: string;
  /** Addresses probes may target, canonical form. */
  addresses: string[];
  tcpPorts: number[];
  udpPorts: number[];
}

export interface NodePlan extends EndpointPlan {
  kind: 'node';
  index: number;
  podCIDR: string;
  podCIDRv6?: string;
  /** cni0 addresses. */
  gateways: string[];
  underlay: string[];
}

/** Commands for one netns, run in order: sysctls, then `ip -batch`, then `bridge -batch`. */
export interface NetnsSetup {
  netns: string;
  sysctls: Record<string, string>;
  /** sysctls that must read back as the given value afterwards (checked, never assumed). */
  verify: Record<string, string>;
  ip: string[];
  bridge: string[];
}

export interface WorldPlan {
  prefix: string;
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

const commonSysctls = {
  'net.ipv6.conf.all.accept_dad': '0',
  'net.ipv6.conf.default.accept_dad': '0',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
};

/** Plans the world. `prefix` names every netns (e.g. `np1234r9f3a-`); the spec must be valid. */
export function planWorld(spec: WorldSpec, prefix: string): WorldPlan {
  const underlayNetns = `${prefix}u`;
  const nodes: NodePlan[] = spec.nodes.map((n, index) => {
    const v4 = parseCidr(n.podCIDR);
    const v6 = n.podCIDRv6 === undefined ? undefined : parseCidr(n.podCIDRv6);
    if (!v4) throw new Error(`node ${n.name}: bad podCIDR ${n.podCIDR}`);
    const gateways = [v4.firstHost, ...(v6 ? [v6.firstHost] : [])];
    const underlay = [underlayAddress(index, 'ipv4'), underlayAddress(index, 'ipv6')];
    return {
      id: n.name,
      kind: 'node',
      netns: `${prefix}n${index}`,
      index,
      podCIDR: n.podCIDR,
      ...(n.podCIDRv6 === undefined ? {} : { podCIDRv6: n.podCIDRv6 }),
      gateways,
      underlay,
      addresses: [...gateways, ...underlay],
      tcpPorts: n.tcpPorts ?? [],
      udpPorts: n.udpPorts ?? [],
    };
  });
  const nodeByName = new Map(nodes.map((n) => [n.id, n]));
  const nodeOf = (name: string): NodePlan => {
    const n = nodeByName.get(name);
    if (!n) throw new Error(`unknown node ${name}`);
    return n;
  };

  const pods = spec.pods.map((p, index) => ({
    spec: p,
    index,
    node: nodeOf(p.node),
    plan: {
      id: p.id,
      kind: 'pod',
      netns: `${prefix}p${index}`,
      addresses: p.ips.map(canonical),
      tcpPorts: p.tcpPorts,
      udpPorts: p.udpPorts,
    } satisfies EndpointPlan,
  }));
  const outside = (spec.outsideHosts ?? []).map((h, index) => ({
    spec: h,
    index,
    node: nodeOf(h.via ?? spec.nodes[0]?.name ?? ''),
    plan: {
      id: h.id,
      kind: 'outside',
      netns: `${prefix}o${index}`,
      addresses: h.ips.map(canonical),
      tcpPorts: h.tcpPorts ?? [],
      udpPorts: h.udpPorts ?? [],
    } satisfies EndpointPlan,
  }));

  const v6Of = (n: NodePlan): { cidr: string; network: string; gateway: string; prefix: number } | undefined => {
    if (n.podCIDRv6 === undefined) return undefined;
    const p = parseCidr(n.podCIDRv6);
    return p ? { cidr: n.podCIDRv6, network: p.network, gateway: p.firstHost, prefix: p.prefix } : undefined;
  };
  const v4Of = (n: NodePlan): { cidr: string; network: string; gateway: string; prefix: number } => {
    const p = parseCidr(n.podCIDR);
    if (!p) throw new Error(`bad podCIDR ${n.podCIDR}`);
    return { cidr: n.podCIDR, network: p.network, gateway: p.firstHost, prefix: p.prefix };
  };

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

  // Phase 2: nodes (they create every veth, moving the far end into its netns).
  const phase2: NetnsSetup[] = nodes.map((node) => {
    const v4 = v4Of(node);
    const v6 = v6Of(node);
    const [u4, u6] = node.underlay as [string, string];
    const ip: string[] = [
      'link set lo up',
      `link add eth0 type veth peer name n${node.index} netns ${underlayNetns}`,
      `addr add ${u4}/24 dev eth0`,
      `addr add ${u6}/64 dev eth0 nodad`,
      'link set eth0 up',
      'link add cni0 type bridge',
      `addr add ${v4.gateway}/${v4.prefix} dev cni0`,
      ...(v6 ? [`addr add ${v6.gateway}/${v6.prefix} dev cni0 nodad`] : []),
      'link set cni0 up',
      `link add flannel.1 type vxlan id ${VXLAN_VNI} local ${u4} dev eth0 dstport ${VXLAN_PORT} nolearning`,
      `link set flannel.1 address ${mac(0, node.index)} mtu ${MTU_V4} up`,
      `addr add ${v4.network}/32 dev flannel.1`,
    ];
    const bridge: string[] = [];
    if (v6) {
      ip.push(
        `link add flannel-v6.1 type vxlan id ${VXLAN_VNI} local ${u6} dev eth0 dstport ${VXLAN_PORT} nolearning`,
        `link set flannel-v6.1 address ${mac(1, node.index)} mtu ${MTU_V6} up`,
        `addr add ${v6.network}/128 dev flannel-v6.1 nodad`,
      );
    }
    // Flannel's vxlan backend: per remote node a route via its flannel.1 address (onlink),
    // a permanent neighbour entry for that address and an fdb entry to its underlay address.
    for (const other of nodes) {
      if (other === node) continue;
      const o4 = v4Of(other);
      const [ou4, ou6] = other.underlay as [string, string];
      ip.push(
        `route add ${o4.cidr} via ${o4.network} dev flannel.1 onlink`,
        `neigh add ${o4.network} lladdr ${mac(0, other.index)} dev flannel.1 nud permanent`,
      );
      bridge.push(`fdb append ${mac(0, other.index)} dev flannel.1 dst ${ou4} self permanent`);
      const o6 = v6Of(other);
      if (v6 && o6) {
        ip.push(
          `route add ${o6.cidr} via ${o6.network} dev flannel-v6.1 onlink`,
          `neigh add ${o6.network} lladdr ${mac(1, other.index)} dev flannel-v6.1 nud permanent`,
        );
        bridge.push(`fdb append ${mac(1, other.index)} dev flannel-v6.1 dst ${ou6} self permanent`);
      }
    }
    for (const p of pods.filter((p) => p.node === node)) {
      ip.push(
        `link add veth${p.index} type veth peer name eth0 netns ${p.plan.netns}`,
        `link set veth${p.index} mtu ${v6 ? MTU_V6 : MTU_V4} master cni0 up`,
      );
    }
    for (const h of outside) {
      const hostV4 = h.plan.addresses.filter((a) => family(a) === 'ipv4');
      const hostV6 = h.plan.addresses.filter((a) => family(a) === 'ipv6');
      if (h.node === node) {
        const [t4] = transitAddresses(h.index, 'ipv4');
        const [t6] = transitAddresses(h.index, 'ipv6');
        const [, far4] = transitAddresses(h.index, 'ipv4');
        const [, far6] = transitAddresses(h.index, 'ipv6');
        ip.push(
          `link add out${h.index} type veth peer name eth0 netns ${h.plan.netns}`,
          `addr add ${t4}/30 dev out${h.index}`,
          `addr add ${t6}/64 dev out${h.index} nodad`,
          `link set out${h.index} up`,
          ...hostV4.map((a) => `route add ${a}/32 via ${far4} dev out${h.index}`),
          ...hostV6.map((a) => `route add ${a}/128 via ${far6} dev out${h.index}`),
        );
      } else {
        // Other nodes reach the outside host through its node, over the overlay.
        const via4 = v4Of(h.node).network;
        const via6 = v6Of(h.node)?.network;
        ip.push(...hostV4.map((a) => `route add ${a}/32 via ${via4} dev flannel.1 onlink`));
        if (v6 && via6 !== undefined) ip.push(...hostV6.map((a) => `route add ${a}/128 via ${via6} dev flannel-v6.1 onlink`));
      }
    }
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
    ...pods.map((p) => {
      const v4 = v4Of(p.node);
      const v6 = v6Of(p.node);
      const ip = ['link set lo up'];
      for (const a of p.plan.addresses) {
        if (family(a) === 'ipv4') ip.push(`addr add ${a}/${v4.prefix} dev eth0`);
        else if (v6) ip.push(`addr add ${a}/${v6.prefix} dev eth0 nodad`);
      }
      ip.push(`link set eth0 mtu ${v6 ? MTU_V6 : MTU_V4} up`);
      if (p.plan.addresses.some((a) => family(a) === 'ipv4')) ip.push(`route add default via ${v4.gateway} dev eth0`);
      if (v6 && p.plan.addresses.some((a) => family(a) === 'ipv6')) ip.push(`route add ::/0 via ${v6.gateway} dev eth0`);
      return { netns: p.plan.netns, sysctls: {}, verify: {}, ip, bridge: [] };
    }),
    ...outside.map((h) => {
      const [near4, far4] = transitAddresses(h.index, 'ipv4');
      const [near6, far6] = transitAddresses(h.index, 'ipv6');
      const hostV4 = h.plan.addresses.find((a) => family(a) === 'ipv4');
      const hostV6 = h.plan.addresses.find((a) => family(a) === 'ipv6');
      const ip = [
        'link set lo up',
        `addr add ${far4}/30 dev eth0`,
        `addr add ${far6}/64 dev eth0 nodad`,
        ...(hostV4 ? [`addr add ${hostV4}/32 dev eth0`] : []),
        ...(hostV6 ? [`addr add ${hostV6}/128 dev eth0 nodad`] : []),
        'link set eth0 up',
      ];
      // Routes back to every pod CIDR through the node this host hangs off, sourced from
      // the host's own address (not the transit one).
      for (const n of nodes) {
        if (hostV4) ip.push(`route add ${n.podCIDR} via ${near4} dev eth0 src ${hostV4}`);
        if (hostV6 && n.podCIDRv6 !== undefined) ip.push(`route add ${n.podCIDRv6} via ${near6} dev eth0 src ${hostV6}`);
      }
      return { netns: h.plan.netns, sysctls: {}, verify: {}, ip, bridge: [] };
    }),
  ];

  return {
    prefix,
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
