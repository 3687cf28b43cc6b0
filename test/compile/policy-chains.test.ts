// Policy chains: one per isolating policy and direction, shared by the local
// pods it selects; one accept rule per (peer, port) pair; peer sets holding
// exactly the pods the engine matches; ports rendered as nft matches; and
// comments that lead back to the rule, peer and port.
import { describe, expect, it } from 'vitest';
import type { IPFamily } from '../../src/model/addresses.ts';
import { familyOf } from '../../src/model/addresses.ts';
import type { Direction, NetworkPolicy, Peer } from '../../src/model/types.ts';
import { podEndpoint } from '../../src/policy/endpoint.ts';
import {
  andPeer, cport, denyAll, Exists, ipBlock, node, ns, nsPeer, pod, podPeer, policy, rule, sctp, sel, tcp, udp,
} from '../generators/cluster-builders.ts';
import { addresses, block, chainOf, compile as compileHashed, declares, NODE, positional, setOf, type Compiled } from './helpers.ts';

/** The set the rule (policy, direction, rule, peer, family) matches its peer against. */
function ruleSet(c: Compiled, policy: string, direction: 'ingress' | 'egress', rule: number, peer: number, family: number): string {
  const prefix = `${policy} ${direction}[${rule}] ${direction === 'ingress' ? 'from' : 'to'}[${peer}]`;
  const r = c.ir.policyChains.flatMap((ch) => ch.rules).find((x) => x.comment.startsWith(prefix) && x.peer.kind === 'set' && x.peer.family === family);
  if (r?.peer.kind !== 'set') throw new Error(`no rule ${prefix} v${family}`);
  return r.peer.set;
}
const compile = (...args: Parameters<typeof compileHashed>): Compiled => positional(compileHashed(...args));


