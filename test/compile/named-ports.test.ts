// Named ports: a set of "destination address . protocol . port" triples.
// Ingress: the destination is the local pod the policy selects, so the set
// holds the selected local pods that have the name (per the rule's protocol).
// Egress: the destination is the peer, so the set holds the peer pods that
// have the name, and is the peer condition too.
import { describe, expect, it } from 'vitest';
import { andPeer, cport, ipBlock, ns, pod, podPeer, policy, rule, sel, tcp, udp } from '../generators/cluster-builders.ts';
import { block, compile as compileHashed, NODE, positional, setOf, triples } from './helpers.ts';

/** Sets named by the position of the first rule using them (see positional() in helpers.ts). */
const compile = (...args: Parameters<typeof compileHashed>) => positional(compileHashed(...args));


describe('ingress named ports', () => {
  const { ir, body } = compile({
    pods: [
      pod('x/nginx', { role: 'web' }, { node: NODE, ips: ['10.244.1.2'], ports: [cport('http', 80)] }),
      pod('x/node', { role: 'web' }, { node: NODE, ips: ['10.244.1.3', 'fd00::3'], ports: [cport('http', 8080), cport('debug', 9229)] }),
      pod('x/legacy', { role: 'web' }, { node: NODE, ips: ['10.244.1.4'], ports: [cport('web', 80)] }),
      pod('x/udp', { role: 'web' }, { node: NODE, ips: ['10.244.1.5'], ports: [cport('http', 8081, 'UDP')] }),
      pod('x/remote', { role: 'web' }, { node: 'n2', ips: ['10.244.2.2'], ports: [cport('http', 81)] }),
      pod('x/unselected', { role: 'db' }, { node: NODE, ips: ['10.244.1.6'], ports: [cport('http', 82)] }),
      pod('x/client', { app: 'client' }, { node: 'n2', ips: ['10.244.2.3'] }),
    ],
    policies: [policy('x/web', {
      podSelector: sel({ role: 'web' }),
      ingress: [rule([podPeer(sel({ app: 'client' })), ipBlock('192.0.2.0/24')], [tcp('http'), udp('http')])],
    })],
  });

  it('hold the selected local pods that have the name, per protocol and family', () => {
    expect(triples(setOf(ir, 'port-in/x/web/0/any/0/v4'))).toEqual(['10.244.1.2 . tcp . 80', '10.244.1.3 . tcp . 8080']);
    expect(triples(setOf(ir, 'port-in/x/web/0/any/0/v6'))).toEqual(['fd00::3 . tcp . 8080']);
    expect(triples(setOf(ir, 'port-in/x/web/0/any/1/v4'))).toEqual(['10.244.1.5 . udp . 8081']);
    expect(triples(setOf(ir, 'port-in/x/web/0/any/1/v6'))).toEqual([]);
  });

  it('are declared with the concatenated type', () => {
    expect(block(body, 'set', 'port-in/x/web/0/any/0/v4')).toEqual([
      'type ipv4_addr . inet_proto . inet_service',
      'comment "local pods role=web in namespace x: port http/TCP"',
      'elements = { 10.244.1.2 . tcp . 80, 10.244.1.3 . tcp . 8080 }',
    ]);
    expect(block(body, 'set', 'port-in/x/web/0/any/0/v6')[0]).toBe('type ipv6_addr . inet_proto . inet_service');
  });

  it('match the source peer and the destination triple; one set per rule port serves every peer', () => {
    expect(block(body, 'chain', 'pol-in/x/web')).toEqual([
      'ip saddr @peer-in/x/web/0/0/v4 ip daddr . meta l4proto . th dport @port-in/x/web/0/any/0/v4 counter accept comment "x/web ingress[0] from[0] ports[0]"',
      'ip saddr @peer-in/x/web/0/0/v4 ip daddr . meta l4proto . th dport @port-in/x/web/0/any/1/v4 counter accept comment "x/web ingress[0] from[0] ports[1]"',
      'ip6 saddr @peer-in/x/web/0/0/v6 ip6 daddr . meta l4proto . th dport @port-in/x/web/0/any/0/v6 counter accept comment "x/web ingress[0] from[0] ports[0]"',
      'ip6 saddr @peer-in/x/web/0/0/v6 ip6 daddr . meta l4proto . th dport @port-in/x/web/0/any/1/v6 counter accept comment "x/web ingress[0] from[0] ports[1]"',
      'ip saddr @peer-in/x/web/0/1/v4 ip daddr . meta l4proto . th dport @port-in/x/web/0/any/0/v4 counter accept comment "x/web ingress[0] from[1] ports[0]"',
      'ip saddr @peer-in/x/web/0/1/v4 ip daddr . meta l4proto . th dport @port-in/x/web/0/any/1/v4 counter accept comment "x/web ingress[0] from[1] ports[1]"',
    ]);
    expect(ir.sets.filter((s) => s.name.startsWith('port-in/')).map((s) => s.name)).toEqual([
      'port-in/x/web/0/any/0/v4', 'port-in/x/web/0/any/0/v6', 'port-in/x/web/0/any/1/v4', 'port-in/x/web/0/any/1/v6',
    ]);
  });

  it('a rule with no peers matches the triple alone, in each family of the node', () => {
    const c = compile({
      pods: [pod('x/a', {}, { node: NODE, ips: ['10.244.1.2', 'fd00::2'], ports: [cport('http', 80)] })],
      policies: [policy('x/p', { ingress: [rule([], [tcp('http')])] })],
    });
    expect(block(c.body, 'chain', 'pol-in/x/p')).toEqual([
      'ip daddr . meta l4proto . th dport @port-in/x/p/0/any/0/v4 counter accept comment "x/p ingress[0] ports[0]"',
      'ip6 daddr . meta l4proto . th dport @port-in/x/p/0/any/0/v6 counter accept comment "x/p ingress[0] ports[0]"',
    ]);
  });
});

