// The compiler's output, read as the kernel walks it, must decide every flow
// as the policy engine does (invariant 1, checked here without a kernel so it
// can run for many random clusters; the kernel tests check the same on real
// packets). Random by default; FC_SEED / FC_PATH replay a failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import { RulesetVerdicts } from '../../src/nft/ir-verdict.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import { addressEndpoint, endpointNodeName } from '../../src/policy/endpoint.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterArb, endpointsOf, flowsBetween, NODES, servicesArb } from '../generators/arbitraries.ts';
import { withClusterPolicies } from '../generators/cluster-policies.ts';
import { replay, replayingOnePath } from '../support/fc-replay.ts';

const RUNS = Number(process.env.FC_RUNS ?? 300);

/** Every running pod runs somewhere: pods the generator left unscheduled go to node-0. */
function scheduled(objects: ClusterObjects): ClusterObjects {
  return { ...objects, pods: objects.pods.map((p) => (p.nodeName === undefined ? { ...p, nodeName: NODES[0]!.name } : p)) };
}

/**
 * Nodes with pod CIDRs, and every pod on the node whose CIDR holds its IPv4
 * address, as flannel places them; plus addresses inside those CIDRs that no
 * pod holds (pods nftpol does not know: both sides fail closed on them).
 */
const CIDRS = ['10.244.0.0/24', '10.244.1.0/24'] as const;
const UNKNOWN_PODS = ['10.244.0.250', '10.244.1.250'] as const;
function withPodCidrs(objects: ClusterObjects): ClusterObjects {
  const nodeOf = (ip: string | undefined): string | undefined => (ip?.startsWith('10.244.0.') ? NODES[0]!.name : ip?.startsWith('10.244.1.') ? NODES[1]!.name : undefined);
  return {
    ...objects,
    nodes: objects.nodes.map((n, i) => ({ ...n, podCIDRs: [CIDRS[i]!] })),
    pods: objects.pods.map((p) => {
      const node = p.hostNetwork ? undefined : nodeOf(p.ips.find((ip) => !ip.includes(':')));
      return node ? { ...p, nodeName: node } : p;
    }),
  };
}

/** Runs whose tables had cluster policy rules, and flows a cluster tier decided (the generator must reach them). */
const reached = { tieredRuns: 0, tierDecided: 0 };

function compareAll(objects: ClusterObjects, services: [string, number | undefined][], extra: readonly string[] = []): void {
  const state = new ClusterState(objects);
  const engine = new PolicyEngine(state);
  const irs = new Map<string, NodeIR>(objects.nodes.map((n) => [n.name, compileNode(engine, n.name)]));
  if ([...irs.values()].some((ir) => (ir.clusterChains ?? []).some((c) => c.rules.length > 0))) reached.tieredRuns++;
  const rules = new RulesetVerdicts(irs);
  const endpoints = [...endpointsOf(state, objects), ...extra.map((ip) => addressEndpoint(state, ip))];
  for (const flow of flowsBetween(endpoints, services)) {
    const model = engine.allows(flow);
    const kernel = rules.allows({
      src: flow.from.ip, dst: flow.to.ip,
      ...(endpointNodeName(flow.from) !== undefined ? { srcNode: endpointNodeName(flow.from) } : {}),
      ...(endpointNodeName(flow.to) !== undefined ? { dstNode: endpointNodeName(flow.to) } : {}),
      protocol: flow.protocol, ...(flow.port !== undefined ? { port: flow.port } : {}),
    });
    if (reached.tierDecided < 1_000 && (objects.clusterPolicies?.length ?? 0) > 0) {
      const v = engine.evaluate(flow);
      if ([v.egress.tier, v.ingress.tier].some((t) => t === 'Admin' || t === 'Baseline')) reached.tierDecided++;
    }
    if (model !== kernel) {
      const v = engine.evaluate(flow);
      expect.fail(`ruleset says ${kernel ? 'allow' : 'deny'}, engine says ${model ? 'allow' : 'deny'} for ${flow.from.ip} -> ${flow.to.ip} ${flow.protocol}/${flow.port ?? '-'}\n${JSON.stringify(v, null, 1)}`);
    }
  }
}

describe('compiled rulesets agree with the engine', () => {
  it('with pod CIDRs: pods on the node that holds their address, and unknown addresses in those CIDRs', () => {
    fc.assert(
      fc.property(clusterArb({ maxPods: 8, maxPolicies: 5 }).map(scheduled).map(withPodCidrs), servicesArb, (objects, services) => {
        compareAll(objects, services, UNKNOWN_PODS);
      }),
      { numRuns: RUNS, ...replay },
    );
  });

  it('with cluster-wide policies (every tier, action, peer kind and port) beside NetworkPolicies, pod CIDRs and unknown addresses', () => {
    fc.assert(
      fc.property(clusterArb({ maxPods: 8, maxPolicies: 3 }).map(scheduled).map(withPodCidrs).chain((o) => withClusterPolicies(o, 4)), servicesArb, (objects, services) => {
        compareAll(objects, services, UNKNOWN_PODS);
      }),
      { numRuns: RUNS, ...replay },
    );
  });

  it('with cluster-wide policies, between pods, nodes and outside addresses', () => {
    fc.assert(
      fc.property(clusterArb({ maxPods: 8, maxPolicies: 3 }).map(scheduled).chain((o) => withClusterPolicies(o, 4)), servicesArb, (objects, services) => {
        compareAll(objects, services);
      }),
      { numRuns: RUNS, ...replay },
    );
    // The cluster policies took part: tables had their rules, and tiers decided flows.
    if (!replayingOnePath) {
      expect(reached.tieredRuns).toBeGreaterThan(RUNS / 3);
      expect(reached.tierDecided).toBeGreaterThan(100);
    }
  });

  it('for every flow between pods, nodes and outside addresses', () => {
    fc.assert(
      fc.property(clusterArb({ maxPods: 8, maxPolicies: 5 }).map(scheduled), servicesArb, (objects, services) => {
        compareAll(objects, services);
      }),
      { numRuns: RUNS, ...replay },
    );
  });
});
