// ipBlock peers: one interval set per ipBlock holding cidr minus every except,
// so one lookup answers "in cidr and in no except".
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { ipBlockPrefixes } from '../../src/compile/ipblock-prefixes.ts';
import type { IPBlock } from '../../src/model/types.ts';
import { ipBlockArb } from '../generators/arbitraries.ts';
import { ipBlock, pod, policy, rule, tcp } from '../generators/cluster-builders.ts';
import { addresses, block, compile as compileHashed, NODE, positional, setOf } from './helpers.ts';

/** Sets named by the position of the first rule using them (see positional() in helpers.ts). */
const compile = (...args: Parameters<typeof compileHashed>) => positional(compileHashed(...args));


const inCidr = (ip: string, cidr: string): boolean => {
  const a = ipaddr.parse(ip);
  const [net, len] = ipaddr.parseCIDR(cidr);
  return a.kind() === net.kind() && a.match(net, len);
};

describe('ipBlockPrefixes', () => {
  it('a cidr without except is itself', () => {
    expect(ipBlockPrefixes({ cidr: '10.0.0.0/8', except: [] })).toEqual(['10.0.0.0/8']);
    expect(ipBlockPrefixes({ cidr: '2001:db8::/32', except: [] })).toEqual(['2001:db8::/32']);
    expect(ipBlockPrefixes({ cidr: '0.0.0.0/0', except: [] })).toEqual(['0.0.0.0/0']);
    expect(ipBlockPrefixes({ cidr: '::/0', except: [] })).toEqual(['::/0']);
  });

  it('a single address keeps its /32 or /128', () => {
    expect(ipBlockPrefixes({ cidr: '203.0.113.7/32', except: [] })).toEqual(['203.0.113.7/32']);
    expect(ipBlockPrefixes({ cidr: '2001:db8::7/128', except: [] })).toEqual(['2001:db8::7/128']);
    expect(ipBlockPrefixes({ cidr: '10.0.0.0/31', except: ['10.0.0.1/32'] })).toEqual(['10.0.0.0/32']);
  });

  it('IPv4: cidr minus except, as the fewest prefixes', () => {
    expect(ipBlockPrefixes({ cidr: '10.0.0.0/8', except: ['10.128.0.0/9'] })).toEqual(['10.0.0.0/9']);
    expect(ipBlockPrefixes({ cidr: '10.0.0.0/24', except: ['10.0.0.0/26', '10.0.0.192/26'] })).toEqual(['10.0.0.64/26', '10.0.0.128/26']);
    expect(ipBlockPrefixes({ cidr: '172.16.0.0/16', except: ['172.16.255.0/24'] })).toEqual([
      '172.16.0.0/17', '172.16.128.0/18', '172.16.192.0/19', '172.16.224.0/20', '172.16.240.0/21', '172.16.248.0/22',
      '172.16.252.0/23', '172.16.254.0/24',
    ]);
  });

  it('IPv6: cidr minus except', () => {
    expect(ipBlockPrefixes({ cidr: '2001:db8::/32', except: ['2001:db8:8000::/33'] })).toEqual(['2001:db8::/33']);
    expect(ipBlockPrefixes({ cidr: 'fd00::/126', except: ['fd00::1/128'] })).toEqual(['fd00::/128', 'fd00::2/127']);
  });

  it('covers exactly the addresses in cidr and in no except, with prefixes that do not overlap (property)', () => {
    const probeArb = (block: IPBlock) => {
      const v6 = block.cidr.includes(':');
      const random = v6
        ? fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((p) => ipaddr.fromByteArray(
          p.flatMap((x) => [x >> 8, x & 0xff]),
        ).toString())
        : fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((b) => b.join('.'));
      // Edges: first and last address of the cidr and of every except, and just outside them.
      const edges = [block.cidr, ...block.except].flatMap((c) => {
        const [net, len] = ipaddr.parseCIDR(c);
        const first = ipaddr.fromByteArray(net.toByteArray()).toString();
        const bytes = net.toByteArray();
        const bits = bytes.length * 8;
        for (let i = len; i < bits; i++) bytes[i >> 3]! |= 0x80 >> (i & 7);
        const last = ipaddr.fromByteArray(bytes).toString();
        return [first, last];
      });
      return fc.oneof(random, fc.constantFrom(...edges));
    };
    fc.assert(fc.property(ipBlockArb.chain((b) => fc.tuple(fc.constant(b), fc.array(probeArb(b), { minLength: 1, maxLength: 20 }))), ([b, probes]) => {
      const prefixes = ipBlockPrefixes(b);
      for (const ip of probes) {
        const expected = inCidr(ip, b.cidr) && !b.except.some((e) => inCidr(ip, e));
        expect(prefixes.filter((p) => inCidr(ip, p)).length, `${ip} in ${JSON.stringify(b)} -> ${prefixes.join(' ')}`).toBe(expected ? 1 : 0);
      }
      for (const p of prefixes) {
        expect(p).toMatch(/\/\d+$/);
        expect(inCidr(p.split('/')[0] as string, b.cidr)).toBe(true);
      }
    }), { numRuns: 300 });
  });
});

