// What the agent reports of a node's table (/status, metrics): cluster-wide
// policies' chains and rules count beside NetworkPolicy's, and `chains` is
// the number of chains the rendered table declares but its base chains.
import { describe, expect, it } from 'vitest';
import { countIR } from '../../src/agent/node-ir.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import { renderTableBody } from '../../src/nft/render-table.ts';
import { ALL, denyAll, node, ns, objects, pod, sel } from '../generators/cluster-builders.ts';
import { accept, cnp, deny, networks, nsPeerOf, nsSubject, pass } from '../generators/cluster-policies.ts';
import { CLUSTER_SAMPLE, SAMPLE_NODE } from '../nft/cluster-sample.ts';

const base = {
  namespaces: [ns('shop', { team: 'shop' })],
  pods: [pod('shop/web', { app: 'web' }, { ips: ['10.244.1.1'], node: 'n1' })],
  policies: [denyAll('shop/deny', ['Ingress'])],
  nodes: [node('n1', ['192.168.0.1'], ['10.244.1.0/24'])],
};

function compiled(objects: Parameters<typeof compileForNode>[0], name = 'n1') {
  const r = compileForNode(objects, name);
  if (!r.ok) throw new Error(`${name} is known`);
  return r.ir;
}

/** The chains of the rendered table that are on no hook (base chains carry `type filter hook`). */
function renderedChains(text: string): { chains: number; base: number } {
  const heads = [...text.matchAll(/^\tchain (\S+) \{\n(\t\ttype filter hook)?/gm)];
  const base = heads.filter((m) => m[2] !== undefined).length;
  return { chains: heads.length - base, base };
}

describe('countIR', () => {
  it('counts the chains and rules of cluster-wide policies on the node', () => {
    const without = countIR(compiled(base));
    const withTiers = countIR(compiled({
      ...base,
      clusterPolicies: [cnp('guard', { subject: nsSubject(sel({ team: 'shop' })), ingress: [accept([nsPeerOf(ALL)]), deny([nsPeerOf(ALL)])], egress: [deny([networks('169.254.169.254/32')])] })],
    }));
    // The policy's ingress and egress chains, the Admin tier chains of both directions and where their Pass goes.
    expect(withTiers.chains).toBe(without.chains + 2 + 4);
    expect(withTiers.rules).toBeGreaterThanOrEqual(without.rules + 3);
    expect(withTiers.localPods).toBe(without.localPods);
  });

  it('chains: every chain of the rendered table but the base chains, with all six tier and pass chains', () => {
    const ir = compiled(objects(CLUSTER_SAMPLE), SAMPLE_NODE);
    const text = renderTableBody(ir);
    for (const c of ['admin-out', 'admin-in', 'baseline-out', 'baseline-in', 'admin-out-pass', 'admin-in-pass']) expect(text).toContain(`\tchain ${c} {`);
    const rendered = renderedChains(text);
    expect(rendered.base).toBe(4); // egress, ingress, egress-to-node, ingress-from-node
    expect(countIR(ir).chains).toBe(rendered.chains);
  });

  it('chains: a Baseline tier alone, in one direction, adds its tier chain and no pass chain', () => {
    const ir = compiled({ ...base, policies: [], clusterPolicies: [cnp('floor', { tier: 'Baseline', subject: nsSubject(ALL), egress: [pass([networks('10.0.0.0/8')]), deny([networks('0.0.0.0/0')])] })] });
    const text = renderTableBody(ir);
    expect(text).toContain('\tchain baseline-out {');
    expect(text).not.toContain('-pass {');
    expect(countIR(ir).chains).toBe(renderedChains(text).chains);
    expect(countIR(ir).chains).toBe(2); // cnp-out/floor and baseline-out
  });
});
