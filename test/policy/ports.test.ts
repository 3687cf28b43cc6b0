// NetworkPolicyPort semantics: no ports = every port and protocol; protocol
// defaults to TCP; TCP/UDP/SCTP; numeric ports, endPort ranges (inclusive);
// named ports resolved on the destination pod for the flow's protocol; named
// ports never match a destination that is not a pod; ICMP only through a rule
// without ports.
import { describe, expect, it } from 'vitest';
import type { PolicyPort } from '../../src/model/types.ts';
import { cport, ipBlock, pod, policy, pport, rule, sctp, sel, tcp, udp, world } from '../generators/cluster-builders.ts';

const pods = [
  pod('srv/a', { app: 'srv' }, {
    ips: ['10.244.1.1'],
    ports: [cport('http', 8080), cport('dns', 53, 'UDP'), cport('dns-tcp', 53, 'TCP'), cport('sig', 3868, 'SCTP'), cport(undefined, 7000)],
  }),
  // Same name "http", a different number.
  pod('srv/b', { app: 'srv' }, { ips: ['10.244.1.2'], ports: [cport('http', 9000)] }),
  // "stats" exists only for UDP here.
  pod('srv/c', { app: 'srv' }, { ips: ['10.244.1.3'], ports: [cport('stats', 8125, 'UDP')] }),
  pod('cli/client', { app: 'client' }, { ips: ['10.244.2.1'] }),
];

interface Row {
  name: string;
  ports: PolicyPort[];
  to?: string;
  protocol: string;
  port?: number;
  allowed: boolean;
}

const rows: Row[] = [
  // no ports
  { name: 'no ports: any TCP port', ports: [], protocol: 'TCP', port: 12345, allowed: true },
  { name: 'no ports: UDP', ports: [], protocol: 'UDP', port: 53, allowed: true },
  { name: 'no ports: SCTP', ports: [], protocol: 'SCTP', port: 3868, allowed: true },
  { name: 'no ports: ICMP', ports: [], protocol: 'ICMP', allowed: true },
  // protocol default and protocols
  { name: 'port without protocol: TCP flow matches', ports: [pport({ port: 53 })], protocol: 'TCP', port: 53, allowed: true },
  { name: 'port without protocol defaults to TCP: UDP flow does not match', ports: [pport({ port: 53 })], protocol: 'UDP', port: 53, allowed: false },
  { name: 'port without protocol defaults to TCP: SCTP flow does not match', ports: [pport({ port: 53 })], protocol: 'SCTP', port: 53, allowed: false },
  { name: 'protocol only (no port), defaulted: every TCP port', ports: [pport({})], protocol: 'TCP', port: 1, allowed: true },
  { name: 'protocol only (no port), defaulted: not UDP', ports: [pport({})], protocol: 'UDP', port: 1, allowed: false },
  { name: 'UDP rule: UDP flow', ports: [udp(53)], protocol: 'UDP', port: 53, allowed: true },
  { name: 'UDP rule: TCP flow on that port', ports: [udp(53)], protocol: 'TCP', port: 53, allowed: false },
  { name: 'UDP rule without port: every UDP port', ports: [udp()], protocol: 'UDP', port: 5353, allowed: true },
  { name: 'UDP rule without port: not TCP', ports: [udp()], protocol: 'TCP', port: 5353, allowed: false },
  { name: 'SCTP rule: SCTP flow', ports: [sctp(3868)], protocol: 'SCTP', port: 3868, allowed: true },
  { name: 'SCTP rule: TCP flow on that port', ports: [sctp(3868)], protocol: 'TCP', port: 3868, allowed: false },
  { name: 'TCP and UDP entries: UDP flow', ports: [tcp(53), udp(53)], protocol: 'UDP', port: 53, allowed: true },
  { name: 'TCP and UDP entries: TCP flow', ports: [tcp(53), udp(53)], protocol: 'TCP', port: 53, allowed: true },
  { name: 'TCP and UDP entries: SCTP flow', ports: [tcp(53), udp(53)], protocol: 'SCTP', port: 53, allowed: false },
  // numeric ports
  { name: 'numeric port: equal', ports: [tcp(80)], protocol: 'TCP', port: 80, allowed: true },
  { name: 'numeric port: other', ports: [tcp(80)], protocol: 'TCP', port: 81, allowed: false },
  { name: 'several ports: second one matches', ports: [tcp(80), tcp(443)], protocol: 'TCP', port: 443, allowed: true },
  // endPort
  { name: 'endPort: lower bound inclusive', ports: [tcp(32000, 32768)], protocol: 'TCP', port: 32000, allowed: true },
  { name: 'endPort: upper bound inclusive', ports: [tcp(32000, 32768)], protocol: 'TCP', port: 32768, allowed: true },
  { name: 'endPort: inside', ports: [tcp(32000, 32768)], protocol: 'TCP', port: 32100, allowed: true },
  { name: 'endPort: below', ports: [tcp(32000, 32768)], protocol: 'TCP', port: 31999, allowed: false },
  { name: 'endPort: above', ports: [tcp(32000, 32768)], protocol: 'TCP', port: 32769, allowed: false },
  { name: 'endPort equal to port: that one port', ports: [tcp(8080, 8080)], protocol: 'TCP', port: 8080, allowed: true },
  { name: 'endPort range on UDP does not match TCP', ports: [udp(1000, 2000)], protocol: 'TCP', port: 1500, allowed: false },
  // named ports, resolved on the destination pod, per protocol
  { name: 'named port on pod a: its number', ports: [tcp('http')], to: 'srv/a', protocol: 'TCP', port: 8080, allowed: true },
  { name: 'named port on pod a: the other pod\'s number', ports: [tcp('http')], to: 'srv/a', protocol: 'TCP', port: 9000, allowed: false },
  { name: 'named port on pod b: its number', ports: [tcp('http')], to: 'srv/b', protocol: 'TCP', port: 9000, allowed: true },
  { name: 'named port on pod b: pod a\'s number', ports: [tcp('http')], to: 'srv/b', protocol: 'TCP', port: 8080, allowed: false },
  { name: 'named port absent on the pod', ports: [tcp('http')], to: 'srv/c', protocol: 'TCP', port: 8080, allowed: false },
  { name: 'named UDP port on pod a', ports: [udp('dns')], to: 'srv/a', protocol: 'UDP', port: 53, allowed: true },
  { name: 'named port without protocol (TCP): name exists only as UDP', ports: [pport({ port: 'stats' })], to: 'srv/c', protocol: 'TCP', port: 8125, allowed: false },
  { name: 'named port without protocol (TCP): UDP flow to it', ports: [pport({ port: 'stats' })], to: 'srv/c', protocol: 'UDP', port: 8125, allowed: false },
  { name: 'named port with UDP: name exists as UDP', ports: [udp('stats')], to: 'srv/c', protocol: 'UDP', port: 8125, allowed: true },
  { name: 'named port with TCP names a UDP-only port: TCP flow', ports: [tcp('dns')], to: 'srv/a', protocol: 'TCP', port: 53, allowed: false },
  { name: 'named TCP port with the same number as a UDP one', ports: [tcp('dns-tcp')], to: 'srv/a', protocol: 'TCP', port: 53, allowed: true },
  { name: 'named TCP port does not allow UDP to the same number', ports: [tcp('dns-tcp')], to: 'srv/a', protocol: 'UDP', port: 53, allowed: false },
  { name: 'named SCTP port', ports: [sctp('sig')], to: 'srv/a', protocol: 'SCTP', port: 3868, allowed: true },
  { name: 'unnamed container port is not a name', ports: [tcp('7000')], to: 'srv/a', protocol: 'TCP', port: 7000, allowed: false },
  { name: 'numeric rule for an unnamed container port', ports: [tcp(7000)], to: 'srv/a', protocol: 'TCP', port: 7000, allowed: true },
  { name: 'numeric rule: container ports are irrelevant', ports: [tcp(1234)], to: 'srv/c', protocol: 'TCP', port: 1234, allowed: true },
  // ICMP and portless flows
  { name: 'ICMP with a port rule of no port (TCP): denied', ports: [tcp()], protocol: 'ICMP', allowed: false },
  { name: 'ICMP with a numeric port rule: denied', ports: [tcp(80)], protocol: 'ICMP', allowed: false },
  { name: 'a TCP flow without a port matches a rule without port', ports: [tcp()], protocol: 'TCP', allowed: true },
  { name: 'a TCP flow without a port does not match a numeric rule', ports: [tcp(80)], protocol: 'TCP', allowed: false },
];

