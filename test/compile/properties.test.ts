// Properties of the IR for random clusters and policies (no kernel needed):
// every set a rule names exists in the rule's family; peer sets hold exactly
// the pods the engine's peer matching picks; ipBlock sets hold cidr minus
// except; named-port sets hold exactly the triples the engine's named-port
// lookup gives; a node's table holds nothing of a family the node lacks.
// FC_RUNS sets the number of runs; FC_SEED / FC_PATH replay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import { nodeFamilies, type AddressPort, type NodeIR } from '../../src/compile/ir.ts';
import { ipBlockPrefixes } from '../../src/compile/ipblock-prefixes.ts';
import { namedPortSetName, peerSetName } from '../../src/compile/policy-chain.ts';
import { placePods } from '../../src/sources/placement.ts';
import { cidrFamily, familyOf, IP_FAMILIES, type IPFamily } from '../../src/model/addresses.ts';
import { ClusterState, participates } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, Direction, NetworkPolicy, Pod } from '../../src/model/types.ts';
import { policyKey } from '../../src/model/types.ts';
import { ruleMatch } from '../../src/policy/direction.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { resolveNamedPort } from '../../src/policy/port-match.ts';
import { renderTableBody } from '../../src/nft/render-table.ts';
import { clusterArb } from '../generators/arbitraries.ts';

const RUNS = Number(process.env.FC_RUNS ?? 150);

const arb = clusterArb({ maxPods: 8, maxPolicies: 5 }).map((o) => placePods(o, o.nodes.map((n) => n.name)));

function compileAll(objects: ClusterObjects): { state: ClusterState; irs: NodeIR[] } {
  const state = new ClusterState(objects);
  const engine = new PolicyEngine(state);
  return { state, irs: objects.nodes.map((n) => compileNode(engine, n.name)) };
}

/** Addresses of one family of participating pods that the peer (alone, no ports) matches, per the engine. */
function enginePeerAddresses(state: ClusterState, policy: NetworkPolicy, direction: Direction, peerIndex: number, family: IPFamily): string[] {
  const rule = { peers: [policy[direction].flatMap((r) => r.peers)[peerIndex]!], ports: [] };
  const out: string[] = [];
  for (const pod of state.pods.values()) {
    if (!participates(pod)) continue;
    for (const ip of pod.ips) {
      if (familyOf(ip) !== family) continue;
      const other = { kind: 'pod' as const, ip, pod };
      if (ruleMatch(state, policy, rule, { direction, subject: other, other, protocol: 'TCP', port: 1 })) out.push(ip);
    }
  }
  return [...new Set(out)].sort();
}

const tripleKey = (e: AddressPort): string => `${e.address} ${e.protocol} ${e.port}`;

/** An egress rule whose ports are all named: its peer set is not needed. */
function onlyNamedEgress(direction: string, rule: { ports: readonly { port?: number | string }[] }): boolean {
  return direction === 'egress' && rule.ports.length > 0 && rule.ports.every((p) => typeof p.port === 'string');
}

