// The incremental compiler against fresh builds: a cluster is followed
// through random series of events (pods added, removed, relabelled, moved,
// finished, their addresses reused; policies added, changed, removed, failing
// closed; namespaces relabelled and deleted; pod CIDRs changed), applied one
// change at a time; after every change, each node's IR equals, object for
// object, the IR a fresh build gives for the state reached. The kernel proof
// of the deltas between such IRs is test/kernel/delta.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import type { NamedSet, NodeIR } from '../../src/compile/ir.ts';
import { NodeCompiler } from '../../src/compile/node-compiler.ts';
import { setChange } from '../../src/compile/set-registry.ts';
import { changesBetween } from '../../src/model/cluster-change.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterA, mutated } from '../generators/cluster-mutations.ts';
import { clusterWithPoliciesA, cnp, deny, mutatedWithClusterPolicies, networks, nsSubject, pass } from '../generators/cluster-policies.ts';
import { CLUSTER_SAMPLE, SAMPLE_NODE } from '../nft/cluster-sample.ts';
import { node, ns, nsPeer, objects, pod, podPeer, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';

const RUNS = Number(process.env.FC_RUNS ?? 150);
const SEED = Number(process.env.FC_SEED ?? 20261202);

function objectsOf(state: ClusterState): ClusterObjects {
  return {
    namespaces: [...state.namespaces.values()], pods: [...state.pods.values()], policies: [...state.policies], nodes: [...state.nodes.values()],
    clusterPolicies: [...state.clusterPolicies.values()],
  };
}

const fresh = (state: ClusterState, name: string) => compileNode(new PolicyEngine(new ClusterState(objectsOf(state))), name);

/** A cluster and the states it goes through. */
const walkArb = clusterA.chain((start) => fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 4 }).chain((steps) => {
  let arb: fc.Arbitrary<ClusterObjects[]> = fc.constant([start]);
  for (const n of steps) arb = arb.chain((states) => mutated(states.at(-1) as ClusterObjects, n).map((next) => [...states, next]));
  return arb;
}));

/** Walks of clusters with cluster-wide policies through both kinds of events. */
const clusterWalkArb = clusterWithPoliciesA.chain((start) => fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 4 }).chain((steps) => {
  let arb: fc.Arbitrary<ClusterObjects[]> = fc.constant([start]);
  for (const n of steps) arb = arb.chain((states) => mutatedWithClusterPolicies(states.at(-1) as ClusterObjects, n).map((next) => [...states, next]));
  return arb;
}));

function followWalk(states: readonly ClusterObjects[], shuffle: boolean): void {
  const first = states[0] as ClusterObjects;
  for (const n of first.nodes) {
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(first)), n.name);
    expect(compiler.ir()).toEqual(fresh(compiler.engine.state, n.name));
    for (let i = 1; i < states.length; i++) {
      const changes = changesBetween(states[i - 1] as ClusterObjects, states[i] as ClusterObjects);
      if (shuffle) changes.reverse();
      for (const c of changes) {
        compiler.apply(c);
        expect(compiler.ir()).toEqual(fresh(compiler.engine.state, n.name));
      }
    }
  }
}

describe('NodeCompiler: change by change, the same IR as a fresh build', () => {
  it('with cluster-wide policies: cluster policies, node labels and host-network pods changing too', () => {
    fc.assert(fc.property(clusterWalkArb, fc.boolean(), (states, shuffle) => followWalk(states, shuffle)), { numRuns: RUNS, seed: SEED });
  });

  it('after every change of random walks through cluster states, on every node', () => {
    fc.assert(fc.property(walkArb, fc.boolean(), (states, shuffle) => {
      const first = states[0] as ClusterObjects;
      for (const n of first.nodes) {
        const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(first)), n.name);
        expect(compiler.ir()).toEqual(fresh(compiler.engine.state, n.name));
        for (let i = 1; i < states.length; i++) {
          const changes = changesBetween(states[i - 1] as ClusterObjects, states[i] as ClusterObjects);
          // The order of a burst's events must not matter.
          if (shuffle) changes.reverse();
          for (const c of changes) {
            compiler.apply(c);
            expect(compiler.ir()).toEqual(fresh(compiler.engine.state, n.name));
          }
        }
      }
    }), { numRuns: RUNS, seed: SEED });
  });

  it('keeps unchanged sets and chains as the same objects, and changes only the sets a pod touches', () => {
    const mon = pod('ops/mon', { app: 'mon' }, { ips: ['10.244.1.12'], node: 'node-1' });
    const cluster = objects({
      namespaces: [ns('shop', { team: 'shop' }), ns('ops', { team: 'ops' })],
      nodes: [node('node-0', ['192.168.0.1'], ['10.244.0.0/24']), node('node-1', ['192.168.0.2'], ['10.244.1.0/24'])],
      pods: [
        pod('shop/api', { app: 'api' }, { ips: ['10.244.0.10'], node: 'node-0' }),
        pod('shop/web', { app: 'web' }, { ips: ['10.244.0.11'], node: 'node-0' }),
        mon,
      ],
      policies: [
        policy('shop/api-from-web', { podSelector: sel({ app: 'api' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [tcp(80)])] }),
        policy('shop/web-from-ops', { podSelector: sel({ app: 'web' }), ingress: [rule([nsPeer(sel({ team: 'ops' }))], [tcp(8080)])] }),
      ],
    });
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(cluster)), 'node-0');
    const before = compiler.ir();
    const setOf = (ir: NodeIR, words: string): NamedSet | undefined => ir.sets.find((s) => s.comment.includes(words));
    // A new ops pod on the other node: only the ops set gains it.
    compiler.apply({ kind: 'pod', key: 'ops/mon2', pod: { ...mon, name: 'mon2', ips: ['10.244.1.13'] } });
    const after = compiler.ir();
    expect(setOf(after, 'team=ops')?.elements).toEqual(['10.244.1.12', '10.244.1.13']);
    expect(setOf(after, 'app=web')).toBe(setOf(before, 'app=web'));
    expect(after.policyChains).toHaveLength(2);
    after.policyChains.forEach((c, i) => expect(c).toBe(before.policyChains[i]));
    expect(after.pods).toBe(before.pods);
    // Asked again with no change: the very same IR.
    expect(compiler.ir()).toBe(after);
  });
});

