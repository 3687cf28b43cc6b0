// One small delta through the nft command and through libnftables
// (in-process, one long-lived context), on a node's table of our shape:
// node-000 of generated-cluster.ts at 1k and 10k pods (110 pods per node,
// 100 / 1k policies), the delta a local pod added (and removed again: its
// map elements, pod chains and peer set elements), as the Syncer renders it.
// Each backend runs in a child under `ip netns exec` in its own throwaway
// namespace (libnftables acts in its caller's namespace), applies the whole
// table, then 100 deltas alternating add and remove, each timed in the child
// (for libnftables, also 100 through a new context each: what the long-lived
// context saves);
// median and p99 (nearest rank) are printed, with the first whole-table apply
// and the per-pod drop counters' read (`-j -t list table` + parse, what a
// metrics scrape costs, beside `-j list table` with the sets' elements). Root, nft and libnftables1 needed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { compileNode } from '../src/compile/compile-node.ts';
import { diffIR } from '../src/compile/diff-ir.ts';
import type { NodeIR } from '../src/compile/ir.ts';
import type { NftBackend } from '../src/dataplane/nft-backend.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects, Pod } from '../src/model/types.ts';
import { renderDelta, tableObjects } from '../src/nft/render-delta.ts';
import { renderReplaceScript } from '../src/nft/render-table.ts';
import { PolicyEngine } from '../src/policy/engine.ts';
import { type Bench, count, median, millis } from './bench.ts';
import { generateCluster, nodeName } from './generated-cluster.ts';

const SIZES = [{ label: '1k', pods: 1_000, policies: 100 }, { label: '10k', pods: 10_000, policies: 1_000 }] as const;
const RUNS = 100;
const NODE = nodeName(0);
const CHILD = path.join(import.meta.dirname, 'nft-backend-child.ts');
const BACKENDS: readonly NftBackend[] = ['nft', 'libnftables'];

interface ChildFigures { backend: NftBackend; fullMs: number; deltaMs: number[]; freshMs: number[]; terseListMs: number[]; listMs: number[]; pods: number }

/** A copy of node-000's first pod under a new name and address (host .250 is never generated). */
function withAddedPod(objects: ClusterObjects): ClusterObjects {
  const model = objects.pods.find((p) => p.nodeName === NODE) as Pod;
  const ip = (model.ips[0] as string).replace(/\.\d+$/, '.250');
  return { ...objects, pods: [...objects.pods, { ...model, name: `${model.name}-added`, ips: [ip] }] };
}

const compileFor = (objects: ClusterObjects): NodeIR => compileNode(new PolicyEngine(new ClusterState(objects)), NODE);

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

async function inThrowawayNetns(jobFile: string): Promise<ChildFigures> {
  const name = `nftpolbench${process.pid}x${randomBytes(3).toString('hex')}`;
  const add = await execa('ip', ['netns', 'add', name], { reject: false });
  if (add.exitCode !== 0) throw new Error(`ip netns add failed: ${String(add.stderr).trim()}`);
  try {
    return await new Promise<ChildFigures>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, CHILD, jobFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildFigures) : reject(new Error(`child exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
    });
  } finally {
    await execa('ip', ['netns', 'del', name], { reject: false });
  }
}

async function run(report: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    report('SKIPPED: not root (network namespaces and nft need root)');
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'nftpol-bench-backend-'));
  const rows: string[] = [];
  try {
    for (const size of SIZES) {
      const objects = generateCluster(size.pods, size.policies);
      const irA = compileFor(objects);
      const irB = compileFor(withAddedPod(objects));
      const [a, b] = [tableObjects(irA), tableObjects(irB)];
      const full = renderReplaceScript(irA);
      const forward = renderDelta(diffIR(a, b));
      const back = renderDelta(diffIR(b, a));
      report(`${size.label} pods, ${count(size.policies)} policies: ${NODE}'s table ${count(Buffer.byteLength(full))} bytes; `
        + `delta add ${count(Buffer.byteLength(forward))} bytes, remove ${count(Buffer.byteLength(back))} bytes`);
      for (const backend of BACKENDS) {
        const jobFile = path.join(dir, `${size.label}-${backend}.json`);
        await writeFile(jobFile, JSON.stringify({ backend, full, forward, back, runs: RUNS, freshContext: backend === 'libnftables' }));
        try {
          const f = await inThrowawayNetns(jobFile);
          const line = [size.label, backend, millis(median(f.deltaMs)), millis(percentile(f.deltaMs, 99)), millis(f.fullMs), millis(median(f.terseListMs)), millis(median(f.listMs))];
          rows.push(line.join(' | '));
          report(`  ${backend.padEnd(11)} delta median ${millis(median(f.deltaMs))}, p99 ${millis(percentile(f.deltaMs, 99))} (${RUNS} applies); `
            + `whole table ${millis(f.fullMs)}; drop counters (${f.pods} pod chains) read ${millis(median(f.terseListMs))} with -t, ${millis(median(f.listMs))} without`);
          if (f.freshMs.length > 0) {
            rows.push([size.label, 'libnftables, a new context per apply', millis(median(f.freshMs)), millis(percentile(f.freshMs, 99)), '', '', ''].join(' | '));
            report(`  libnftables with a new context per apply: delta median ${millis(median(f.freshMs))}, p99 ${millis(percentile(f.freshMs, 99))}`);
          }
        } catch (err) {
          report(`  ${backend}: FAILED ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (rows.length > 0) {
    report('');
    report('pods | backend | delta median | delta p99 | whole table | drop counters: -j -t list + parse | -j list + parse');
    for (const r of rows) report(r);
  }
}

export const nftBackendBench: Bench = {
  name: 'nft-backend',
  description: 'one small delta (a pod added / removed) at 1k/10k pods: the nft command vs libnftables in-process, median and p99 of 100 applies',
  run,
};