describe('IR properties for random clusters', () => {
  it('every set a rule or pod chain names is declared, in the rule family', () => {
    fc.assert(fc.property(arb, (objects) => {
      for (const ir of compileAll(objects).irs) {
        const sets = new Map(ir.sets.map((s) => [s.name, s]));
        expect(sets.size).toBe(ir.sets.length);
        const chains = new Set(ir.policyChains.map((c) => c.name));
        for (const c of ir.policyChains) {
          for (const r of c.rules) {
            if (r.peer.kind === 'set') expect(sets.get(r.peer.set)?.family).toBe(r.peer.family);
            if (r.port.kind === 'named') expect(sets.get(r.port.set)).toMatchObject({ family: r.port.family, type: 'address-port' });
            expect(r.comment.startsWith(`${c.policy} ${c.direction}[`)).toBe(true);
          }
        }
        for (const p of ir.pods) {
          for (const d of [p.ingress, p.egress]) if (d.isolated) for (const c of d.policyChains) expect(chains.has(c)).toBe(true);
        }
      }
    }), { numRuns: RUNS });
  });

  it('pod peer sets hold exactly the pods the engine matches; ipBlock sets hold cidr minus except', () => {
    fc.assert(fc.property(arb, (objects) => {
      const { state, irs } = compileAll(objects);
      for (const ir of irs) {
        const sets = new Map(ir.sets.map((s) => [s.name, s]));
        const families = nodeFamilies(ir);
        for (const chain of ir.policyChains) {
          const policy = state.policies.find((p) => policyKey(p) === chain.policy)!;
          policy[chain.direction].forEach((rule, i) => rule.peers.forEach((peer, j) => {
            const flatIndex = policy[chain.direction].slice(0, i).reduce((n, r) => n + r.peers.length, 0) + j;
            if (peer.kind === 'ipBlock') {
              const family = cidrFamily(peer.ipBlock.cidr);
              const set = sets.get(peerSetName(policy, peer, family));
              // Not on a node without the family; a peer whose rule has only named
              // ports lives in the named-port sets instead.
              if (!families.includes(family)) return void expect(set).toBeUndefined();
              if (set === undefined && onlyNamedEgress(chain.direction, rule)) return;
              expect(set?.elements).toEqual(ipBlockPrefixes(peer.ipBlock));
              return;
            }
            for (const family of IP_FAMILIES) {
              const set = sets.get(peerSetName(policy, peer, family));
              if (!families.includes(family)) {
                expect(set).toBeUndefined();
                continue;
              }
              if (set === undefined && onlyNamedEgress(chain.direction, rule)) continue;
              expect(set?.elements, `${chain.name} rule ${i} peer ${j} v${family}`)
                .toEqual(enginePeerAddresses(state, policy, chain.direction, flatIndex, family));
            }
          }));
        }
      }
    }), { numRuns: RUNS });
  });

  it('named-port sets: ingress = the local pods the chain serves, egress = the peer pods, with the name on that protocol', () => {
    let checked = 0;
    fc.assert(fc.property(arb, (objects) => {
      const { state, irs } = compileAll(objects);
      for (const ir of irs) {
        const sets = new Map(ir.sets.map((s) => [s.name, s]));
        const families = nodeFamilies(ir);
        for (const chain of ir.policyChains) {
          const policy = state.policies.find((p) => policyKey(p) === chain.policy)!;
          const served: Pod[] = ir.pods
            .filter((p) => { const d = p[chain.direction]; return d.isolated && d.policyChains.includes(chain.name); })
            .map((p) => state.pods.get(p.pod)!);
          policy[chain.direction].forEach((rule, i) => rule.ports.forEach((port, k) => {
            if (typeof port.port !== 'string') return;
            const name = port.port;
            // Who holds the destination: the served local pods (ingress), or the pods the peer matches (egress).
            const owners = (family: IPFamily, peerIndex: number | null): [Pod, string][] => {
              const pool = chain.direction === 'ingress' ? served : [...state.pods.values()].filter(participates);
              return pool
                .flatMap((p) => p.ips.filter((ip) => familyOf(ip) === family).map((ip): [Pod, string] => [p, ip]))
                .filter(([pod, ip]) => peerIndex === null || ruleMatch(
                  state, policy, { peers: [rule.peers[peerIndex]!], ports: [] },
                  { direction: 'egress', subject: { kind: 'pod', ip, pod }, other: { kind: 'pod', ip, pod }, protocol: 'TCP', port: 1 },
                ) !== undefined);
            };
            const peerIndexes: (number | null)[] = chain.direction === 'ingress' || rule.peers.length === 0 ? [null] : rule.peers.map((_, j) => j);
            for (const peerIndex of peerIndexes) {
              checked++;
              for (const family of IP_FAMILIES) {
                const set = sets.get(namedPortSetName(policy, chain.direction, peerIndex === null ? undefined : rule.peers[peerIndex], port, family));
                if (!families.includes(family)) {
                  expect(set).toBeUndefined();
                  continue;
                }
                // An ipBlock peer needs a named-port set only in its own family (the
                // set may still exist, shared with another rule selecting the same).
                const peer = peerIndex === null ? undefined : rule.peers[peerIndex];
                if (peer?.kind === 'ipBlock' && cidrFamily(peer.ipBlock.cidr) !== family) continue;
                if (chain.direction === 'ingress' && rule.peers.length > 0 && rule.peers.every((p) => p.kind === 'ipBlock' && cidrFamily(p.ipBlock.cidr) !== family)) continue;
                const expected = new Map<string, AddressPort>();
                for (const [p, ip] of owners(family, peerIndex)) {
                  const n = resolveNamedPort(p, name, port.protocol);
                  if (n !== undefined) {
                    const e = { address: ip, protocol: port.protocol, port: n };
                    expected.set(tripleKey(e), e);
                  }
                }
                expect((set?.elements as readonly AddressPort[] | undefined)?.map(tripleKey).sort(), `${chain.name} rule ${i} port ${k} peer ${peerIndex} v${family}`)
                  .toEqual([...expected.keys()].sort());
              }
            }
          }));
        }
      }
    }), { numRuns: RUNS });
    // The generator does reach named ports.
    expect(checked).toBeGreaterThan(RUNS / 10);
  });

  it('a table holds the families of its node only: pod CIDRs and local pod addresses decide', () => {
    fc.assert(fc.property(arb, (objects) => {
      const { state, irs } = compileAll(objects);
      for (const ir of irs) {
        const node = state.nodes.get(ir.node);
        const expected = IP_FAMILIES.filter((f) =>
          (node?.podCIDRs ?? []).some((c) => cidrFamily(c) === f) || ir.pods.some((p) => p.ips.some((ip) => familyOf(ip) === f)));
        expect(nodeFamilies(ir)).toEqual(expected);
        const absent = IP_FAMILIES.filter((f) => !expected.includes(f));
        for (const f of absent) {
          expect(ir.sets.filter((s) => s.family === f)).toEqual([]);
          for (const c of ir.policyChains) {
            for (const r of c.rules) {
              if (r.peer.kind === 'set') expect(r.peer.family).not.toBe(f);
              if (r.port.kind === 'named') expect(r.port.family).not.toBe(f);
            }
          }
          const body = renderTableBody(ir);
          expect(body).not.toMatch(new RegExp(`[-/]v${f}\\b`));
          expect(body).not.toContain(`ipv${f}_addr`);
          expect(body).not.toMatch(f === 4 ? /\bip (saddr|daddr)/ : /\bip6 |icmpv6/);
        }
      }
    }), { numRuns: RUNS });
  });
});