describe('ipBlock peer sets', () => {
  const { ir, body } = compile({
    pods: [pod('x/a', {}, { node: NODE, ips: ['10.244.1.2', 'fd00::2'] })],
    policies: [policy('x/p', {
      ingress: [rule([ipBlock('10.0.0.0/8', '10.244.0.0/16', '10.1.2.3/32'), ipBlock('2001:db8::/32', '2001:db8:bad::/48')], [tcp(443)])],
      egress: [rule([ipBlock('0.0.0.0/0')])],
    })],
  });

  it('are interval sets of one family holding the prefixes', () => {
    const v4 = setOf(ir, 'peer-in/x/p/0/0/v4');
    expect(v4).toMatchObject({ type: 'prefix', family: 4 });
    expect(addresses(v4)).toEqual(ipBlockPrefixes({ cidr: '10.0.0.0/8', except: ['10.244.0.0/16', '10.1.2.3/32'] }));
    expect(block(body, 'set', 'peer-in/x/p/0/0/v4').slice(0, 2)).toEqual(['type ipv4_addr', 'flags interval']);
    const v6 = setOf(ir, 'peer-in/x/p/0/1/v6');
    expect(v6).toMatchObject({ type: 'prefix', family: 6 });
    expect(addresses(v6)).toEqual(ipBlockPrefixes({ cidr: '2001:db8::/32', except: ['2001:db8:bad::/48'] }));
    expect(block(body, 'set', 'peer-in/x/p/0/1/v6').slice(0, 2)).toEqual(['type ipv6_addr', 'flags interval']);
  });

  it('exist only in the family of the cidr, and each is matched in that family', () => {
    expect(ir.sets.map((s) => s.name)).not.toContain('peer-in/x/p/0/0/v6');
    expect(ir.sets.map((s) => s.name)).not.toContain('peer-in/x/p/0/1/v4');
    expect(block(body, 'chain', 'pol-in/x/p')).toEqual([
      'ip saddr @peer-in/x/p/0/0/v4 meta l4proto tcp th dport 443 counter accept comment "x/p ingress[0] from[0] ports[0]"',
      'ip6 saddr @peer-in/x/p/0/1/v6 meta l4proto tcp th dport 443 counter accept comment "x/p ingress[0] from[1] ports[0]"',
    ]);
  });

  it('a cidr with no except renders as itself, 0.0.0.0/0 included', () => {
    expect(block(body, 'set', 'peer-out/x/p/0/0/v4')).toEqual(['type ipv4_addr', 'flags interval', 'comment "0.0.0.0/0"', 'elements = { 0.0.0.0/0 }']);
    expect(block(body, 'chain', 'pol-out/x/p')).toEqual(['ip daddr @peer-out/x/p/0/0/v4 counter accept comment "x/p egress[0] to[0]"']);
  });
});
