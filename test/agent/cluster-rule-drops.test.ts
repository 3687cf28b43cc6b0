// Drops of cluster-wide policies' Deny rules, per rule, read from a table
// listing against the IR in force (src/agent/cluster-rule-drops.ts), and
// their series in the agent's metrics. Listings here are made from the IR as
// `nft -j -t list table` shows rules (the kernel test reads a real one:
// test/kernel/cluster-rule-drops.test.ts).
import { describe, expect, it } from 'vitest';
import { clusterRuleDrops, FAIL_CLOSED_RULE } from '../../src/agent/cluster-rule-drops.ts';
import { AgentMetrics } from '../../src/agent/metrics.ts';
import { countIR } from '../../src/agent/node-ir.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import type { ClusterPolicyChain, NodeIR } from '../../src/compile/ir.ts';
import type { NftRunner } from '../../src/dataplane/nft-runner.ts';
import type { ClusterPolicy } from '../../src/model/types.ts';
import { nftName, quotedText } from '../../src/nft/syntax.ts';
import { denyAllRule } from '../../src/sources/cluster-fail-closed.ts';
import { ALL, objects } from '../generators/cluster-builders.ts';
import { cnp, deny, networks, nsSubject } from '../generators/cluster-policies.ts';
import { CLUSTER_SAMPLE, SAMPLE_NODE } from '../nft/cluster-sample.ts';

function irOf(extra: readonly (Parameters<typeof cnp> | ClusterPolicy)[] = []): NodeIR {
  const o = objects(CLUSTER_SAMPLE);
  const added = extra.map((e) => (Array.isArray(e) ? cnp(...e) : e));
  const r = compileForNode({ ...o, clusterPolicies: [...(o.clusterPolicies ?? []), ...added] }, SAMPLE_NODE);
  if (!r.ok) throw new Error('n1 is known');
  return r.ir;
}

/** The JSON listing of the IR's cluster chains; the n-th rule of all counted n+1 packets of 100 bytes, unless `packets` says otherwise. */
function listing(chains: readonly ClusterPolicyChain[], packets: (chain: string, i: number) => number = (_c, i) => i + 1, table = 'nftpol'): string {
  const items: unknown[] = [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, { table: { family: 'inet', name: table, handle: 1 } }];
  for (const c of chains) {
    items.push({ chain: { family: 'inet', table, name: nftName(c.name), handle: 2 } });
    c.rules.forEach((r, i) => {
      const n = packets(c.name, i);
      items.push({ rule: {
        family: 'inet', table, chain: nftName(c.name), handle: 10 + i, comment: quotedText(r.comment),
        expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: '@set' } }, { counter: { packets: n, bytes: n * 100 } }, { [r.verdict === 'return' ? 'goto' : r.verdict]: r.verdict === 'return' ? { target: 'admin-out-pass' } : null }],
      } });
    });
  }
  return JSON.stringify({ nftables: items });
}