describe('set changes', () => {
  it('a set remembers only its last step, so earlier versions are not kept alive through it', () => {
    const cluster = objects({
      namespaces: [ns('shop', { team: 'shop' })],
      nodes: [node('node-0', ['192.168.0.1'], ['10.244.0.0/24'])],
      pods: [pod('shop/api', { app: 'api' }, { ips: ['10.244.0.10'], node: 'node-0' }), pod('shop/web', { app: 'web' }, { ips: ['10.244.0.11'], node: 'node-0' })],
      policies: [policy('shop/api-from-web', { podSelector: sel({ app: 'api' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [tcp(80)])] })],
    });
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(cluster)), 'node-0');
    const webSet = (): NamedSet => compiler.ir().sets.find((s) => s.comment.includes('app=web')) as NamedSet;
    const v0 = webSet();
    const web2 = pod('shop/web2', { app: 'web' }, { ips: ['10.244.0.12'], node: 'node-0' });
    compiler.apply({ kind: 'pod', key: 'shop/web2', pod: web2 });
    const v1 = webSet();
    expect(setChange(v1)).toMatchObject({ from: v0, add: ['10.244.0.12'], delete: [] });
    compiler.apply({ kind: 'pod', key: 'shop/web3', pod: { ...web2, name: 'web3', ips: ['10.244.0.13'] } });
    const v2 = webSet();
    expect(setChange(v2)).toMatchObject({ from: v1, add: ['10.244.0.13'] });
    expect(setChange(v1)).toBeUndefined();
  });
});

describe('cluster policy changes cost what they touch', () => {
  const base = (): NodeCompiler => new NodeCompiler(new PolicyEngine(new ClusterState(objects(CLUSTER_SAMPLE))), SAMPLE_NODE);

  it('a cluster policy selecting no pod of the node leaves every pod, chain and set the same object', () => {
    const compiler = base();
    const before = compiler.ir();
    const far = cnp('far-away', { priority: 1, subject: nsSubject(sel({ team: 'ops' })), egress: [deny([networks('10.0.0.0/8')])] });
    compiler.apply({ kind: 'clusterPolicy', key: 'cnp/far-away', clusterPolicy: far });
    const after = compiler.ir();
    expect(after.pods).toBe(before.pods);
    expect(after.policyChains).toBe(before.policyChains);
    after.clusterChains?.forEach((c, i) => expect(c).toBe(before.clusterChains?.[i]));
    after.sets.forEach((s, i) => expect(s).toBe(before.sets[i]));
  });

  it('a new first policy of a tier: its chain is new, every other chain keeps its object, the tier order moves', () => {
    const compiler = base();
    const before = compiler.ir();
    const first = cnp('first', { priority: 1, subject: nsSubject(sel({ team: 'shop' })), egress: [pass([networks('10.0.0.0/8')])] });
    compiler.apply({ kind: 'clusterPolicy', key: 'cnp/first', clusterPolicy: first });
    const after = compiler.ir();
    expect(after.tiers?.egress.admin).toEqual(['cnp-out/first', 'cnp-out/deny-metadata', 'anp-out/monitoring']);
    const same = (name: string): void => expect(after.clusterChains?.find((c) => c.name === name)).toBe(before.clusterChains?.find((c) => c.name === name));
    for (const name of ['cnp-out/deny-metadata', 'anp-out/monitoring', 'anp-in/monitoring', 'banp-out/default']) same(name);
    expect(after.pods).toBe(before.pods); // shop/api and shop/db were in the Admin tier for egress already
    expect(after).toEqual(fresh(compiler.engine.state, SAMPLE_NODE));
  });
});

describe('cluster policy subjects follow namespace labels', () => {
  it('a namespace relabelled out of a subject leaves its subject set, the policy staying for other pods', () => {
    const cluster = objects({
      namespaces: [ns('a', { team: 'x' }), ns('b', { team: 'x' })],
      nodes: [node('node-0', ['192.168.0.1'], ['10.244.0.0/24'])],
      pods: [pod('a/p', {}, { ips: ['10.244.0.10'], node: 'node-0' }), pod('b/q', {}, { ips: ['10.244.0.11'], node: 'node-0' })],
      clusterPolicies: [cnp('team-x', { priority: 1, subject: nsSubject(sel({ team: 'x' })), egress: [deny([networks('10.0.0.0/8')])] })],
    });
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(cluster)), 'node-0');
    const subject = (): NamedSet | undefined => compiler.ir().sets.find((s) => s.name.startsWith('subj/'));
    expect(subject()?.elements).toEqual(['10.244.0.10', '10.244.0.11']);
    compiler.apply({ kind: 'namespace', name: 'b', namespace: ns('b', { team: 'y' }) });
    expect(subject()?.elements).toEqual(['10.244.0.10']);
    expect(compiler.ir()).toEqual(fresh(compiler.engine.state, 'node-0'));
  });
});
