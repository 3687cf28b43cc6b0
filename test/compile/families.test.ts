// A node's table covers the node's address families only: those of its pod
// CIDRs and of its local pods' addresses (nodeFamilies in src/compile/ir.ts).
// Peers of other families (remote pods, ipBlocks) leave no set, rule or map
// behind on a node that could never see their packets.
import { describe, expect, it } from 'vitest';
import { nodeFamilies } from '../../src/compile/ir.ts';
import { cport, ipBlock, node, pod, podPeer, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';
import { block, compile, declares } from './helpers.ts';

/** Pods on n1 and n2 in the given families; a policy with v4 and v6 peers of every kind. */
function cluster(n1: { cidrs: string[]; ips: string[] }) {
  return compile({
    nodes: [node('n1', ['192.168.0.1'], n1.cidrs), node('n2', ['192.168.0.2'], ['10.244.2.0/24', 'fd00:10:244:2::/64'])],
    pods: [
      pod('x/a', { app: 'a' }, { node: 'n1', ips: n1.ips, ports: [cport('http', 80)] }),
      pod('x/b', { app: 'b' }, { node: 'n2', ips: ['10.244.2.2', 'fd00:10:244:2::2'], ports: [cport('http', 80)] }),
    ],
    policies: [
      policy('x/in', {
        podSelector: sel({ app: 'a' }),
        ingress: [
          rule([podPeer(sel({ app: 'b' }))], [tcp('http')]),
          rule([ipBlock('192.0.2.0/24'), ipBlock('2001:db8::/32')], [tcp(443)]),
        ],
      }),
      policy('x/out', { podSelector: sel({ app: 'a' }), policyTypes: ['Egress'], egress: [rule([podPeer(sel({ app: 'b' }))], [tcp('http')])] }),
    ],
  }, 'n1');
}

const V6 = /\bip6 |icmpv6|ipv6_addr|[-/]v6\b/;
const V4 = /\bip (saddr|daddr)|ipv4_addr|[-/]v4\b/;

describe('the families of a node', () => {
  it('an IPv4-only node has no IPv6 in its table, though the cluster and the policies have it', () => {
    const { ir, body } = cluster({ cidrs: ['10.244.1.0/24'], ips: ['10.244.1.2'] });
    expect(nodeFamilies(ir)).toEqual([4]);
    expect(body).not.toMatch(V6);
    expect(ir.sets.map((s) => s.family)).toEqual(ir.sets.map(() => 4));
    expect(block(body, 'chain', 'ingress')).toEqual([
      'type filter hook forward priority filter - 5; policy accept;',
      'ct state established,related accept',
      'ct state invalid counter drop comment "ingress invalid"',
      'ip daddr @pod-cidrs-v4 tcp flags & (fin | syn | rst | ack) != syn ct state new counter drop comment "ingress tcp without syn"',
      'ip daddr vmap @ingress-v4',
      'ip daddr @pod-cidrs-v4 counter drop comment "ingress unknown local pod"',
    ]);
    // The v4 half of every peer is still there.
    expect(block(body, 'chain', 'pol-in/x/in')).toHaveLength(2);
    expect(block(body, 'chain', 'pol-out/x/out')).toHaveLength(1);
  });

  it('an IPv6-only node has no IPv4', () => {
    const { ir, body } = cluster({ cidrs: ['fd00:10:244:1::/64'], ips: ['fd00:10:244:1::2'] });
    expect(nodeFamilies(ir)).toEqual([6]);
    expect(body).not.toMatch(V4);
    expect(declares(body, 'map', 'ingress-v6')).toBe(true);
    expect(block(body, 'chain', 'egress')).toContain(
      'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, nd-redirect } accept');
  });

  it('a dual-stack node has both', () => {
    const { ir, body } = cluster({ cidrs: ['10.244.1.0/24', 'fd00:10:244:1::/64'], ips: ['10.244.1.2', 'fd00:10:244:1::2'] });
    expect(nodeFamilies(ir)).toEqual([4, 6]);
    expect(body).toMatch(V4);
    expect(body).toMatch(V6);
    expect(block(body, 'chain', 'pol-in/x/in')).toHaveLength(4);
  });

  it('a local pod address of another family than the pod CIDRs counts too', () => {
    const { ir, body } = cluster({ cidrs: ['10.244.1.0/24'], ips: ['10.244.1.2', 'fd00:99::2'] });
    expect(nodeFamilies(ir)).toEqual([4, 6]);
    expect(block(body, 'map', 'ingress-v6')).toContain('elements = { fd00:99::2 : jump pod-in/x/a }');
    expect(declares(body, 'set', 'pod-cidrs-v6')).toBe(false);
  });

  it('a node without a Node object takes the families of its pods', () => {
    const { ir, body } = compile({ pods: [pod('x/a', {}, { node: 'n1', ips: ['fd00::1'] })] }, 'n1');
    expect(nodeFamilies(ir)).toEqual([6]);
    expect(body).not.toMatch(V4);
  });
});
