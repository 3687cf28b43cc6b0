// compile(state, node): what one node enforces. The node's own pods are the
// targets (their ingress and egress); peers come from the whole cluster.
// Only policies that isolate a local pod get a chain, and only their peers
// get sets: the nft command's cost grows with the table, so each node's table
// holds what its own pods need and nothing more, and only in the node's
// address families (nodeFamilies in ir.ts).
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, NetworkPolicy, Pod } from '../model/types.ts';
import { podKey, policyKey } from '../model/types.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { nodeFamilies, type LocalPod, type NodeIR, type PodDirection, type PolicyChain } from './ir.ts';
import { podChainName, policyChainName } from './names.ts';
import { compilePolicyChain } from './policy-chain.ts';
import { SetRegistry } from './set-registry.ts';

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

export function localPodsOf(state: ClusterState, node: string): Pod[] {
  return state.podsOn(node).map((p): [string, Pod] => [podKey(p), p]).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, p]) => p);
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function compileNode(engine: PolicyEngine, node: string): NodeIR {
  const state = engine.state;
  const local = localPodsOf(state, node);
  // policy key + direction -> [policy, local pods it isolates]
  const selected = new Map<string, [NetworkPolicy, Direction, Pod[]]>();
  const pods: LocalPod[] = local.map((pod) => {
    const dirs = DIRECTIONS.map((direction): PodDirection => {
      // Sorted, so the jump order does not follow the order objects arrived in.
      const policies = [...engine.isolatingPolicies(pod, direction)].sort((a, b) => (policyKey(a) < policyKey(b) ? -1 : 1));
      if (policies.length === 0) return { isolated: false };
      for (const p of policies) {
        const k = `${direction} ${policyKey(p)}`;
        const entry = selected.get(k) ?? [p, direction, []];
        entry[2].push(pod);
        selected.set(k, entry);
      }
      return { isolated: true, chain: podChainName(podKey(pod), direction), policyChains: policies.map((p) => policyChainName(policyKey(p), direction)) };
    });
    // An address another pod holds (see ClusterState) is not this pod's to dispatch.
    const ips = pod.ips.filter((ip) => state.podAt(ip) === pod);
    return { pod: podKey(pod), ips, ingress: dirs[0] as PodDirection, egress: dirs[1] as PodDirection };
  });
  const podCidrs = [...(state.nodes.get(node)?.podCIDRs ?? [])].sort();
  const families = nodeFamilies({ podCidrs, pods });
  const sets = new SetRegistry();
  const chains: PolicyChain[] = [...selected.values()].map(([policy, direction, selectedPods]) =>
    compilePolicyChain(state, policy, direction, selectedPods, families, sets));
  return {
    node,
    podCidrs,
    pods,
    policyChains: chains.sort(byName),
    sets: sets.all().sort(byName),
  };
}
