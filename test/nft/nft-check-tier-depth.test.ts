// A tier of hundreds of cluster-wide policies against the real nft. The
// kernel refuses a table whose chains nest more than 16 deep (jump and goto
// both count: "Could not process rule: Too many links"): a
// layout that chains a tier's policies one after another fails at 16 Admin
// policies selecting pods on one node in one direction. The tier chain must
// keep nesting bounded whatever the number of policies: 300 per tier here,
// Admin and Baseline, both directions, every action (Pass included), dual
// stack, a NetworkPolicy-isolated pod beside an open one (so an Admin Pass
// reaches NetworkPolicy's pod chains, the deepest path). The table is checked
// (`nft -c`) and then loaded: on some kernels (6.18 here) `nft -c` does not
// walk the jump graph, only the commit does. Root only, in a throwaway
// network namespace; skipped elsewhere with the reason.
import { expect, it } from 'vitest';
import type { ClusterPolicy } from '../../src/model/types.ts';
import { ALL, denyAll, node, pod, podPeer, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';
import { accept, cnp, deny, networks, nsPeerOf, nsSubject, pass, portOf } from '../generators/cluster-policies.ts';
import { describeNft, useThrowawayNetns } from '../support/root.ts';
import { compile, NODE } from '../compile/helpers.ts';

const PER_TIER = 300;

/** Policy i of a tier: Pass, then Deny, then Accept rules in both directions, each on its own networks. */
function tierPolicy(tier: 'Admin' | 'Baseline', i: number): ClusterPolicy {
  const net = (k: number): string => `10.${64 + k}.${i >> 8}.${i & 255}/32`;
  const net6 = (k: number): string => `fd0${k}::${i.toString(16)}/128`;
  return cnp(`${tier.toLowerCase()}-${i}`, {
    tier, priority: i, subject: nsSubject(ALL),
    ingress: [pass([networks(net(0), net6(0))]), deny([networks(net(1), net6(1))], [portOf('TCP', 80)]), accept([nsPeerOf(sel({ team: `t${i}` }))])],
    egress: [pass([networks(net(2), net6(2))], [portOf('UDP', 53)]), deny([networks(net(3), net6(3))]), accept([networks(net(4), net6(4))])],
  });
}

await describeNft(`a tier of ${PER_TIER} cluster-wide policies loads into the kernel`, () => {
  const netns = useThrowawayNetns();

  it(`${PER_TIER} Admin and ${PER_TIER} Baseline policies, both directions, with Pass: nft -c accepts the node's table and the kernel loads it`, async () => {
    const { ir, script } = compile({
      pods: [
        pod('x/isolated', { app: 'db' }, { node: NODE, ips: ['10.244.1.2', 'fd00:1::2'] }),
        pod('x/open', { app: 'web' }, { node: NODE, ips: ['10.244.1.3', 'fd00:1::3'] }),
      ],
      policies: [denyAll('x/deny', ['Ingress', 'Egress'], sel({ app: 'db' })), policy('x/allow', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel())], [tcp(5432)])] })],
      clusterPolicies: [...Array.from({ length: PER_TIER }, (_, i) => tierPolicy('Admin', i)), ...Array.from({ length: PER_TIER }, (_, i) => tierPolicy('Baseline', i))],
      nodes: [node(NODE, ['192.168.0.1', 'fd00:ffff::1'], ['10.244.1.0/24', 'fd00:1::/64'])],
    });
    // Every policy is on the node, in both tiers and directions.
    for (const d of ['ingress', 'egress'] as const) {
      expect(ir.tiers?.[d].admin).toHaveLength(PER_TIER);
      expect(ir.tiers?.[d].baseline).toHaveLength(PER_TIER);
    }
    await netns().nft.check(script);
    await netns().nft.apply(script);
  }, 120_000);
});
