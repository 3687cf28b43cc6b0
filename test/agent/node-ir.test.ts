// What the agent reports of a node's table (/status, metrics): cluster-wide
// policies' chains and rules count beside NetworkPolicy's.
import { describe, expect, it } from 'vitest';
import { countIR } from '../../src/agent/node-ir.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import { ALL, denyAll, node, ns, pod, sel } from '../generators/cluster-builders.ts';
import { accept, cnp, deny, networks, nsPeerOf, nsSubject } from '../generators/cluster-policies.ts';

const base = {
  namespaces: [ns('shop', { team: 'shop' })],
  pods: [pod('shop/web', { app: 'web' }, { ips: ['10.244.1.1'], node: 'n1' })],
  policies: [denyAll('shop/deny', ['Ingress'])],
  nodes: [node('n1', ['192.168.0.1'], ['10.244.1.0/24'])],
};

function counts(objects: Parameters<typeof compileForNode>[0]) {
  const r = compileForNode(objects, 'n1');
  if (!r.ok) throw new Error('n1 is known');
  return countIR(r.ir);
}

describe('countIR', () => {
  it('counts the chains and rules of cluster-wide policies on the node', () => {
    const without = counts(base);
    const withTiers = counts({
      ...base,
      clusterPolicies: [cnp('guard', { subject: nsSubject(sel({ team: 'shop' })), ingress: [accept([nsPeerOf(ALL)]), deny([nsPeerOf(ALL)])], egress: [deny([networks('169.254.169.254/32')])] })],
    });
    expect(withTiers.chains).toBe(without.chains + 2); // the policy's ingress and egress chains
    expect(withTiers.rules).toBeGreaterThanOrEqual(without.rules + 3);
    expect(withTiers.localPods).toBe(without.localPods);
  });
});
