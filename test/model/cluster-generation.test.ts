// ClusterState.clusterPolicyGeneration moves whenever what cluster policies
// say about a pod may change: a cluster policy, a namespace (subjects and
// peers select on its labels) or a node (nodes peers select on its labels and
// addresses) is set or deleted. Memos of the engine compare it.
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterPolicy, Namespace, Node } from '../../src/model/types.ts';

const node: Node = { name: 'n0', addresses: ['192.168.0.1'], podCIDRs: [], labels: { zone: 'a' } };
const ns: Namespace = { name: 'shop', labels: {} };
const policy: ClusterPolicy = {
  kind: 'ClusterNetworkPolicy', name: 'c', tier: 'Admin', priority: 1,
  subject: { kind: 'namespaces', namespaceSelector: { matchLabels: {}, matchExpressions: [] } }, ingress: [], egress: [],
};

function moves(change: (s: ClusterState) => void): boolean {
  const s = new ClusterState({ namespaces: [ns], pods: [], policies: [], nodes: [node], clusterPolicies: [policy] });
  const before = s.clusterPolicyGeneration();
  change(s);
  return s.clusterPolicyGeneration() !== before;
}

describe('clusterPolicyGeneration', () => {
  it('moves when a node, a namespace or a cluster policy is set or deleted', () => {
    expect(moves((s) => s.setNode({ ...node, labels: { zone: 'b' } }))).toBe(true);
    expect(moves((s) => s.deleteNode('n0'))).toBe(true);
    expect(moves((s) => s.setNamespace({ ...ns, labels: { team: 'x' } }))).toBe(true);
    expect(moves((s) => s.deleteNamespace('shop'))).toBe(true);
    expect(moves((s) => s.setClusterPolicy({ ...policy, priority: 2 }))).toBe(true);
    expect(moves((s) => s.deleteClusterPolicy('cnp/c'))).toBe(true);
  });

  it('stays when nothing known is deleted', () => {
    expect(moves((s) => s.deleteNode('nope'))).toBe(false);
    expect(moves((s) => s.deleteClusterPolicy('cnp/nope'))).toBe(false);
  });
});