describe('policy chains', () => {
  it('one chain per isolating policy and direction, shared by every local pod it selects', () => {
    const { ir, body } = compile({
      pods: [
        pod('x/a', { app: 'web' }, { node: NODE }),
        pod('x/b', { app: 'web' }, { node: NODE }),
        pod('x/c', { app: 'db' }, { node: NODE }),
      ],
      policies: [
        policy('x/web', { podSelector: sel({ app: 'web' }), ingress: [rule([], [tcp(80)])], egress: [rule([], [udp(53)])] }),
        policy('x/all-in', { ingress: [rule([podPeer(sel({ app: 'web' }))])] }),
      ],
    });
    expect(ir.policyChains.map((c) => c.name)).toEqual(['pol-in/x/all-in', 'pol-in/x/web', 'pol-out/x/web']);
    for (const p of ['x/a', 'x/b']) {
      expect(block(body, 'chain', `pod-in/${p}`).filter((l) => l.startsWith('jump'))).toEqual(['jump pol-in/x/all-in', 'jump pol-in/x/web']);
      expect(block(body, 'chain', `pod-out/${p}`).filter((l) => l.startsWith('jump'))).toEqual(['jump pol-out/x/web']);
    }
    expect(block(body, 'chain', 'pod-in/x/c').filter((l) => l.startsWith('jump'))).toEqual(['jump pol-in/x/all-in']);
    expect(chainOf(ir, 'pol-in/x/web')).toMatchObject({ policy: 'x/web', direction: 'ingress' });
    // Each chain declared once in the text.
    expect(body.split('\n').filter((l) => l === '\tchain pol-in/x/web {')).toHaveLength(1);
  });

  it('no chain and no sets for a policy that selects no local pod, or does not isolate the direction', () => {
    const { ir } = compile({
      pods: [pod('x/a', { app: 'a' }, { node: NODE }), pod('x/r', { app: 'r' }, { node: 'n2' })],
      policies: [
        policy('x/remote-only', { podSelector: sel({ app: 'r' }), ingress: [rule([podPeer(sel())])] }),
        policy('x/egress-only', { podSelector: sel({ app: 'a' }), policyTypes: ['Egress'], ingress: [rule([podPeer(sel())])] }),
        policy('y/other-ns', { ingress: [rule([podPeer(sel())])] }),
      ],
    });
    expect(ir.policyChains.map((c) => c.name)).toEqual(['pol-out/x/egress-only']);
    expect(ir.sets).toEqual([]);
  });

  it('a policy without rules in a direction is an empty chain: the pod chain drops', () => {
    const { body, ir } = compile({ pods: [pod('x/a', {}, { node: NODE })], policies: [denyAll('x/deny', ['Ingress'])] });
    expect(chainOf(ir, 'pol-in/x/deny').rules).toEqual([]);
    expect(block(body, 'chain', 'pol-in/x/deny')).toEqual([]);
  });

  it('one accept rule per (peer, family, port), with counter and a comment naming policy, rule, peer and port', () => {
    const { body } = compile({
      pods: [pod('x/a', { app: 'a' }, { node: NODE, ips: ['10.244.1.2', 'fd00::2'] })],
      policies: [policy('x/p', {
        ingress: [
          rule([], [tcp(80)]),
          rule([podPeer(sel({ app: 'b' })), ipBlock('192.0.2.0/24')], [tcp(443), udp(53)]),
        ],
      })],
    });
    expect(block(body, 'chain', 'pol-in/x/p')).toEqual([
      'meta l4proto tcp th dport 80 counter accept comment "x/p ingress[0] ports[0]"',
      'ip saddr @peer-in/x/p/1/0/v4 meta l4proto tcp th dport 443 counter accept comment "x/p ingress[1] from[0] ports[0]"',
      'ip saddr @peer-in/x/p/1/0/v4 meta l4proto udp th dport 53 counter accept comment "x/p ingress[1] from[0] ports[1]"',
      'ip6 saddr @peer-in/x/p/1/0/v6 meta l4proto tcp th dport 443 counter accept comment "x/p ingress[1] from[0] ports[0]"',
      'ip6 saddr @peer-in/x/p/1/0/v6 meta l4proto udp th dport 53 counter accept comment "x/p ingress[1] from[0] ports[1]"',
      'ip saddr @peer-in/x/p/1/1/v4 meta l4proto tcp th dport 443 counter accept comment "x/p ingress[1] from[1] ports[0]"',
      'ip saddr @peer-in/x/p/1/1/v4 meta l4proto udp th dport 53 counter accept comment "x/p ingress[1] from[1] ports[1]"',
    ]);
  });

  it('egress matches the peer as destination', () => {
    const { body } = compile({
      pods: [pod('x/a', {}, { node: NODE, ips: ['fd00::2'] })],
      policies: [policy('x/p', { policyTypes: ['Egress'], egress: [rule([ipBlock('2001:db8::/32')], [tcp(443)])] })],
    });
    expect(block(body, 'chain', 'pol-out/x/p')).toEqual([
      'ip6 daddr @peer-out/x/p/0/0/v6 meta l4proto tcp th dport 443 counter accept comment "x/p egress[0] to[0] ports[0]"',
    ]);
  });
});

describe('ports', () => {
  function chain(ports: Parameters<typeof rule>[1], peers: Peer[] = []): string[] {
    const { body } = compile({
      pods: [pod('x/a', {}, { node: NODE })],
      policies: [policy('x/p', { ingress: [rule(peers, ports)] })],
    });
    return block(body, 'chain', 'pol-in/x/p');
  }

  it('endPort ranges render th dport A-B, inclusive as written', () => {
    expect(chain([tcp(32000, 32768), udp(8000, 8100)])).toEqual([
      'meta l4proto tcp th dport 32000-32768 counter accept comment "x/p ingress[0] ports[0]"',
      'meta l4proto udp th dport 8000-8100 counter accept comment "x/p ingress[0] ports[1]"',
    ]);
  });

  it('a range of one port, and a single port, render th dport N', () => {
    expect(chain([tcp(53, 53), sctp(9000)])).toEqual([
      'meta l4proto tcp th dport 53 counter accept comment "x/p ingress[0] ports[0]"',
      'meta l4proto sctp th dport 9000 counter accept comment "x/p ingress[0] ports[1]"',
    ]);
  });

  it('protocol-only ports render meta l4proto P and no port', () => {
    expect(chain([udp(), sctp(), tcp()])).toEqual([
      'meta l4proto udp counter accept comment "x/p ingress[0] ports[0]"',
      'meta l4proto sctp counter accept comment "x/p ingress[0] ports[1]"',
      'meta l4proto tcp counter accept comment "x/p ingress[0] ports[2]"',
    ]);
  });

  it('rules without ports render no protocol or port match at all', () => {
    expect(chain([])).toEqual(['counter accept comment "x/p ingress[0]"']);
    const withPeer = chain([], [ipBlock('10.0.0.0/8')]);
    expect(withPeer).toEqual(['ip saddr @peer-in/x/p/0/0/v4 counter accept comment "x/p ingress[0] from[0]"']);
    expect(withPeer.join('\n')).not.toMatch(/l4proto|dport/);
  });

  it('keeps the IR form of each port', () => {
    const { ir } = compile({
      pods: [pod('x/a', {}, { node: NODE })],
      policies: [policy('x/p', { ingress: [rule([], [tcp(80), udp(8000, 8100), sctp()]), rule()] })],
    });
    expect(chainOf(ir, 'pol-in/x/p').rules.map((r) => r.port)).toEqual([
      { kind: 'range', protocol: 'TCP', from: 80, to: 80 },
      { kind: 'range', protocol: 'UDP', from: 8000, to: 8100 },
      { kind: 'protocol', protocol: 'SCTP' },
      { kind: 'any' },
    ]);
  });
});

