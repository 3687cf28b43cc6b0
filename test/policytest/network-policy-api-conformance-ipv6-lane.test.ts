// The IPv6 lane's policy transform (test/support/network-policy-api-ipv6.ts): each IPv4
// literal of the suite's policies becomes its IPv6 counterpart in world.yaml, as upstream
// computes it on an IPv6 cluster (the probed pod's status.podIP + "/128"); nothing else
// changes, and a literal without a counterpart stops the lane.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { addressMapOf, collectedForIPv6, ipv6Counterpart, readAddressMap, toIPv6Lane } from '../support/network-policy-api-ipv6.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = 'test/conformance/network-policy-api';
const map = await readAddressMap(path.join(ROOT, SUITE, 'world.yaml'));
const collected = await collectPolicyTests([SUITE], ROOT);

/** Every string in a value, depth first. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}
const IPV4_LITERAL = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/;

describe('network-policy-api IPv6 lane: the address map of world.yaml', () => {
  it('pairs every pod, host-network pod and node address, and each node pod CIDR, with its IPv6 counterpart', () => {
    expect(map.get('10.244.1.40')).toBe('fd00:10:244:1::40');
    expect(map.get('10.244.2.30')).toBe('fd00:10:244:2::30');
    expect(map.get('192.168.100.2')).toBe('fd00:192:168:100::2');
    expect(map.get('10.244.1.0/24')).toBe('fd00:10:244:1::/64');
    // 8 pods, 2 nodes (their host-network pods share the node pairs), 2 pod CIDRs: the world is dual-stack throughout.
    expect(map.size).toBe(12);
  });

  it('refuses a world where an address has two counterparts, or a pod without its IPv6 address', () => {
    const pod = (name: string, ips: string[]): unknown => ({ kind: 'Pod', metadata: { name }, status: { podIPs: ips.map((ip) => ({ ip })) } });
    expect(() => addressMapOf([pod('a', ['10.0.0.1', 'fd00::1']), pod('b', ['10.0.0.1', 'fd00::2'])])).toThrow(/10\.0\.0\.1 is paired with fd00::1 elsewhere/);
    expect(() => addressMapOf([pod('a', ['10.0.0.1'])])).toThrow(/Pod a: want one IPv4 and one IPv6 value/);
    // An IPv6-only pod has nothing to translate.
    expect(addressMapOf([pod('c', ['fd00::3'])]).size).toBe(0);
  });
});

describe('network-policy-api IPv6 lane: one literal', () => {
  it('a pod or node /32 becomes its /128, a bare address its address, a pod CIDR the node\'s IPv6 one, 0.0.0.0/0 ::/0', () => {
    expect(ipv6Counterpart('10.244.1.40/32', map)).toBe('fd00:10:244:1::40/128');
    expect(ipv6Counterpart('192.168.100.1/32', map)).toBe('fd00:192:168:100::1/128');
    expect(ipv6Counterpart('10.244.2.10', map)).toBe('fd00:10:244:2::10');
    expect(ipv6Counterpart('10.244.2.0/24', map)).toBe('fd00:10:244:2::/64');
    expect(ipv6Counterpart('0.0.0.0/0', map)).toBe('::/0');
  });

  it('an IPv4 literal the world gives no counterpart is an error naming it', () => {
    expect(() => ipv6Counterpart('10.244.1.41/32', map)).toThrow(/10\.244\.1\.41\/32 is no pod's or node's address/);
    expect(() => ipv6Counterpart('10.244.0.0/16', map)).toThrow(/10\.244\.0\.0\/16/);
    expect(() => ipv6Counterpart('203.0.113.9', map)).toThrow(/203\.0\.113\.9/);
  });
});

describe('network-policy-api IPv6 lane: whole objects', () => {
  const test = collected.tests[0];
  if (!test) throw new Error(`no tests under ${SUITE}`);
  const lane = (objects: unknown[]): unknown[] => toIPv6Lane({ ...test, objects, steps: [] }, map).objects as unknown[];

  it('keeps an IPv4 literal beside its counterpart (upstream\'s own [0.0.0.0/0, ::/0]) and replaces the others', () => {
    expect(lane([{ networks: ['0.0.0.0/0', '::/0'] }])).toEqual([{ networks: ['0.0.0.0/0', '::/0'] }]);
    expect(lane([{ networks: ['0.0.0.0/0'] }])).toEqual([{ networks: ['::/0'] }]);
    expect(lane([{ networks: ['10.244.1.40/32', '10.244.1.30/32'] }])).toEqual([{ networks: ['fd00:10:244:1::40/128', 'fd00:10:244:1::30/128'] }]);
    // A NetworkPolicy ipBlock too, except list and all.
    expect(lane([{ ipBlock: { cidr: '10.244.1.0/24', except: ['10.244.1.40/32'] } }])).toEqual([{ ipBlock: { cidr: 'fd00:10:244:1::/64', except: ['fd00:10:244:1::40/128'] } }]);
    expect(() => lane([{ networks: ['198.51.100.0/24'] }])).toThrow(/198\.51\.100\.0\/24/);
  });

  it('leaves IPv6 literals, names and labels alone, and is the identity on its own output', () => {
    const objects = [{ kind: 'ClusterNetworkPolicy', metadata: { name: 'x', labels: { a: '1' } }, spec: { egress: [{ to: [{ networks: ['fd00::/8', '10.244.1.40/32'] }] }] } }];
    const once = lane(objects);
    expect(once).toEqual([{ kind: 'ClusterNetworkPolicy', metadata: { name: 'x', labels: { a: '1' } }, spec: { egress: [{ to: [{ networks: ['fd00::/8', 'fd00:10:244:1::40/128'] }] }] } }]);
    expect(lane(once)).toEqual(once);
  });
});

describe('network-policy-api IPv6 lane: the suite', () => {
  const v6 = collectedForIPv6(collected, map);

  it('leaves no IPv4 literal in any policy but 0.0.0.0/0 beside ::/0, and keeps cases, steps and names', () => {
    expect(v6.tests.length).toBe(48);
    const left = v6.tests.flatMap((t) => [...t.objects, ...t.steps.flatMap((s) => s.apply)].flatMap(strings).filter((s) => IPV4_LITERAL.test(s)));
    expect(new Set(left)).toEqual(new Set(['0.0.0.0/0']));
    v6.tests.forEach((t, i) => {
      const before = collected.tests[i];
      expect(t.cases).toBe(before?.cases);
      expect(t.steps.map((s) => s.cases)).toEqual(before?.steps.map((s) => s.cases));
      expect(t.file).toBe(before?.file);
    });
  });

  it('the inline-CIDR tests\' inserted rule names luna-lovegood-0 and cedric-diggory-0 by their IPv6 /128s, as upstream does on IPv6', () => {
    const inline = v6.tests.filter((t) => t.file.includes('inline-cidr'));
    expect(inline.length).toBe(4);
    for (const t of inline) {
      const networks = t.steps.flatMap((s) => s.apply).flatMap(strings).filter((s) => s.endsWith('/128'));
      expect(new Set(networks)).toEqual(new Set(['fd00:10:244:1::40/128', 'fd00:10:244:1::30/128']));
    }
  });
});