describe('ingress ports (destination pod isolated)', () => {
  it.each(rows)('$name', ({ ports, to, protocol, port, allowed }) => {
    const w = world({ pods, policies: [policy('srv/p', { podSelector: sel({ app: 'srv' }), ingress: [rule([], ports)] })] });
    const dst = to ?? 'srv/a';
    expect(w.allows('cli/client', dst, protocol, port)).toBe(allowed);
    expect(w.evaluate('cli/client', dst, protocol, port).allowed).toBe(allowed);
  });
});

describe('egress ports (source pod isolated; named ports still resolve on the destination)', () => {
  it.each(rows)('$name', ({ ports, to, protocol, port, allowed }) => {
    const w = world({ pods, policies: [policy('cli/p', { policyTypes: ['Egress'], egress: [rule([], ports)] })] });
    const dst = to ?? 'srv/a';
    expect(w.allows('cli/client', dst, protocol, port)).toBe(allowed);
    expect(w.evaluate('cli/client', dst, protocol, port).allowed).toBe(allowed);
  });
});

describe('named ports only match pods', () => {
  const w = world({
    pods,
    policies: [policy('cli/p', { policyTypes: ['Egress'], egress: [rule([ipBlock('0.0.0.0/0')], [tcp('http')])] })],
  });
  it.each([
    { name: 'egress to an outside address on a number a pod names', to: '203.0.113.5', port: 8080, allowed: false },
    { name: 'egress to a pod address through the ipBlock: the name resolves on that pod', to: '10.244.1.1', port: 8080, allowed: true },
    { name: 'egress to another pod: its own number for the name', to: '10.244.1.2', port: 9000, allowed: true },
    { name: 'egress to another pod: not pod a\'s number', to: '10.244.1.2', port: 8080, allowed: false },
  ])('$name', ({ to, port, allowed }) => {
    expect(w.allows('cli/client', to, 'TCP', port)).toBe(allowed);
  });

  it('names the reason when the destination is not a pod', () => {
    const v = w.evaluate('cli/client', '203.0.113.5', 'TCP', 8080);
    const miss = v.egress.misses[0]?.rules[0];
    expect(miss?.field).toBe('spec.egress[0].ports[0].port');
    expect(miss?.reason).toMatch(/named port http only matches pods/);
  });
});
