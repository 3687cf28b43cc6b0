// connectionSet: the exact set of connections the engine allows between two
// ends, asked once per port class of the policies that can affect the pair.
import { describe, expect, it, vi } from 'vitest';
import { connectionSet, podConnectionSet } from '../../src/explain/connection-set.ts';
import {
  ALL, cport, denyAll, ipBlock, node, pod, podPeer, policy, rule, sctp, sel, tcp, udp, world,
} from '../generators/cluster-builders.ts';

const set = (w: ReturnType<typeof world>, from: string, to: string): string =>
  connectionSet(w.engine, w.endpoint(from), w.endpoint(to)).format();

describe('connectionSet', () => {
  const shop = world({
    pods: [
      pod('shop/api', { app: 'api' }, { ips: ['10.244.0.2'] }),
      pod('shop/db', { app: 'db' }, { ips: ['10.244.0.3'], ports: [cport('pg', 5432), cport('metrics', 9187), cport('dns', 53, 'UDP')] }),
      pod('shop/web', { app: 'web' }, { ips: ['10.244.0.4'] }),
      pod('other/x', { app: 'x' }, { ips: ['10.244.0.5'] }),
    ],
    policies: [
      policy('shop/db-in', {
        podSelector: sel({ app: 'db' }),
        ingress: [
          rule([podPeer(sel({ app: 'api' }))], [tcp(80, 81), tcp('pg'), udp('dns'), tcp('nope'), sctp(9)]),
          rule([podPeer(sel({ app: 'web' }))], [tcp(30000, 32767)]),
        ],
      }),
      // web may send only to TCP ports 1-100 and 65535, and ICMP is allowed by no rule.
      policy('shop/web-out', { podSelector: sel({ app: 'web' }), policyTypes: ['Egress'], egress: [rule([], [tcp(1, 100), tcp(65535)])] }),
      denyAll('other/deny', ['Ingress']),
    ],
  });

  it('cuts at numbers, ranges and named ports resolved on the destination, protocol by protocol', () => {
    expect(set(shop, 'shop/api', 'shop/db')).toBe('TCP 80-81,5432; UDP 53; SCTP 9');
  });

  it('is the intersection of the source\'s egress and the destination\'s ingress', () => {
    // web's ingress allowance on db is 30000-32767, but web's egress allows only 1-100 and 65535.
    expect(set(shop, 'shop/web', 'shop/db')).toBe('none');
    expect(set(shop, 'shop/web', 'shop/api')).toBe('TCP 1-100,65535');
  });

  it('is all between unisolated pods, none into a deny-all, and all for a pod to itself', () => {
    expect(set(shop, 'shop/api', 'shop/web')).toBe('all');
    expect(set(shop, 'shop/api', 'other/x')).toBe('none');
    expect(set(shop, 'shop/db', 'shop/db')).toBe('all');
  });

  it('a named port never matches an address: only the numbered entries do', () => {
    const w = world({
      pods: [pod('shop/api', { app: 'api' }, { ips: ['10.244.0.2'], ports: [cport('http', 8080)] })],
      policies: [policy('shop/out', { podSelector: ALL, egress: [rule([ipBlock('0.0.0.0/0')], [tcp('http'), tcp(443)])] })],
    });
    expect(set(w, 'shop/api', '203.0.113.9')).toBe('TCP 443');
  });

  it('lets a rule without ports through every protocol, ICMP and the others included', () => {
    const w = world({
      pods: [pod('shop/a', { app: 'a' }, { ips: ['10.244.0.2'] }), pod('shop/b', { app: 'b' }, { ips: ['10.244.0.3'] })],
      policies: [
        policy('shop/b-in', { podSelector: sel({ app: 'b' }), ingress: [rule([podPeer(sel({ app: 'a' }))], [])] }),
        policy('shop/a-out', { podSelector: sel({ app: 'a' }), policyTypes: ['Egress'], egress: [rule([], [udp()]), rule([podPeer(sel({ app: 'b' }))], [tcp(22)])] }),
      ],
    });
    // a's egress: every UDP port anywhere, TCP 22 to b; b's ingress: everything from a.
    expect(set(w, 'shop/a', 'shop/b')).toBe('TCP 22; UDP 1-65535');
    expect(set(w, 'shop/b', 'shop/a')).toBe('all');
  });

  it('asks the engine once per class, never per port', () => {
    // The questions go to the pair the engine made for the two ends (PolicyEngine.pair), once.
    const pair = shop.engine.pair.bind(shop.engine);
    let questions = 0;
    const spy = vi.spyOn(shop.engine, 'pair').mockImplementation((from, to) => {
      const answers = pair(from, to);
      return { ...answers, allows: (protocol, port) => (questions++, answers.allows(protocol, port)) };
    });
    connectionSet(shop.engine, shop.endpoint('shop/api'), shop.endpoint('shop/db'));
    // TCP cut at 80, 82, 5432, 5433 (+ the start 1): 5 classes; UDP at 53, 54: 3; SCTP at 9, 10: 3; one for the rest.
    // The web rule's range 30000-32767 makes no cut: its peer is not api.
    expect(spy).toHaveBeenCalledTimes(1);
    expect(questions).toBe(5 + 3 + 3 + 1);
    spy.mockRestore();
  });

  it('counts every rule\'s ports when an address is claimed twice: the engine answers for the pod that holds it', () => {
    const w = world({
      pods: [
        { ...pod('shop/old', { app: 'old' }, { ips: ['10.244.0.9'] }), createdAt: '2026-01-01T00:00:00.000Z' },
        { ...pod('shop/new', { app: 'new' }, { ips: ['10.244.0.9'] }), createdAt: '2026-02-01T00:00:00.000Z' },
        pod('shop/db', { app: 'db' }, { ips: ['10.244.0.3'] }),
      ],
      policies: [policy('shop/db-in', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'new' }))], [tcp(5432)])] })],
    });
    // Asked from the old pod, whose labels the rule does not name: the kernel sees only the address, the new pod's.
    const from = { kind: 'pod' as const, ip: '10.244.0.9', pod: w.pod('shop/old') };
    expect(connectionSet(w.engine, from, w.endpoint('shop/db')).format()).toBe('TCP 5432');
  });

  it('follows the exceptions: a pod and its own node may always talk, unknown pod addresses never', () => {
    const w = world({
      nodes: [node('n1', ['192.168.0.1'], ['10.244.0.0/24'])],
      pods: [pod('shop/a', { app: 'a' }, { ips: ['10.244.0.2'], node: 'n1' })],
      policies: [denyAll('shop/deny')],
    });
    expect(set(w, 'shop/a', '192.168.0.1')).toBe('all');
    expect(set(w, '192.168.0.1', 'shop/a')).toBe('all');
    expect(set(w, '10.244.0.77', '203.0.113.1')).toBe('none');
  });

  it('between two pods picks an address family they share, and has no answer when they share none', () => {
    const w = world({
      pods: [
        pod('shop/v4', {}, { ips: ['10.244.0.2'] }),
        pod('shop/v6', {}, { ips: ['fd00::2'] }),
        pod('shop/dual', {}, { ips: ['10.244.0.3', 'fd00::3'] }),
      ],
    });
    expect(podConnectionSet(w.engine, w.pod('shop/v4'), w.pod('shop/v6'))).toBeUndefined();
    expect(podConnectionSet(w.engine, w.pod('shop/v6'), w.pod('shop/dual'))?.format()).toBe('all');
  });
});
