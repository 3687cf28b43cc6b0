// The pure part of the lab (no root needed): description validation and world planning.

import { describe, expect, it } from 'vitest';
import { planWorld, validateSpec, type WorldSpec } from '../../src/lab/index.ts';
import { onLinkPrefixes } from '../../src/lab/addresses.ts';

const spec: WorldSpec = {
  nodes: [
    { name: 'n1', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] },
    { name: 'n2', podCIDR: '10.244.2.0/24', podCIDRv6: 'fd00:10:244:2::/64', addresses: ['192.168.100.2'] },
    { name: 'n3' },
  ],
  pods: [
    { id: 'x/a', node: 'n1', ips: ['10.244.1.10', 'FD00:10:244:1:0::10'], tcpPorts: [80], udpPorts: [] },
    // Anywhere: outside its node's pod CIDR, and on a node without one.
    { id: 'x/b', node: 'n2', ips: ['10.244.0.7'], tcpPorts: [80], udpPorts: [] },
    { id: 'x/c', node: 'n3', ips: ['10.244.0.8', '2001:db8:7::8'], tcpPorts: [80], udpPorts: [] },
  ],
  outsideHosts: [{ id: 'ext', ips: ['203.0.113.10'], via: 'n2' }],
};

describe('world description', () => {
  it('accepts a good one', () => {
    expect(() => validateSpec(spec)).not.toThrow();
  });

  it('lists every problem at once', () => {
    const bad: WorldSpec = {
      nodes: [
        { name: 'n1', podCIDR: '10.244.1.0/24' },
        { name: 'n2', podCIDR: '10.244.0.0/16' },
      ],
      pods: [
        { id: 'x/a', node: 'n1', ips: ['10.244.9.1', '169.254.1.1'], tcpPorts: [0], udpPorts: [] },
        { id: 'x/b', node: 'n3', ips: ['10.244.1.5'], tcpPorts: [], udpPorts: [] },
        { id: 'x/c', node: 'n1', ips: ['10.244.1.1'], tcpPorts: [], udpPorts: [] },
      ],
      outsideHosts: [{ id: 'n2', ips: ['192.168.200.7'] }],
    };
    let message = '';
    try {
      validateSpec(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('outside host n2: id already used');
    expect(message).toContain('overlap');
    expect(message).toContain('port 0 is not in 1..65535');
    expect(message).toContain('unknown node n3');
    expect(message).toContain('which the lab uses for its own links');
    expect(message).toContain('169.254.1.1 is the cni0 gateway of nodes without an IPv4 pod CIDR');
    expect(message).not.toContain('x/c');
  });
});

describe('world plan', () => {
  const plan = planWorld(spec, 'np1r0000-');
  const node = (i: number): string[] => plan.phases[1]?.[i]?.ip ?? [];

  it('names every netns with the run prefix and canonical addresses', () => {
    expect(plan.endpoints.map((e) => [e.id, e.netns])).toEqual([
      ['n1', 'np1r0000-n0'],
      ['n2', 'np1r0000-n1'],
      ['n3', 'np1r0000-n2'],
      ['x/a', 'np1r0000-p0'],
      ['x/b', 'np1r0000-p1'],
      ['x/c', 'np1r0000-p2'],
      ['ext', 'np1r0000-o0'],
    ]);
    expect(plan.endpoints.find((e) => e.id === 'x/a')?.addresses).toEqual(['10.244.1.10', 'fd00:10:244:1::10']);
  });

  it('wires flannel like flannel: onlink route, permanent neighbour, fdb to the underlay', () => {
    expect(node(0)).toContain('route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(node(0)).toContain('neigh add 10.244.2.0 lladdr 0e:00:00:00:00:01 dev flannel.1 nud permanent');
    expect(node(0)).toContain('route add fd00:10:244:2::/64 via fd00:10:244:2:: dev flannel-v6.1 onlink');
    expect(plan.phases[1]?.[0]?.bridge).toContain('fdb append 0e:00:00:00:00:01 dev flannel.1 dst 192.168.200.11 self permanent');
    expect(node(0)).toContain('addr add 10.244.1.1/24 dev cni0');
    expect(plan.phases[1]?.[0]?.verify).toEqual({ 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' });
  });

  it('routes an outside host through its node, and the other nodes over the overlay', () => {
    expect(node(1)).toContain('route add 203.0.113.10/32 via 100.64.0.2 dev out0');
    expect(node(0)).toContain('route add 203.0.113.10/32 via 10.244.2.0 dev flannel.1 onlink');
    expect(plan.phases[2]?.find((s) => s.netns === 'np1r0000-o0')?.ip).toContain('route add default via 100.64.0.1 dev eth0 src 203.0.113.10');
  });

  it('lets pods hold any address: host routes, on-link prefixes, proxy ARP and NDP on cni0', () => {
    // x/b (n2) is outside n2's pod CIDR: a host route on cni0 there, over flannel elsewhere.
    expect(node(1)).toContain('route add 10.244.0.7/32 dev cni0');
    expect(node(0)).toContain('route add 10.244.0.7/32 via 10.244.2.0 dev flannel.1 onlink');
    // n3 has no pod CIDR: lab overlay addresses and the link gateways.
    expect(node(0)).toContain('route add 10.244.0.8/32 via 100.64.254.3 dev flannel.1 onlink');
    expect(node(0)).toContain('route add 2001:db8:7::8/128 via fd00:64:ffff::3 dev flannel-v6.1 onlink');
    expect(node(2)).toContain('addr add 169.254.1.1/32 dev cni0');
    expect(node(2)).toContain('addr add fe80::1/64 dev cni0 nodad');
    // x/a is inside n1's CIDR: flannel's per-node route covers it, no host route.
    expect(node(1).filter((l) => l.startsWith('route add 10.244.1.10/'))).toEqual([]);
    expect(node(1)).toContain('route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink');
    // Node addresses live on lo and are reached over the underlay.
    expect(node(1)).toContain('addr add 192.168.100.2/32 dev lo');
    expect(node(0)).toContain('route add 192.168.100.2/32 via 192.168.200.11 dev eth0');
    // IPv6: cni0 answers for every address that is not a local pod's.
    expect(node(0)).toContain('neigh add proxy 2001:db8:7::8 dev cni0');
    expect(node(0)).not.toContain('neigh add proxy fd00:10:244:1::10 dev cni0');
    expect(plan.phases[1]?.[0]?.lateSysctls).toMatchObject({ 'net.ipv4.conf.cni0.proxy_arp': '1', 'net.ipv6.conf.cni0.proxy_ndp': '1' });
    const pod = (id: string): string[] => plan.phases[2]?.find((s) => s.netns === plan.endpoints.find((e) => e.id === id)?.netns)?.ip ?? [];
    expect(pod('x/c')).toEqual(expect.arrayContaining([
      'addr add 10.244.0.8/32 dev eth0',
      'route add 10.244.0.0/23 dev eth0 scope link',
      'route add ::/1 dev eth0 scope link',
      'route add default via 169.254.1.1 dev eth0 onlink',
      'route add ::/0 via fe80::1 dev eth0 onlink',
    ]));
    expect(pod('x/a')).toContain('route add default via 10.244.1.1 dev eth0 onlink');
  });

  it('gives a node the lab gateway when a pod holds its pod CIDR\'s first address', () => {
    const taken = planWorld({ ...spec, pods: [...spec.pods, { id: 'x/d', node: 'n2', ips: ['10.244.1.1', '10.244.1.0'], tcpPorts: [], udpPorts: [] }].slice(1) }, 'np1r0000-');
    // (x/d holds both a v4 "first" and a v4 "network" address only to test both; validation would refuse two v4 addresses)
    const n1 = taken.phases[1]?.[0]?.ip ?? [];
    expect(n1).toContain('addr add 169.254.1.1/32 dev cni0');
    expect(n1).toContain('route add 10.244.1.0/24 dev cni0');
    expect(taken.nodes[0]?.gateways[4]).toBe('169.254.1.1');
    expect(taken.nodes[0]?.overlay[4]).toBe('100.64.254.1');
    expect(taken.nodes[0]?.addresses).not.toContain('10.244.1.1');
  });

  it('computes on-link prefixes', () => {
    expect(onLinkPrefixes(['10.244.1.10', '10.244.2.12'])).toEqual(['10.244.0.0/22']);
    expect(onLinkPrefixes(['10.244.1.10'])).toEqual(['10.244.1.10/32']);
    expect(onLinkPrefixes(['10.0.0.1', '192.168.0.1'])).toEqual(['0.0.0.0/1', '128.0.0.0/1']);
    expect(onLinkPrefixes(['fd00:10:244::10', 'fd00:10:244:9::5'])).toEqual(['fd00:10:244::/60']);
  });
});
