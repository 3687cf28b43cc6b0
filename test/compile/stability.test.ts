// Names and bytes that do not move: the same input gives the same kernel
// object names and the same script, whatever the order of the objects; the
// rule count follows the policies, not the pods; names fit nft's limit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import { podChainName, policyChainName } from '../../src/compile/names.ts';
import { setName } from '../../src/compile/set-registry.ts';
import { placePods } from '../../src/sources/placement.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, NetworkPolicy, Pod } from '../../src/model/types.ts';
import { renderReplaceScript } from '../../src/nft/render-table.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { accept, cnp, deny, namedPort, networks, nsSubject, podsPeerOf, withClusterPolicies } from '../generators/cluster-policies.ts';
import { andPeer, cport, ipBlock, node, ns, pod, podPeer, policy, rule, sel, tcp, udp } from '../generators/cluster-builders.ts';
import { block, compile, NODE, objectNames, ruleLines } from './helpers.ts';

function render(objects: ClusterObjects, nodeName: string): string {
  return renderReplaceScript(compileNode(new PolicyEngine(new ClusterState(objects)), nodeName));
}

const reversed = (o: ClusterObjects, keepPolicies = false): ClusterObjects => ({
  namespaces: [...o.namespaces].reverse(),
  pods: [...o.pods].reverse(),
  policies: keepPolicies ? o.policies : [...o.policies].reverse(),
  nodes: [...o.nodes].reverse(),
});

function shop() {
  return {
    namespaces: [ns('shop', { team: 'a' }), ns('ops')],
    pods: [
      pod('shop/web', { app: 'web' }, { node: NODE, ips: ['10.244.1.2', 'fd00::2'], ports: [cport('http', 8080)] }),
      pod('shop/api', { app: 'api' }, { node: NODE, ips: ['10.244.1.3'], ports: [cport('http', 9000)] }),
      pod('shop/db', { app: 'db' }, { node: 'n2', ips: ['10.244.2.2'] }),
      pod('ops/prom', { app: 'prom' }, { node: 'n2', ips: ['10.244.2.3'] }),
    ],
    policies: [
      policy('shop/web-in', { podSelector: sel({ app: 'web' }), ingress: [rule([], [tcp('http')])] }),
      policy('shop/api-in', { podSelector: sel({ app: 'api' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [tcp('http')]), rule([andPeer(sel(), sel({ app: 'prom' }))], [tcp(9100, 9199)])] }),
      policy('shop/all-out', { policyTypes: ['Egress'], egress: [rule([podPeer(sel({ app: 'db' }))], [tcp(5432)]), rule([ipBlock('0.0.0.0/0', '10.0.0.0/8')], [udp(53)])] }),
    ],
    nodes: [node(NODE, ['192.168.0.1'], ['10.244.1.0/24']), node('n2', ['192.168.0.2'], ['10.244.2.0/24'])],
  };
}

