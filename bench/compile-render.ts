// What one node's table costs to build and load, at 1k, 10k and 50k pods
// (generated-cluster.ts: 110 pods per node, 100 / 1k / 5k policies):
//  - compile: compileNode for one node, with a fresh PolicyEngine per run (an
//    agent starting up), and again on the same engine (its memo filled);
//  - render: renderReplaceScript, and the script's size;
//  - what the table holds (countIR);
//  - nft, in a throwaway node netns from the kernel lab: `nft -c` with no table
//    loaded, `nft -f` of the fresh table, `nft -f` again (the atomic replace of
//    a loaded table, as start-up and repair do), `nft -c` with the table loaded;
//    next to a no-op `nft list tables` (the cost of spawning nft in a netns).
// And the cluster-wide cost at 10k pods: compiling every node's table (a fresh
// engine per node, as each node's agent has its own).
// Work is capped so the whole bench stays under ~5 minutes; what is cut is printed.
import { compileNode } from '../src/compile/compile-node.ts';
import { execNftRunner, type NftRunner } from '../src/dataplane/nft-runner.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import { renderReplaceScript } from '../src/nft/render-table.ts';
import { PolicyEngine } from '../src/policy/engine.ts';
import { buildWorld, kernelPrerequisites, type World } from '../src/lab/index.ts';
import { type Bench, count, median, millis, timed } from './bench.ts';
import { countIR } from './count-ir.ts';
import { generateCluster, nodeName } from './generated-cluster.ts';

interface Size {
  readonly label: string;
  readonly pods: number;
  readonly policies: number;
  /** Compile/render runs for the median (each compile run builds a fresh engine). */
  readonly runs: number;
  readonly allNodes?: boolean;
}

const SIZES: readonly Size[] = [
  { label: '1k', pods: 1_000, policies: 100, runs: 5 },
  { label: '10k', pods: 10_000, policies: 1_000, runs: 3, allNodes: true },
  { label: '50k', pods: 50_000, policies: 5_000, runs: 1 },
];
/** An nft call slower than this is killed and reported as such. */
const NFT_TIMEOUT_S = 90;
/** The all-nodes compile stops here and extrapolates the rest. */
const ALL_NODES_BUDGET_MS = 90_000;

/** Median ms of `runs` calls, and the last result. */
function medianOf<T>(runs: number, fn: () => T): { ms: number; spread: string; result: T } {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t = timed(fn);
    times.push(t.ms);
    result = t.result;
  }
  const spread = runs > 1 ? ` (median of ${runs}, ${millis(Math.min(...times))}..${millis(Math.max(...times))})` : ' (1 run)';
  return { ms: median(times), spread, result };
}

async function nftTime(step: () => Promise<unknown>): Promise<number | string> {
  const t0 = performance.now();
  try {
    await step();
    return performance.now() - t0;
  } catch (e) {
    return `failed after ${millis(performance.now() - t0)}: ${(e as Error).message.slice(0, 200)}`;
  }
}
const show = (x: number | string | undefined): string => (x === undefined ? 'skipped' : typeof x === 'number' ? millis(x) : x);

interface Row {
  label: string;
  compileMs: number;
  renderMs: number;
  bytes: number;
  elements: number;
  nft?: Record<'checkEmpty' | 'fresh' | 'replace' | 'checkLoaded', number | string>;
}