describe('clusterRuleDrops', () => {
  const ir = irOf();
  const chains = ir.clusterChains ?? [];

  it('reports every Deny rule by policy, direction and field, its alternatives and families summed; Accept and Pass rules are not drops', () => {
    const got = clusterRuleDrops(listing(chains), 'nftpol', chains);
    // cnp-out/deny-metadata: rule 0 of the chain (Deny spec.egress[0]) counted 1; its Pass is not reported.
    expect(got).toContainEqual({ policy: 'cnp/deny-metadata', direction: 'egress', rule: 'spec.egress[0]', packets: 1, bytes: 100 });
    expect(got.filter((d) => d.policy === 'anp/monitoring')).toEqual([]); // Accepts only (its Deny is on domainNames: no rule)
    expect(got.map((d) => `${d.policy} ${d.direction} ${d.rule}`).sort()).toEqual([
      'banp/default egress spec.egress[0]', 'banp/default ingress spec.ingress[0]', 'cnp/broken ingress spec.ingress[0]', 'cnp/deny-metadata egress spec.egress[0]',
    ]);
    // A rule rendered as several nft rules (two families here) is one series: their counters summed.
    const broken = chains.find((c) => c.policy === 'cnp/broken');
    expect(broken?.rules.length).toBeGreaterThan(1);
    const expected = (broken?.rules ?? []).reduce((n, _r, i) => n + i + 1, 0);
    expect(got.find((d) => d.policy === 'cnp/broken')?.packets).toBe(expected);
  });

  it('a chain whose rules are not the IR\'s (a table read before or after another change) is left out, not guessed; other tables are ignored', () => {
    const other = irOf([['late', { priority: 1, subject: nsSubject(ALL), egress: [deny([networks('203.0.113.0/24')])] }]]).clusterChains ?? [];
    const changed = other.map((c) => (c.policy === 'cnp/deny-metadata' ? { ...c, rules: c.rules.slice(1) } : c));
    const got = clusterRuleDrops(listing(changed), 'nftpol', chains);
    expect(got.filter((d) => d.policy === 'cnp/deny-metadata')).toEqual([]);
    expect(got.filter((d) => d.policy === 'cnp/late')).toEqual([]); // not in the IR read against
    expect(got.filter((d) => d.policy === 'banp/default')).toHaveLength(2);
    // As many rules, the same actions, but not the same rules (a policy's rules edited): left out too.
    const edited = chains.map((c) => (c.policy === 'banp/default' ? { ...c, rules: c.rules.map((r) => ({ ...r, comment: r.comment.replace(/spec\.(\w+)\[0\]/, 'spec.$1[3]') })) } : c));
    expect(clusterRuleDrops(listing(edited), 'nftpol', chains).filter((d) => d.policy === 'banp/default')).toEqual([]);
    expect(clusterRuleDrops(listing(chains, undefined, 'someone-else'), 'nftpol', chains)).toEqual([]);
    expect(() => clusterRuleDrops('{"not": "nft"}', 'nftpol', chains)).toThrow(/nftables/);
  });

  it('a policy whose name is too long for the kernel\'s comment (cut at 127 bytes) is still reported whole, by its IR', () => {
    const name = `guard-${'x'.repeat(200)}`;
    const long = irOf([[name, { priority: 1, subject: nsSubject(ALL), egress: [deny([networks('203.0.113.0/24')], [], 'blackhole')] }]]).clusterChains ?? [];
    const chain = long.find((c) => c.policy === `cnp/${name}`);
    expect(quotedText(chain?.rules[0]?.comment ?? '')).toMatch(/\\~$/);
    expect(clusterRuleDrops(listing(long), 'nftpol', long)).toContainEqual({ policy: `cnp/${name}`, direction: 'egress', rule: 'spec.egress[0]', packets: 1, bytes: 100 });
  });

  it('a policy failing closed as a whole is labeled as such, not by the synthetic rule\'s field (the manifest\'s rule 0 may say anything); a failed rule keeps its own', () => {
    // As src/sources/normalize-cluster-policy.ts makes a policy with errors in itself: one deny-all rule a direction.
    const failed: ClusterPolicy = { ...cnp('bad', { priority: 5, subject: nsSubject(ALL), ingress: [denyAllRule()], egress: [denyAllRule()] }), failClosed: true };
    const closed = irOf([failed]).clusterChains ?? [];
    const got = clusterRuleDrops(listing(closed), 'nftpol', closed);
    expect(got.filter((d) => d.policy === 'cnp/bad').map((d) => `${d.direction} ${d.rule}`).sort()).toEqual([`egress ${FAIL_CLOSED_RULE}`, `ingress ${FAIL_CLOSED_RULE}`]);
    expect(got.find((d) => d.policy === 'cnp/broken')?.rule).toBe('spec.ingress[0]'); // its rule 0 has errors (ClusterRule.failClosed), the policy does not
  });
});

describe('nftpol_cluster_rule_dropped_{packets,bytes}_total', () => {
  it('series per Deny rule, read against the IR the agent applied (setIR); none before it', async () => {
    const ir = irOf();
    const runner: NftRunner = { apply: async () => undefined, check: async () => undefined, read: async () => listing(ir.clusterChains ?? []) };
    const metrics = new AgentMetrics({ drops: { runner, table: 'nftpol', cacheMs: 0 } });
    const lines = async (): Promise<string[]> => (await metrics.text()).split('\n').filter((l) => l.startsWith('nftpol_cluster_rule_dropped_'));
    expect(await lines()).toEqual([]);
    metrics.setIR(countIR(ir), ir);
    const got = await lines();
    expect(got).toContain('nftpol_cluster_rule_dropped_packets_total{policy="cnp/deny-metadata",direction="egress",rule="spec.egress[0]"} 1');
    expect(got).toContain('nftpol_cluster_rule_dropped_bytes_total{policy="cnp/deny-metadata",direction="egress",rule="spec.egress[0]"} 100');
    expect(got).toHaveLength(8);
  });
});
