// The pure part of the harness (no root needed): description validation and world planning.

import { describe, expect, it } from 'vitest';
import { planWorld, validateSpec, type WorldSpec } from './harness/index.ts';

const spec: WorldSpec = {
  nodes: [
    { name: 'n1', podCIDR: '10.244.1.0/24', podCIDRv6: 'fd00:10:244:1::/64' },
    { name: 'n2', podCIDR: '10.244.2.0/24', podCIDRv6: 'fd00:10:244:2::/64' },
  ],
  pods: [{ id: 'x/a', node: 'n1', ips: ['10.244.1.10', 'FD00:10:244:1:0::10'], tcpPorts: [80], udpPorts: [] }],
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
        { id: 'x/a', node: 'n1', ips: ['10.244.9.1'], tcpPorts: [0], udpPorts: [] },
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
    expect(message).toContain('the network or gateway address');
    expect(message).toContain('which the harness uses for its own links');
  });
});

describe('world plan', () => {
  const plan = planWorld(spec, 'np1r0000-');
  const node = (i: number): string[] => plan.phases[1]?.[i]?.ip ?? [];

  it('names every netns with the run prefix and canonical addresses', () => {
    expect(plan.endpoints.map((e) => [e.id, e.netns])).toEqual([
      ['n1', 'np1r0000-n0'],
      ['n2', 'np1r0000-n1'],
      ['x/a', 'np1r0000-p0'],
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
  });
});
