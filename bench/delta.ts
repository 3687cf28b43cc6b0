// What a pod added costs as a delta, beside replacing the whole table, at 1k
// and 10k pods (generated-cluster.ts: 110 pods per node, 100 / 1k policies),
// for node-000's table:
//  - a local pod added (a copy of one of node-000's pods, new address): its
//    dispatch map elements, its pod chains, and the peer sets it joins;
//  - a remote pod added (a copy of a node-001 pod): only peer set elements;
// each: compile of the new IR; the delta as the Syncer makes it, the table in
// force already read (tableObjects of the new IR, diffIR, renderDelta; median
// of 5 after a warm-up run); the delta script's size
// next to the full script's, and `nft -f` of the delta on the loaded table
// next to `nft -f` of the full replace, in a throwaway netns (root and nft).
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { compileNode } from '../src/compile/compile-node.ts';
import { diffIR } from '../src/compile/diff-ir.ts';
import type { NodeIR } from '../src/compile/ir.ts';
import { execNftRunner, type NftRunner } from '../src/dataplane/nft-runner.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects, Pod } from '../src/model/types.ts';
import { renderDelta, tableObjects } from '../src/nft/render-delta.ts';
import { renderReplaceScript } from '../src/nft/render-table.ts';
import { PolicyEngine } from '../src/policy/engine.ts';
import { type Bench, count, median, millis, timed } from './bench.ts';
import { generateCluster, nodeName } from './generated-cluster.ts';

const SIZES = [{ label: '1k', pods: 1_000, policies: 100 }, { label: '10k', pods: 10_000, policies: 1_000 }] as const;
/** nft -f runs per figure (the median is printed); the table is set back to A before each. */
const NFT_RUNS = 5;
const NODE = nodeName(0);

/** A copy of the first pod of `node`, under a new name and address (host 250 of the node's /24 is never generated). */
function addedPod(objects: ClusterObjects, node: string): ClusterObjects {
  const model = objects.pods.find((p) => p.nodeName === node) as Pod;
  const ip = (model.ips[0] as string).replace(/\.\d+$/, '.250');
  return { ...objects, pods: [...objects.pods, { ...model, name: `${model.name}-added`, ips: [ip] }] };
}

const compileFor = (objects: ClusterObjects): NodeIR => compileNode(new PolicyEngine(new ClusterState(objects)), NODE);

async function nftMs(nft: NftRunner, before: string, step: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < NFT_RUNS; i++) {
    await nft.apply(before);
    const t0 = performance.now();
    await nft.apply(step);
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function throwawayNetns(): Promise<{ nft: NftRunner; destroy: () => Promise<void> } | string> {
  if (process.getuid?.() !== 0) return 'not root';
  const name = `nftpolbench${process.pid}x${randomBytes(3).toString('hex')}`;
  const add = await execa('ip', ['netns', 'add', name], { reject: false });
  if (add.exitCode !== 0) return `ip netns add failed: ${String(add.stderr).trim()}`;
  return { nft: execNftRunner({ prefix: ['ip', 'netns', 'exec', name] }), destroy: async () => void (await execa('ip', ['netns', 'del', name], { reject: false })) };
}

async function run(report: (line: string) => void): Promise<void> {
  const ns = await throwawayNetns();
  if (typeof ns === 'string') report(`nft timings SKIPPED (${ns})`);
  const nft = typeof ns === 'string' ? undefined : ns.nft;
  try {
    const rows: string[] = [];
    for (const size of SIZES) {
      const objects = generateCluster(size.pods, size.policies);
      const irA = compileFor(objects);
      const full = renderReplaceScript(irA);
      const objectsA = tableObjects(irA);
      report(`${size.label} pods, ${count(size.policies)} policies: ${NODE}'s full script ${count(Buffer.byteLength(full))} bytes`);
      for (const [what, from] of [['local pod added', NODE], ['remote pod added', nodeName(1)]] as const) {
        const compiled = timed(() => compileFor(addedPod(objects, from)));
        const irB = compiled.result;
        const makeDelta = (): string => renderDelta(diffIR(objectsA, tableObjects(irB)));
        makeDelta();
        const runs = Array.from({ length: NFT_RUNS }, () => timed(makeDelta));
        const delta = { ms: median(runs.map((r) => r.ms)), result: (runs[0] as { result: string }).result };
        const replaceB = renderReplaceScript(irB);
        const bytes = Buffer.byteLength(delta.result);
        let nftFigures = 'nft skipped';
        if (nft) {
          const deltaMs = await nftMs(nft, full, delta.result);
          const replaceMs = await nftMs(nft, full, replaceB);
          nftFigures = `nft -f delta ${millis(deltaMs)}, nft -f replace ${millis(replaceMs)} (median of ${NFT_RUNS})`;
          rows.push([size.label, what, count(bytes), count(Buffer.byteLength(replaceB)), millis(delta.ms), millis(deltaMs), millis(replaceMs)].join(' | '));
        }
        report(`  ${what}: compile ${millis(compiled.ms)}; read + diff + render the delta ${millis(delta.ms)}; delta ${count(bytes)} bytes, `
          + `${delta.result.split('\n').length - 1} lines; ${nftFigures}`);
      }
      if (nft) await nft.apply('add table inet nftpol\ndelete table inet nftpol\n');
    }
    if (rows.length > 0) {
      report('');
      report('pods | change | delta bytes | full script bytes | read + diff + render delta | nft -f delta | nft -f replace');
      for (const r of rows) report(r);
    }
  } finally {
    if (typeof ns !== 'string') await ns.destroy();
  }
}

export const deltaBench: Bench = {
  name: 'delta',
  description: 'a pod added at 1k/10k pods: delta script size and nft -f time beside the whole-table replace',
  run,
};