describe('egress named ports', () => {
  const { ir, body } = compile({
    namespaces: [ns('x'), ns('sys', { role: 'system' })],
    pods: [
      pod('x/client', { app: 'client' }, { node: NODE, ips: ['10.244.1.2'] }),
      pod('sys/dns-a', { k8s: 'dns' }, { node: NODE, ips: ['10.244.1.10', 'fd00::10'], ports: [cport('dns', 53, 'UDP'), cport('dns-tcp', 53, 'TCP')] }),
      pod('sys/dns-b', { k8s: 'dns' }, { node: 'n2', ips: ['10.244.2.10'], ports: [cport('dns', 5353, 'UDP')] }),
      pod('sys/other', { k8s: 'other' }, { node: 'n2', ips: ['10.244.2.11'], ports: [cport('dns', 53, 'UDP')] }),
      pod('x/fake-dns', { k8s: 'dns' }, { node: 'n2', ips: ['10.244.2.12'], ports: [cport('dns', 53, 'UDP')] }),
      pod('sys/tcp-dns', { k8s: 'dns' }, { node: 'n2', ips: ['10.244.2.13'], ports: [cport('dns', 53, 'TCP')] }),
    ],
    policies: [policy('x/client-out', {
      podSelector: sel({ app: 'client' }),
      policyTypes: ['Egress'],
      egress: [
        rule([andPeer(sel({ role: 'system' }), sel({ k8s: 'dns' }))], [udp('dns'), tcp('dns')]),
        rule([], [udp('dns')]),
      ],
    })],
  });

  it('hold the peer pods that have the name with the rule protocol, on any node', () => {
    expect(triples(setOf(ir, 'port-out/x/client-out/0/0/0/v4'))).toEqual(['10.244.1.10 . udp . 53', '10.244.2.10 . udp . 5353']);
    expect(triples(setOf(ir, 'port-out/x/client-out/0/0/0/v6'))).toEqual(['fd00::10 . udp . 53']);
    expect(triples(setOf(ir, 'port-out/x/client-out/0/0/1/v4'))).toEqual(['10.244.2.13 . tcp . 53']);
  });

  it('with no peers: every pod that has the name', () => {
    expect(triples(setOf(ir, 'port-out/x/client-out/1/any/0/v4'))).toEqual([
      '10.244.1.10 . udp . 53', '10.244.2.10 . udp . 5353', '10.244.2.11 . udp . 53', '10.244.2.12 . udp . 53',
    ]);
  });

  it('the set is the peer condition: the rule matches the destination triple only', () => {
    expect(block(body, 'chain', 'pol-out/x/client-out')).toEqual([
      'ip daddr . meta l4proto . th dport @port-out/x/client-out/0/0/0/v4 counter accept comment "x/client-out egress[0] to[0] ports[0]"',
      'ip daddr . meta l4proto . th dport @port-out/x/client-out/0/0/1/v4 counter accept comment "x/client-out egress[0] to[0] ports[1]"',
      'ip6 daddr . meta l4proto . th dport @port-out/x/client-out/0/0/0/v6 counter accept comment "x/client-out egress[0] to[0] ports[0]"',
      'ip6 daddr . meta l4proto . th dport @port-out/x/client-out/0/0/1/v6 counter accept comment "x/client-out egress[0] to[0] ports[1]"',
      'ip daddr . meta l4proto . th dport @port-out/x/client-out/1/any/0/v4 counter accept comment "x/client-out egress[1] ports[0]"',
      'ip6 daddr . meta l4proto . th dport @port-out/x/client-out/1/any/0/v6 counter accept comment "x/client-out egress[1] ports[0]"',
    ]);
  });

  it('an ipBlock peer keeps only the pods inside the block, in its family', () => {
    const c = compile({
      pods: [
        pod('x/client', { app: 'client' }, { node: NODE, ips: ['10.244.1.2'] }),
        pod('x/in', {}, { node: 'n2', ips: ['10.244.2.2', 'fd00::2'], ports: [cport('http', 80)] }),
        pod('x/out', {}, { node: 'n2', ips: ['10.245.0.2'], ports: [cport('http', 80)] }),
      ],
      policies: [policy('x/p', { podSelector: sel({ app: 'client' }), policyTypes: ['Egress'], egress: [rule([ipBlock('10.244.0.0/16')], [tcp('http')])] })],
    });
    // The named-port set carries the peer condition, so no separate peer set is declared.
    expect(c.ir.sets.map((s) => s.name)).toEqual(['port-out/x/p/0/0/0/v4']);
    expect(triples(setOf(c.ir, 'port-out/x/p/0/0/0/v4'))).toEqual(['10.244.2.2 . tcp . 80']);
  });
});
