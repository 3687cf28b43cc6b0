// The node's dispatch maps and per-pod chains: which local address goes
// where, what a pod chain holds, and the fail-closed drop of unknown local
// addresses.
import { describe, expect, it } from 'vitest';
import { denyAll, ipBlock, node, ns, pod, podPeer, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';
import { block, compile, declares, mapElements, NODE } from './helpers.ts';

const A4 = '10.244.1.10';
const A6 = 'fd00:10:244:1::10';
const B4 = '10.244.1.11';
const C4 = '10.244.1.12';

/** a: dual-stack, isolated for ingress; b: open; c: isolated for egress; r: on another node. */
function cluster() {
  return compile({
    namespaces: [ns('x')],
    pods: [
      pod('x/a', { app: 'a' }, { node: NODE, ips: [A4, A6] }),
      pod('x/b', { app: 'b' }, { node: NODE, ips: [B4] }),
      pod('x/c', { app: 'c' }, { node: NODE, ips: [C4] }),
      pod('x/r', { app: 'a' }, { node: 'n2', ips: ['10.244.2.10'] }),
    ],
    policies: [
      policy('x/a-in', { podSelector: sel({ app: 'a' }), ingress: [rule([podPeer(sel({ app: 'b' }))], [tcp(80)])] }),
      denyAll('x/c-out', ['Egress'], sel({ app: 'c' })),
    ],
  });
}

describe('dispatch maps', () => {
  it('send an isolated pod address to its chain and an open one to accept, per direction and family', () => {
    const { body } = cluster();
    expect(mapElements(body, 'ingress-v4')).toEqual([`${A4} : jump pod-in/x/a`, `${B4} : accept`, `${C4} : accept`]);
    expect(mapElements(body, 'ingress-v6')).toEqual([`${A6} : jump pod-in/x/a`]);
    expect(mapElements(body, 'egress-v4')).toEqual([`${A4} : accept`, `${B4} : accept`, `${C4} : jump pod-out/x/c`]);
    expect(mapElements(body, 'egress-v6')).toEqual([`${A6} : accept`]);
  });

  it('declare the map types and are looked up by the pod side of each direction', () => {
    const { body } = cluster();
    expect(block(body, 'map', 'ingress-v4')[0]).toBe('type ipv4_addr : verdict');
    expect(block(body, 'map', 'egress-v6')[0]).toBe('type ipv6_addr : verdict');
    expect(block(body, 'chain', 'ingress')).toEqual(expect.arrayContaining(['ip daddr vmap @ingress-v4', 'ip6 daddr vmap @ingress-v6']));
    expect(block(body, 'chain', 'egress')).toEqual(expect.arrayContaining(['ip saddr vmap @egress-v4', 'ip6 saddr vmap @egress-v6']));
  });

  it('hold only local pods that take part in policy', () => {
    const { body, ir } = compile({
      pods: [
        pod('x/run', {}, { node: NODE, ips: ['10.244.1.2'] }),
        pod('x/done', {}, { node: NODE, ips: ['10.244.1.3'], phase: 'Succeeded' }),
        pod('x/failed', {}, { node: NODE, ips: ['10.244.1.4'], phase: 'Failed' }),
        pod('x/host', {}, { node: NODE, ips: ['192.168.0.1'], hostNetwork: true }),
        pod('x/noip', {}, { node: NODE, ips: [] }),
        pod('x/pending', {}, { node: NODE, ips: ['10.244.1.5'], phase: 'Pending' }),
        pod('x/remote', {}, { node: 'n2', ips: ['10.244.2.2'] }),
        pod('x/unplaced', {}, { ips: ['10.244.3.2'] }),
      ],
      policies: [denyAll('x/deny')],
    });
    expect(ir.pods.map((p) => p.pod)).toEqual(['x/pending', 'x/run']);
    expect(mapElements(body, 'ingress-v4')).toEqual(['10.244.1.5 : jump pod-in/x/pending', '10.244.1.2 : jump pod-in/x/run']);
  });

  it('are empty (declared, no elements clause) on a node without pods, in the families of its pod CIDRs', () => {
    const { body, ir } = compile({
      pods: [pod('x/a', {}, { node: 'n2' })],
      policies: [denyAll('x/d')],
      nodes: [node(NODE, ['192.168.0.1'], ['10.244.1.0/24'])],
    });
    expect(ir.pods).toEqual([]);
    expect(ir.policyChains).toEqual([]);
    expect(ir.sets).toEqual([]);
    for (const m of ['ingress-v4', 'egress-v4']) expect(block(body, 'map', m)).toEqual(['type ipv4_addr : verdict']);
    for (const m of ['ingress-v6', 'egress-v6']) expect(declares(body, 'map', m)).toBe(false);
  });

  it('are absent on a node with neither pods nor pod CIDRs: its base chains only track connections', () => {
    const { body } = compile({ pods: [pod('x/a', {}, { node: 'n2' })], policies: [denyAll('x/d')] });
    expect(body).not.toMatch(/\tmap /);
    expect(block(body, 'chain', 'ingress')).toEqual([
      'type filter hook forward priority filter - 5; policy accept;',
      'ct state established,related accept',
      'ct state invalid counter drop comment "ingress invalid"',
    ]);
  });
});

describe('pod chains', () => {
  it('accept the pod itself first, then jump to each isolating policy, then count and drop with a comment', () => {
    const { body } = cluster();
    expect(block(body, 'chain', 'pod-in/x/a')).toEqual([
      `ip saddr ${A4} accept comment "x/a from itself"`,
      `ip6 saddr ${A6} accept comment "x/a from itself"`,
      'jump pol-in/x/a-in',
      'counter drop comment "ingress denied x/a"',
    ]);
    expect(block(body, 'chain', 'pod-out/x/c')).toEqual([
      `ip daddr ${C4} accept comment "x/c to itself"`,
      'jump pol-out/x/c-out',
      'counter drop comment "egress denied x/c"',
    ]);
  });

  it('exist only for isolated directions', () => {
    const { body, ir } = cluster();
    expect(declares(body, 'chain', 'pod-out/x/a')).toBe(false);
    expect(declares(body, 'chain', 'pod-in/x/b')).toBe(false);
    expect(declares(body, 'chain', 'pod-out/x/b')).toBe(false);
    expect(declares(body, 'chain', 'pod-in/x/c')).toBe(false);
    expect(ir.pods.find((p) => p.pod === 'x/b')).toEqual({ pod: 'x/b', ips: [B4], ingress: { isolated: false }, egress: { isolated: false } });
  });

  it('jump to every policy that isolates the pod, one jump each', () => {
    const { body } = compile({
      pods: [pod('x/a', { app: 'a' }, { node: NODE, ips: [A4] })],
      policies: [
        policy('x/p1', { ingress: [rule([], [tcp(80)])] }),
        policy('x/p2', { podSelector: sel({ app: 'a' }), ingress: [rule([ipBlock('10.0.0.0/8')])] }),
        policy('x/p3', { podSelector: sel({ app: 'other' }), ingress: [rule()] }),
        policy('y/p4', { ingress: [rule()] }),
      ],
    });
    const lines = block(body, 'chain', 'pod-in/x/a');
    expect(lines.filter((l) => l.startsWith('jump '))).toEqual(['jump pol-in/x/p1', 'jump pol-in/x/p2']);
    expect(lines[0]).toMatch(/from itself/);
    expect(lines.at(-1)).toBe('counter drop comment "ingress denied x/a"');
  });
});

describe('fail closed on unknown local addresses (pod-cidrs)', () => {
  const pods = [pod('x/a', {}, { node: NODE, ips: [A4] })];

  it('has no pod-cidrs set without a Node object for the node', () => {
    const { body } = compile({ pods, nodes: [node('n2', ['192.168.0.2'], ['10.244.2.0/24'])] });
    expect(body).not.toMatch(/pod-cidrs/);
  });

  it('has no pod-cidrs set when the Node has no podCIDRs', () => {
    const { body, ir } = compile({ pods, nodes: [node(NODE, ['192.168.0.1'], [])] });
    expect(ir.podCidrs).toEqual([]);
    expect(body).not.toMatch(/pod-cidrs/);
  });

  it('has an IPv4 set and drops in both base chains, after the dispatch, for an IPv4 podCIDR', () => {
    const { body } = compile({ pods, nodes: [node(NODE, ['192.168.0.1'], ['10.244.1.0/24'])] });
    expect(block(body, 'set', 'pod-cidrs-v4')).toEqual(['type ipv4_addr', 'flags interval', 'elements = { 10.244.1.0/24 }']);
    expect(declares(body, 'set', 'pod-cidrs-v6')).toBe(false);
    const egress = block(body, 'chain', 'egress');
    const ingress = block(body, 'chain', 'ingress');
    expect(egress.at(-1)).toBe('ip saddr @pod-cidrs-v4 counter drop comment "egress unknown local pod"');
    expect(ingress.at(-1)).toBe('ip daddr @pod-cidrs-v4 counter drop comment "ingress unknown local pod"');
    expect(egress.indexOf('ip saddr vmap @egress-v4')).toBeLessThan(egress.length - 1);
    expect(body).not.toMatch(/ip6 \w+ @pod-cidrs/);
  });

  it('has one set per family for a dual-stack Node', () => {
    const { body, ir } = compile({ pods, nodes: [node(NODE, ['192.168.0.1'], ['fd00:10:244:1::/64', '10.244.1.0/24'])] });
    expect(ir.podCidrs).toEqual(['10.244.1.0/24', 'fd00:10:244:1::/64']);
    expect(block(body, 'set', 'pod-cidrs-v6')).toEqual(['type ipv6_addr', 'flags interval', 'elements = { fd00:10:244:1::/64 }']);
    expect(block(body, 'chain', 'ingress').slice(-2)).toEqual([
      'ip daddr @pod-cidrs-v4 counter drop comment "ingress unknown local pod"',
      'ip6 daddr @pod-cidrs-v6 counter drop comment "ingress unknown local pod"',
    ]);
  });
});

describe('base chains', () => {
  it('hook forward, egress before ingress, established first, ND always passes, policy accept', () => {
    const { body } = cluster();
    expect(block(body, 'chain', 'egress').slice(0, 4)).toEqual([
      'type filter hook forward priority filter - 10; policy accept;',
      'ct state established,related accept',
      'ct state invalid counter drop comment "egress invalid"',
      'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, nd-redirect } accept',
    ]);
    expect(block(body, 'chain', 'ingress')[0]).toBe('type filter hook forward priority filter - 5; policy accept;');
  });

  it('the replace script adds, deletes, then declares the table', () => {
    const { script, body } = cluster();
    expect(script).toBe(`add table inet nftpol\ndelete table inet nftpol\n${body}`);
    expect(body.startsWith('table inet nftpol {\n\tcomment "nftpol: NetworkPolicy for node n1"\n')).toBe(true);
    expect(body.endsWith('\n}\n')).toBe(true);
  });
});