describe('peer sets hold exactly the pods the engine matches', () => {
  // Dual-stack pods in three namespaces, with every kind of pod that must not
  // be in a set: finished, host-network, without an address.
  const namespaces = [ns('x', { team: 'blue' }), ns('y', { team: 'blue', env: 'prod' }), ns('z', { team: 'red' })];
  let n = 0;
  const dual = (ref: string, labels: Record<string, string>, nodeName = n % 2 === 0 ? NODE : 'n2') => {
    n++;
    return pod(ref, labels, { node: nodeName, ips: [`10.244.7.${n}`, `fd00:7::${n.toString(16)}`] });
  };
  const pods = [
    dual('x/target', { app: 'target' }, NODE),
    dual('x/web', { app: 'web' }), dual('x/db', { app: 'db', tier: 'back' }),
    dual('y/web', { app: 'web' }), dual('y/db', { app: 'db' }),
    dual('z/web', { app: 'web' }), dual('z/cache', { tier: 'back' }),
    pod('y/v4only', { app: 'web' }, { node: 'n2', ips: ['10.244.7.100'] }),
    pod('y/v6only', { app: 'web' }, { node: NODE, ips: ['fd00:7::100'] }),
    pod('x/done', { app: 'web' }, { node: NODE, ips: ['10.244.7.101'], phase: 'Succeeded' }),
    pod('x/host', { app: 'web' }, { node: NODE, ips: ['192.168.0.1'], hostNetwork: true }),
    pod('x/noip', { app: 'web' }, { node: NODE, ips: [] }),
    pod('x/unplaced', { app: 'web' }, { ips: ['10.244.7.102'] }),
  ];
  const peers: Peer[] = [
    podPeer(sel({ app: 'web' })),
    podPeer(sel()),
    nsPeer(sel({ team: 'blue' })),
    nsPeer(sel()),
    andPeer(sel({ team: 'blue' }), sel({ app: 'db' })),
    andPeer(sel({}, Exists('env')), sel({ app: 'web' })),
    andPeer(sel(), sel({ tier: 'back' })),
    podPeer(sel({ app: 'nothing' })),
  ];
  // One peer per rule, so the engine's "which rule allowed it" names the peer too.
  const ingress = policy('x/in', { podSelector: sel({ app: 'target' }), ingress: peers.map((p) => rule([p])) });
  const egress = policy('x/out', { podSelector: sel({ app: 'target' }), policyTypes: ['Egress'], egress: peers.map((p) => rule([p])) });
  const compiled = compile({ namespaces, pods, policies: [ingress, egress] });

  /** Addresses (of one family) of the pods whose flow the engine lets this rule allow. */
  function engineMatches(c: Compiled, pol: NetworkPolicy, direction: Direction, ruleIndex: number, family: IPFamily): string[] {
    const target = podEndpoint(c.world.pod('x/target'), family)!;
    const out: string[] = [];
    for (const p of c.world.objects.pods) {
      const other = podEndpoint(p, family);
      if (other?.kind !== 'pod' || familyOf(other.ip) !== family) continue;
      const flow = direction === 'ingress'
        ? { from: other, to: target, protocol: 'TCP', port: 80 }
        : { from: target, to: other, protocol: 'TCP', port: 80 };
      const verdict = c.world.engine.evaluate(flow)[direction];
      if (verdict.allowedBy.some((m) => m.policy === 'x/' + pol.name && m.rule === ruleIndex)) out.push(other.ip);
    }
    return out.sort();
  }

  for (const [pol, direction] of [[ingress, 'ingress'], [egress, 'egress']] as const) {
    for (const [i] of peers.entries()) {
      for (const family of [4, 6] as const) {
        it(`${direction} rule ${i}, IPv${family}`, () => {
          const set = setOf(compiled.ir, ruleSet(compiled, `x/${pol.name}`, direction, i, 0, family));
          expect(set.type).toBe('address');
          expect(set.family).toBe(family);
          expect(addresses(set)).toEqual(engineMatches(compiled, pol, direction, i, family));
        });
      }
    }
  }

  it('spot check: podSelector alone is the policy namespace; the AND peer needs both; pods on other nodes or none count', () => {
    const set = (i: number, f: IPFamily) => addresses(setOf(compiled.ir, ruleSet(compiled, 'x/in', 'ingress', i, 0, f)));
    const ip4 = (ref: string) => compiled.world.pod(ref).ips[0];
    expect(set(0, 4)).toEqual([ip4('x/web'), '10.244.7.102'].sort());
    expect(set(4, 4)).toEqual([ip4('x/db'), ip4('y/db')].sort());
    expect(set(5, 4)).toEqual([ip4('y/web'), '10.244.7.100'].sort());
    expect(set(5, 6)).toEqual([compiled.world.pod('y/web').ips[1], 'fd00:7::100'].sort());
    expect(set(7, 4)).toEqual([]);
  });

  it('an empty set is declared without elements (nft rejects "{ }") and still referenced', () => {
    const name = ruleSet(compiled, 'x/in', 'ingress', 7, 0, 4);
    expect(block(compiled.body, 'set', name)).toEqual(['type ipv4_addr', 'comment "pods app=nothing in namespace x"']);
    expect(block(compiled.body, 'chain', 'pol-in/x/in')).toContain(`ip saddr @${name} counter accept comment "x/in ingress[7] from[0]"`);
  });

  it('sets of address peers are plain sets (no interval flag)', () => {
    for (const s of compiled.ir.sets) expect(declares(compiled.body, 'set', s.name)).toBe(true);
    expect(block(compiled.body, 'set', ruleSet(compiled, 'x/in', 'ingress', 0, 0, 4))).not.toContain('flags interval');
  });
});