describe('names', () => {
  it('say what they stand for', () => {
    expect(podChainName('x/a', 'ingress')).toBe('pod-in/x/a');
    expect(podChainName('x/a', 'egress')).toBe('pod-out/x/a');
    expect(policyChainName('x/allow-web', 'ingress')).toBe('pol-in/x/allow-web');
    // Sets are named by what they select, so equal selections share one set.
    expect(setName('pods', { podSelector: { matchLabels: { app: 'a' } } }, 4)).toMatch(/^pods\/[0-9a-f]{16}\/v4$/);
    expect(setName('pods', { a: 1, b: 2 }, 6)).toBe(setName('pods', { b: 2, a: 1 }, 6));
    expect(setName('pods', { a: 1 }, 4)).not.toBe(setName('pods', { a: 2 }, 4));
    expect(setName('cidr', { a: 1 }, 4)).not.toBe(setName('pods', { a: 1 }, 4));
  });

  it('are the same for the same input, and do not depend on the order of objects', () => {
    const a = compile(shop());
    const b = compile(shop());
    const names = (c: ReturnType<typeof compile>) => ({
      chains: c.ir.policyChains.map((x) => x.name),
      sets: c.ir.sets.map((x) => x.name),
      pods: c.ir.pods.map((p) => [p.pod, p.ingress, p.egress]),
    });
    expect(names(b)).toEqual(names(a));
    const shuffled = compileNode(new PolicyEngine(new ClusterState(reversed(a.world.objects))), NODE);
    expect(shuffled.policyChains.map((x) => x.name)).toEqual(names(a).chains);
    expect(shuffled.sets.map((x) => x.name)).toEqual(names(a).sets);
    expect(objectNames(renderReplaceScript(shuffled)).sort()).toEqual(objectNames(a.script).sort());
  });

  it('of a pod or policy do not change when other objects come and go', () => {
    const base = compile(shop());
    const spec = shop();
    const more = compile({
      ...spec,
      pods: [...spec.pods, pod('shop/new', { app: 'web' }, { node: NODE, ips: ['10.244.1.9'] })],
      policies: [policy('shop/aaa-first', { ingress: [rule()] }), ...spec.policies],
    });
    const baseNames = new Set(objectNames(base.script));
    const moreNames = new Set(objectNames(more.script));
    for (const n of baseNames) expect(moreNames.has(n), n).toBe(true);
  });

  it('long Kubernetes names are capped at 255 bytes, and stay distinct', () => {
    const longNs = 'n'.repeat(63);
    const podName = (c: string) => `${'a'.repeat(240)}-${c}`.padEnd(253, c);
    const polName = (c: string) => `${'p'.repeat(240)}-${c}`.padEnd(253, c);
    const { script } = compile({
      pods: ['x', 'y'].map((c) => pod(`${longNs}/${podName(c)}`, {}, { node: NODE, ips: [c === 'x' ? '10.244.1.2' : '10.244.1.3', c === 'x' ? 'fd00::2' : 'fd00::3'], ports: [cport('http', 80)] })),
      policies: ['x', 'y'].map((c) => policy(`${longNs}/${polName(c)}`, {
        ingress: [rule([podPeer(sel()), ipBlock('10.0.0.0/8')], [tcp('http'), tcp(80, 90)])],
        egress: [rule([podPeer(sel())], [tcp('http')])],
      })),
    });
    const names = objectNames(script);
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(Buffer.byteLength(n), n).toBeLessThanOrEqual(255);
    // Every declared object has its own name.
    const declared = [...script.matchAll(/^\t(?:chain|set|map) (\S+) \{$/gm)].map((m) => m[1]);
    expect(new Set(declared).size).toBe(declared.length);
  });
});

describe('deterministic output', () => {
  it('same input, same bytes', () => {
    expect(compile(shop()).script).toBe(compile(shop()).script);
  });

  it('reordering pods, namespaces and nodes gives the same bytes', () => {
    const a = compile(shop());
    expect(render(reversed(a.world.objects, true), NODE)).toBe(a.script);
  });

  // KNOWN BUG (reported to the lead): a pod chain jumps to its policies in
  // input order (isolatingPolicies keeps the order of the objects), so
  // reordering policies reorders the jumps. Verdicts agree, bytes do not:
  // golden files and the syncer's diffs move with the order of a List or of
  // informer events. Remove `.fails` when compile-node sorts the jumps.
  it('reordering policies gives the same bytes', () => {
    // shop/web is selected by two ingress policies.
    const spec = shop();
    const a = compile({ ...spec, policies: [...spec.policies, policy('shop/zz-web-extra', { podSelector: sel({ app: 'web' }), ingress: [rule([], [tcp(443)])] })] });
    expect(block(a.body, 'chain', 'pod-in/shop/web').filter((l) => l.startsWith('jump'))).toHaveLength(2);
    expect(render({ ...a.world.objects, policies: [...a.world.objects.policies].reverse() }, NODE)).toBe(a.script);
  });

  it('for random clusters, any order of pods, namespaces and nodes gives the same script (property)', () => {
    const arb = clusterArb().chain((o) => fc.record({
      objects: fc.constant(placePods(o, ['node-0', 'node-1'])),
      pods: fc.shuffledSubarray([...o.pods], { minLength: o.pods.length, maxLength: o.pods.length }),
      namespaces: fc.shuffledSubarray([...o.namespaces], { minLength: o.namespaces.length, maxLength: o.namespaces.length }),
    }));
    fc.assert(fc.property(arb, ({ objects, pods, namespaces }) => {
      const shuffled: ClusterObjects = {
        ...objects,
        namespaces,
        // The same placed pods, in the shuffled order.
        pods: pods.map((p) => objects.pods.find((q) => q.namespace === p.namespace && q.name === p.name) as Pod),
        nodes: [...objects.nodes].reverse(),
      };
      for (const n of ['node-0', 'node-1']) expect(render(shuffled, n)).toBe(render(objects, n));
    }), { numRuns: 150 });
  });
});

describe('deterministic output with cluster-wide policies', () => {
  it('any order of cluster policies, pods and nodes gives the same script (property)', () => {
    const arb = clusterArb().chain((o) => withClusterPolicies(o, 4)).chain((o) => fc.record({
      objects: fc.constant(placePods(o, ['node-0', 'node-1'])),
      clusterPolicies: fc.shuffledSubarray([...(o.clusterPolicies ?? [])], { minLength: o.clusterPolicies?.length ?? 0, maxLength: o.clusterPolicies?.length ?? 0 }),
    }));
    fc.assert(fc.property(arb, ({ objects, clusterPolicies }) => {
      const shuffled: ClusterObjects = { ...objects, clusterPolicies, pods: [...objects.pods].reverse(), nodes: [...objects.nodes].reverse() };
      for (const n of ['node-0', 'node-1']) expect(render(shuffled, n)).toBe(render(objects, n));
    }), { numRuns: 150 });
  });

  it('cluster policy chains have the same rules for 10 and for 100 pods; only sets grow', () => {
    const cluster = (n: number): ReturnType<typeof compile> => compile({
      pods: Array.from({ length: n }, (_, i) => pod(`x/web-${i}`, { app: 'web' }, { node: i % 2 === 0 ? NODE : 'n2', ips: [`10.244.${1 + Math.floor(i / 200)}.${(i % 200) + 2}`], ports: [cport('http', 8080)] })),
      clusterPolicies: [cnp('web', { priority: 1, subject: nsSubject(sel()), ingress: [accept([podsPeerOf(sel(), sel({ app: 'web' }))], [namedPort('http')])], egress: [deny([networks('10.0.0.0/8')])] })],
    });
    const small = cluster(10);
    const big = cluster(100);
    for (const name of ['cnp-in/web', 'cnp-out/web']) expect(ruleLines(block(big.body, 'chain', name))).toHaveLength(ruleLines(block(small.body, 'chain', name)).length);
    expect(big.ir.sets.reduce((k, s) => k + s.elements.length, 0)).toBeGreaterThan(small.ir.sets.reduce((k, s) => k + s.elements.length, 0));
  });
});

describe('cost follows the policies, not the pods', () => {
  function cluster(pods: number): ReturnType<typeof compile> {
    const list: Pod[] = [];
    for (let i = 0; i < pods; i++) {
      const ip4 = `10.244.${1 + Math.floor(i / 200)}.${(i % 200) + 2}`;
      list.push(pod(`x/web-${i}`, { app: 'web' }, { node: i % 2 === 0 ? NODE : 'n2', ips: [ip4], ports: [cport('http', 8080)] }));
      list.push(pod(`y/client-${i}`, { app: 'client' }, { node: i % 2 === 0 ? 'n2' : NODE, ips: [ip4.replace('10.244.', '10.245.')] }));
    }
    const policies: NetworkPolicy[] = [
      policy('x/web-in', {
        podSelector: sel({ app: 'web' }),
        ingress: [
          rule([andPeer(sel(), sel({ app: 'client' })), podPeer(sel({ app: 'web' }))], [tcp('http'), tcp(9000, 9100)]),
          rule([ipBlock('192.0.2.0/24')]),
        ],
      }),
      policy('y/client-out', { podSelector: sel({ app: 'client' }), policyTypes: ['Egress'], egress: [rule([andPeer(sel(), sel({ app: 'web' }))], [tcp('http')])] }),
    ];
    return compile({ pods: list, policies });
  }

  const count = (c: ReturnType<typeof compile>, name: string) => ruleLines(block(c.body, 'chain', name)).length;

  it('policy chains have the same rules for 10 and for 100 pods', () => {
    const small = cluster(10);
    const big = cluster(100);
    // The node is IPv4-only (its pods are), so one family.
    // web-in: rule 0 = 2 pod peers x 2 ports = 4; rule 1 = one v4 ipBlock = 1.
    expect(count(small, 'pol-in/x/web-in')).toBe(5);
    expect(count(big, 'pol-in/x/web-in')).toBe(5);
    // client-out: 1 peer x 1 named port = 1.
    expect(count(small, 'pol-out/y/client-out')).toBe(1);
    expect(count(big, 'pol-out/y/client-out')).toBe(1);
    expect(big.ir.policyChains.map((c) => c.rules.length)).toEqual(small.ir.policyChains.map((c) => c.rules.length));
    expect(big.ir.sets.map((s) => s.name)).toEqual(small.ir.sets.map((s) => s.name));
  });

  it('pods cost one small chain each and set elements, not rules', () => {
    const small = cluster(10);
    const big = cluster(100);
    expect(small.ir.pods).toHaveLength(10);
    expect(big.ir.pods).toHaveLength(100);
    // Each pod chain: self rule(s), one jump per isolating policy, the drop.
    for (const c of [small, big]) {
      for (const p of c.ir.pods) {
        const d = p.ingress.isolated ? p.ingress : p.egress;
        expect(d.isolated).toBe(true);
        if (d.isolated) expect(ruleLines(block(c.body, 'chain', d.chain))).toHaveLength(p.ips.length + 1 + 1);
      }
    }
    const elements = (c: ReturnType<typeof compile>) => c.ir.sets.reduce((n, s) => n + s.elements.length, 0);
    expect(elements(big)).toBeGreaterThan(elements(small) * 5);
    const totalRules = (c: ReturnType<typeof compile>) => c.ir.policyChains.reduce((n, ch) => n + ch.rules.length, 0);
    expect(totalRules(big)).toBe(totalRules(small));
  });
});
