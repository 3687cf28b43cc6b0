// What a scrape of the drop metrics costs the agent beyond listing the table
// (docs/agent.md, "Drops by cluster-wide policy"): node-000's table of the
// generated cluster (1k and 10k pods) without and with 100 cluster-wide
// policies, loaded into a throwaway network namespace; then, medians of 5:
//  - the listing as the agent takes it (`nft -j -t list table`);
//  - reading it: its rules (one JSON parse), the pods' drop counters, and
//    the cluster rules' (clusterRuleDrops against the IR), so before (the
//    pods' only) and after (both) side by side in one run.
import { clusterRuleDrops } from '../src/agent/cluster-rule-drops.ts';
import { listedRules, podDropCounters } from '../src/agent/drop-counters.ts';
import { compileNode } from '../src/compile/compile-node.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import { renderReplaceScript } from '../src/nft/render-table.ts';
import { PolicyEngine } from '../src/policy/engine.ts';
import { type Bench, count, median, medianMs, millis, timed } from './bench.ts';
import { throwawayNetns } from './delta.ts';
import { generateCluster, nodeName, withClusterPolicies } from './generated-cluster.ts';

const RUNS = 5;
const SIZES = [{ label: '1k', pods: 1_000, policies: 100 }, { label: '10k', pods: 10_000, policies: 1_000 }] as const;
const NODE = nodeName(0);
const TABLE = 'nftpol';

const medianOf = (fn: () => unknown): number => median(Array.from({ length: RUNS }, () => timed(fn).ms));

async function run(report: (line: string) => void): Promise<void> {
  const ns = await throwawayNetns();
  if (typeof ns === 'string') {
    report(`SKIPPED (${ns}): the table is listed from the kernel`);
    return;
  }
  try {
    for (const size of SIZES) {
      for (const clusterPolicies of [0, 100]) {
        const ir = compileNode(new PolicyEngine(new ClusterState(withClusterPolicies(generateCluster(size.pods, size.policies), clusterPolicies))), NODE);
        await ns.nft.apply(renderReplaceScript(ir));
        let listing = '';
        const listMs = await medianMs(RUNS, async () => void (listing = await ns.nft.read(['-j', '-t', 'list', 'table', 'inet', TABLE])));
        const chains = ir.clusterChains ?? [];
        const rules = listedRules(listing, TABLE);
        const series = clusterRuleDrops(rules, TABLE, chains).length;
        const parseMs = medianOf(() => listedRules(listing, TABLE));
        const podsMs = medianOf(() => podDropCounters(rules, TABLE));
        const clusterMs = medianOf(() => clusterRuleDrops(rules, TABLE, chains));
        report(`${size.label} pods, ${count(clusterPolicies)} cluster-wide policies: listing ${count(Buffer.byteLength(listing))} bytes, ${count(rules.length)} rules, in ${millis(listMs)}; `
          + `read: parse ${millis(parseMs)}, pods' counters ${millis(podsMs)} (before: ${millis(parseMs + podsMs)}), `
          + `cluster rules' ${millis(clusterMs)} for ${count(series)} Deny rule series (after: ${millis(parseMs + podsMs + clusterMs)})`);
      }
    }
  } finally {
    await ns.destroy();
  }
}

export const dropMetricsBench: Bench = {
  name: 'drop-metrics',
  description: 'a scrape of the drop metrics: node-000\'s table listed (nft -j -t) and read, pods\' counters and cluster Deny rules\' (1k/10k pods, 0/100 cluster-wide policies; root)',
  run,
};