describe('node podCIDRs do not leak into policy sets', () => {
  it('a Node with podCIDRs changes only the pod-cidrs set', () => {
    const spec = {
      pods: [pod('x/a', {}, { node: NODE, ips: ['10.244.1.2'] })],
      policies: [policy('x/p', { ingress: [rule([podPeer(sel())], [tcp(80)])] })],
    };
    const without = compile(spec);
    const withCidrs = compile({ ...spec, nodes: [node(NODE, ['192.168.0.1'], ['10.244.1.0/24'])] });
    expect(withCidrs.ir.sets).toEqual(without.ir.sets);
    expect(withCidrs.ir.policyChains).toEqual(without.ir.policyChains);
  });
});

describe('ports with peers of both kinds', () => {
  it('named-port rules of an SCTP, UDP and TCP policy keep their protocols apart', () => {
    const { body } = compile({
      pods: [pod('x/a', {}, { node: NODE, ips: ['10.244.1.2'], ports: [cport('p', 9000, 'SCTP'), cport('p', 9001, 'UDP')] })],
      policies: [policy('x/p', { ingress: [rule([], [sctp('p'), udp('p'), tcp('p')])] })],
    });
    expect(block(body, 'set', 'port-in/x/p/0/any/0/v4')).toContain('elements = { 10.244.1.2 . sctp . 9000 }');
    expect(block(body, 'set', 'port-in/x/p/0/any/1/v4')).toContain('elements = { 10.244.1.2 . udp . 9001 }');
    expect(block(body, 'set', 'port-in/x/p/0/any/2/v4')).toEqual(['type ipv4_addr . inet_proto . inet_service', 'comment "local pods {} in namespace x: port p/TCP"']);
  });
});
