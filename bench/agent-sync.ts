// What the agent's file source costs per event, without nft (the apply's cost
// is measured by compile-render, `nft -f` in a netns): for a folder of
// block-style manifests (large-manifests.ts) at two sizes,
//  - read: FileSource.read() of a changed folder (read every file, digest,
//    parse, validate, assemble, place pods): paid on every burst of events;
//  - re-read: the same read when nothing changed (what each --rescan-interval
//    costs in steady state: the folder is read to know that);
//  - compile: compileForNode of one node (a fresh engine, as each sync has);
//  - render: the replace script the Syncer applies.
// Medians of a few runs; nothing is asserted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../src/agent/clock.ts';
import { FileSource } from '../src/agent/file-source.ts';
import { compileForNode } from '../src/compile/compile-for-node.ts';
import { countIR } from '../src/agent/node-ir.ts';
import { renderReplaceScript } from '../src/nft/render-table.ts';
import { type Bench, count, medianMs, millis } from './bench.ts';
import { largeManifests, type LargeManifestSize } from './large-manifests.ts';

/** Cluster sizes both agent benches (files and kubernetes sources) measure. */
export const AGENT_BENCH_SIZES: readonly (LargeManifestSize & { label: string; runs: number })[] = [
  { label: '2k pods, 200 policies', namespaces: 20, pods: 2_000, policies: 200, runs: 5 },
  { label: '20k pods, 1k policies', namespaces: 100, pods: 20_000, policies: 1_000, runs: 3 },
];

export const agentSync: Bench = {
  name: 'agent-sync',
  description: 'agent file source per event: read+validate a folder, re-read unchanged, compile one node, render',
  async run(report) {
    for (const size of AGENT_BENCH_SIZES) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-bench-agent-'));
      try {
        const text = largeManifests(size);
        await writeFile(path.join(dir, 'cluster.yaml'), text);
        let n = 0;
        // Each changed read sees new bytes (a comment), so the revision moves as on a real edit.
        const read = await medianMs(size.runs, async () => {
          await writeFile(path.join(dir, 'edit.yaml'), `# edit ${n++}\napiVersion: v1\nkind: Namespace\nmetadata: {name: bench-edit}\n`);
          return new FileSource({ dir, rescanIntervalMs: 0, clock: systemClock }).read();
        });
        const source = new FileSource({ dir, rescanIntervalMs: 0, clock: systemClock });
        const first = await source.read();
        if (first.kind !== 'state') throw new Error(`bench folder refused: ${first.problems[0]?.message ?? ''}`);
        const reread = await medianMs(size.runs, () => source.read());
        const objects = first.snapshot.objects;
        let ir = compileForNode(objects, 'node-0');
        const compile = await medianMs(size.runs, async () => {
          ir = compileForNode(objects, 'node-0');
        });
        if (!ir.ok) throw new Error(`unknown node node-0; the input knows ${ir.known.join(', ')}`);
        const built = ir.ir;
        let bytes = 0;
        const render = await medianMs(size.runs, async () => {
          bytes = renderReplaceScript(built).length;
        });
        const c = countIR(built);
        report(`${size.label} (${(text.length / 1e6).toFixed(1)} MB of YAML; node-0: ${count(c.localPods)} local pods, ${count(c.chains)} chains, ${count(c.rules)} rules, ${count(c.elements)} set elements): `
          + `read ${millis(read)}, re-read unchanged ${millis(reread)}, compile ${millis(compile)}, render ${millis(render)} (${count(bytes)} bytes)`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  },
};
