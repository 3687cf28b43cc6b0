// Two running pods claiming one address: one holds it (the newest by
// creationTimestamp, else the greater namespace/name), and the engine, the
// compiled rules and explain all answer for that one. Before, the sets held
// the address for any claimant a peer matched while the engine judged the
// pod that was asked about, so the ruleset accepted what explain denied.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import { ClusterState, holdsAddressOver } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, Pod } from '../../src/model/types.ts';
import { RulesetVerdicts } from '../../src/nft/ir-verdict.ts';
import { addressEndpoint, endpointNodeName, podEndpoint, type Endpoint } from '../../src/policy/endpoint.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterArb, flowsBetween, NODES, servicesArb } from '../generators/arbitraries.ts';
import { node, pod, podPeer, policy, rule, sel } from '../generators/cluster-builders.ts';

const at = (p: Pod, createdAt: string): Pod => ({ ...p, createdAt });

describe('who holds an address two pods claim', () => {
  it('the one created last; without timestamps the greater namespace/name; a timestamp beats none', () => {
    const old = at(pod('x/b', {}, { ips: ['10.0.0.1'] }), '2026-01-01T00:00:00.000Z');
    const young = at(pod('x/a', {}, { ips: ['10.0.0.1'] }), '2026-01-02T00:00:00.000Z');
    expect(holdsAddressOver(young, old)).toBe(true);
    expect(holdsAddressOver(old, young)).toBe(false);
    const a = pod('x/a', {}, { ips: ['10.0.0.1'] });
    const b = pod('x/b', {}, { ips: ['10.0.0.1'] });
    expect(holdsAddressOver(b, a)).toBe(true);
    expect(holdsAddressOver(old, a)).toBe(true);
    for (const pods of [[old, young], [young, old]]) {
      const state = new ClusterState({ namespaces: [], pods, policies: [], nodes: [] });
      expect(state.podAt('10.0.0.1')).toBe(young);
      expect(state.sharedAddresses()).toEqual([{ ip: '10.0.0.1', holder: young, claimants: [young, old] }]);
    }
  });
});

/** Every pod's own endpoint (the address of a pod that does not hold it included) and every address's. */
function endpoints(state: ClusterState, objects: ClusterObjects): Endpoint[] {
  const byPod = objects.pods.map((p) => podEndpoint(p)).filter((e): e is Endpoint => e !== undefined);
  const byAddress = [...new Set(objects.pods.flatMap((p) => p.ips))].map((ip) => addressEndpoint(state, ip));
  return [...byPod, ...byAddress];
}

function disagreements(objects: ClusterObjects, services: readonly (readonly [string, number | undefined])[]): string[] {
  const state = new ClusterState(objects);
  const engine = new PolicyEngine(state);
  const rules = new RulesetVerdicts(new Map(objects.nodes.map((n) => [n.name, compileNode(engine, n.name)])));
  const out: string[] = [];
  for (const flow of flowsBetween(endpoints(state, objects), services)) {
    // An address's traffic is its holder's, from the holder's node.
    const nodeOf = (e: Endpoint): string | undefined => (e.kind === 'pod' ? state.podAt(e.ip)?.nodeName : endpointNodeName(e));
    const srcNode = nodeOf(flow.from);
    const dstNode = nodeOf(flow.to);
    const kernel = rules.allows({
      src: flow.from.ip, dst: flow.to.ip, ...(srcNode !== undefined && { srcNode }), ...(dstNode !== undefined && { dstNode }),
      protocol: flow.protocol, ...(flow.port !== undefined && { port: flow.port }),
    });
    const model = engine.allows(flow);
    const explained = engine.evaluate(flow).allowed;
    if (model !== kernel || explained !== model) {
      const name = (e: Endpoint): string => (e.kind === 'pod' ? `${e.pod.namespace}/${e.pod.name}@${e.ip}` : e.ip);
      out.push(`${name(flow.from)} -> ${name(flow.to)} ${flow.protocol}/${flow.port ?? '-'}: ruleset ${kernel}, allows ${model}, evaluate ${explained}`);
    }
  }
  return out;
}

describe('the ruleset, the engine and explain agree on a shared address', () => {
  it('a peer matching the pod that does not hold the address lets nothing in', () => {
    // x/a (app=a) and x/b both claim 10.244.1.2; x/b holds it (greater name).
    // Only app=a may reach x/c: traffic from 10.244.1.2 is x/b's, so denied.
    const objects: ClusterObjects = {
      namespaces: [],
      pods: [
        pod('x/a', { app: 'a' }, { node: 'n1', ips: ['10.244.1.2'] }),
        pod('x/b', {}, { node: 'n1', ips: ['10.244.1.2'] }),
        pod('x/c', {}, { node: 'n2', ips: ['10.244.2.2'] }),
      ],
      policies: [policy('x/only-a', { podSelector: sel(), ingress: [rule([podPeer(sel({ app: 'a' }))])] })],
      nodes: [node('n1', ['192.168.0.1'], ['10.244.1.0/24']), node('n2', ['192.168.0.2'], ['10.244.2.0/24'])],
    };
    expect(disagreements(objects, [['TCP', 80]])).toEqual([]);
    const engine = new PolicyEngine(new ClusterState(objects));
    const [a, c] = [objects.pods[0] as Pod, objects.pods[2] as Pod];
    const v = engine.evaluate({ from: podEndpoint(a) as Endpoint, to: podEndpoint(c) as Endpoint, protocol: 'TCP', port: 80 });
    expect(v.allowed).toBe(false);
    expect(v.flow.from.pod).toBe('x/b');
    expect(v.notes).toEqual([{ kind: 'sharedAddress', ip: '10.244.1.2', pod: 'x/a', holder: 'x/b', claimants: ['x/a', 'x/b'] }]);
  });

  it('random clusters where pods share addresses (and some have creation times)', () => {
    const shared = clusterArb({ maxPods: 8, maxPolicies: 5 }).chain((objects) => fc.record({
      pairs: fc.array(fc.tuple(fc.nat(objects.pods.length - 1), fc.nat(objects.pods.length - 1)), { minLength: 1, maxLength: 3 }),
      times: fc.array(fc.option(fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'), { nil: undefined }), {
        minLength: objects.pods.length, maxLength: objects.pods.length,
      }),
    }).map(({ pairs, times }): ClusterObjects => {
      const pods = objects.pods.map((p, i): Pod => {
        const t = times[i];
        return { ...p, nodeName: p.nodeName ?? (NODES[0] as (typeof NODES)[number]).name, ...(t !== undefined && { createdAt: t }) };
      });
      // Pod j takes pod i's addresses: both claim them (pod addresses only:
      // a host-network pod's are its node's, another kind of clash).
      for (const [i, j] of pairs) {
        const [from, to] = [pods[i] as Pod, pods[j] as Pod];
        if (!from.hostNetwork && !to.hostNetwork) pods[j] = { ...to, ips: from.ips };
      }
      return { ...objects, pods };
    }));
    fc.assert(fc.property(shared, servicesArb, (objects, services) => {
      expect(disagreements(objects, services)).toEqual([]);
    }), { numRuns: Number(process.env.FC_RUNS ?? 200) });
  });
});