async function measureSize(size: Size, nft: NftRunner | undefined, report: (line: string) => void): Promise<Row> {
  const gen = timed(() => generateCluster(size.pods, size.policies));
  const objects = gen.result;
  const built = timed(() => new ClusterState(objects));
  const state = built.result;
  report(`${size.label} pods: ${count(objects.pods.length)} pods, ${count(objects.policies.length)} policies, ${objects.namespaces.length} namespaces, `
    + `${objects.nodes.length} nodes (generated in ${millis(gen.ms)}, ClusterState in ${millis(built.ms)})`);

  const node = nodeName(0);
  let engine = new PolicyEngine(state);
  const cold = medianOf(size.runs, () => compileNode((engine = new PolicyEngine(state)), node));
  const warm = medianOf(size.runs, () => compileNode(engine, node));
  const ir = cold.result;
  const c = countIR(ir);
  report(`  ${node}: ${c.pods} pods (isolated: ${c.isolatedIngress} ingress, ${c.isolatedEgress} egress), ${c.policyChains} policy chains, `
    + `${count(c.rules)} rules, ${count(c.jumps)} jumps, ${count(c.sets)} sets, ${count(c.setElements)} set elements `
    + `(${count(c.addressElements)} address, ${count(c.prefixElements)} prefix, ${count(c.addressPortElements)} address.port); `
    + `${count(c.distinctSets)} sets with distinct contents, holding ${count(c.distinctSetElements)} elements`);
  report(`  compile, fresh engine: ${millis(cold.ms)}${cold.spread}; same engine again: ${millis(warm.ms)}${warm.spread}`);
  const render = medianOf(size.runs, () => renderReplaceScript(ir));
  const script = render.result;
  const bytes = Buffer.byteLength(script);
  report(`  render: ${millis(render.ms)}${render.spread}; script ${count(bytes)} bytes, ${count(script.split('\n').length)} lines`);
  const row: Row = { label: size.label, compileMs: cold.ms, renderMs: render.ms, bytes, elements: c.setElements };

  if (nft) {
    // Order matters: check with no table, load it fresh, replace it, check against it.
    const checkEmpty = await nftTime(() => nft.check(script));
    const fresh = await nftTime(() => nft.apply(script));
    const replace = await nftTime(() => nft.apply(script));
    const checkLoaded = await nftTime(() => nft.check(script));
    await nftTime(() => nft.apply('delete table inet nftpol\n'));
    row.nft = { checkEmpty, fresh, replace, checkLoaded };
    report(`  nft -c (no table): ${show(checkEmpty)}; nft -f fresh: ${show(fresh)}; nft -f replace: ${show(replace)}; nft -c (table loaded): ${show(checkLoaded)}`);
  }

  if (size.allNodes) {
    // Cluster-wide: every node's agent compiles its own table with its own engine.
    const per: number[] = [];
    let elements = 0;
    const t0 = performance.now();
    for (const n of objects.nodes) {
      if (performance.now() - t0 > ALL_NODES_BUDGET_MS) break;
      const t = timed(() => compileNode(new PolicyEngine(state), n.name));
      per.push(t.ms);
      elements += countIR(t.result).setElements;
    }
    const total = per.reduce((a, b) => a + b, 0);
    const skipped = objects.nodes.length - per.length;
    report(`  all ${objects.nodes.length} nodes compiled: ${millis(total)} total, per node median ${millis(median(per))}, max ${millis(Math.max(...per))}; `
      + `${count(elements)} set elements over all tables`
      + (skipped > 0 ? ` — SKIPPED ${skipped} nodes (budget ${millis(ALL_NODES_BUDGET_MS)}); extrapolated total ${millis((total / per.length) * objects.nodes.length)}` : ''));
  }
  return row;
}

async function run(report: (line: string) => void): Promise<void> {
  const missing = await kernelPrerequisites();
  let world: World | undefined;
  try {
    let nft: NftRunner | undefined;
    if (missing.length > 0) {
      report(`nft timings SKIPPED (kernel lab prerequisites missing: ${missing.join(', ')})`);
    } else {
      world = await buildWorld({ nodes: [{ name: 'n1', podCIDR: '10.244.1.0/24' }], pods: [] });
      nft = execNftRunner({ prefix: ['timeout', String(NFT_TIMEOUT_S), ...world.nodeCommandPrefix('n1')] });
      const spawn = await nftTime(() => nft!.read(['list', 'tables']));
      report(`nft runs in a throwaway node netns; a no-op \`nft list tables\` there takes ${show(spawn)} (spawn cost, in every figure below)`);
    }
    const rows: Row[] = [];
    for (const size of SIZES) rows.push(await measureSize(size, nft, report));

    report('');
    report('pods | compile 1 node | render | script bytes | set elements | nft -c (empty) | nft -f fresh | nft -f replace | nft -c (loaded)');
    for (const r of rows) {
      report([r.label, millis(r.compileMs), millis(r.renderMs), count(r.bytes), count(r.elements),
        show(r.nft?.checkEmpty), show(r.nft?.fresh), show(r.nft?.replace), show(r.nft?.checkLoaded)].join(' | '));
    }
  } finally {
    await world?.destroy();
  }
}

export const compileRender: Bench = {
  name: 'compile-render',
  description: 'one node\'s table at 1k/10k/50k pods: compile, render, size, nft -f/-c in a netns; all nodes compiled at 10k',
  run,
};
