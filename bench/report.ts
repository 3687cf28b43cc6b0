// policy-explain report on the engine bench's cluster (1,000 workloads in 20
// namespaces of 50, 200 policies): the page of the first 1, 2 and 4
// namespaces (50, 100 and 200 workloads), with the time to build its data
// (connection sets, a traced verdict per pair, policies, lint) and the page,
// and the page's size, beside the size the page had before its pairs were
// encoded compactly (each pair's trace as text in the JSON, and a <td> of
// markup per pair: reconstructed here from the same data). Then the
// 200-workload page compared with the same manifests less a few policies
// (report --against). Last, the 200-workload page under 100 cluster-wide
// policies (bench/compile-tiers.ts's: every tier, action and peer kind),
// where each pair's verdict goes through the tiers and the policy list
// lists each with its rules and selected pods.
//
// With `--baseline REV`: `policy-explain report -f OLD --against NEW` as a
// user runs it (the CLI's main, on manifest files: bench/large-manifests.ts's,
// 200 pods in 4 namespaces, the old side with 160 of the new side's 200
// policies), on REV's code and this tree's, taking turns; the two pages must
// be the same bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../src/cli/explain/program.ts';
import { reportData, type Compared } from '../src/cli/explain/report.ts';
import { escapeHtml, renderReportHtml, scriptJson, type ReportData } from '../src/cli/format/report-html.ts';
import { semanticDiff } from '../src/explain/semantic-diff.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects } from '../src/model/types.ts';
import { exportRevision } from './baseline.ts';
import { type Bench, type BenchOptions, count, median, millis, prng, timed } from './bench.ts';
import { clusterPolicies } from './compile-tiers.ts';
import { buildCluster } from './engine-verdicts.ts';
import { largeManifests } from './large-manifests.ts';

/** The first `n` namespaces of the cluster, with their pods and policies. */
function firstNamespaces(all: ClusterObjects, n: number): ClusterObjects {
  const keep = new Set(all.namespaces.slice(0, n).map((x) => x.name));
  return { ...all, namespaces: all.namespaces.filter((x) => keep.has(x.name)), pods: all.pods.filter((p) => keep.has(p.namespace)), policies: all.policies.filter((p) => keep.has(p.namespace)) };
}

/**
 * The bytes the page's pairs took in the encoding before this one: every
 * pair's verdict, connections, probe and whole trace in the embedded JSON,
 * and one <td> per pair with its class, indexes, verdict and title.
 */
function previousEncodingBytes(data: ReportData): number {
  const cells = data.cells.map((row) => row.map((c) => ({ verdict: c.verdict, connections: c.connections, probe: c.probe, trace: c.trace })));
  let bytes = Buffer.byteLength(scriptJson({ endpoints: data.endpoints, cells }));
  data.cells.forEach((row, i) => row.forEach((c, j) => {
    const title = `${data.endpoints[i]?.id ?? ''} -> ${data.endpoints[j]?.id ?? ''}: ${c.verdict} (${c.connections})`;
    bytes += Buffer.byteLength(`<td class="cell ${c.verdict}" data-from="${i}" data-to="${j}" data-verdict="${c.verdict}" title="${escapeHtml(title)}">✓</td>`);
  }));
  return bytes;
}

const kib = (bytes: number): string => `${count(Math.round(bytes / 1024))} KiB`;

function page(label: string, build: () => ReportData, report: (line: string) => void): void {
  const data = timed(build);
  const html = timed(() => renderReportHtml(data.result));
  const bytes = Buffer.byteLength(html.result);
  const payload = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html.result)?.[1] ?? '';
  const policyList = /<h2>Policies<\/h2>(.*)<h2>Lint findings<\/h2>/s.exec(html.result)?.[1] ?? '';
  const before = timed(() => previousEncodingBytes(data.result));
  report(`${label}: data in ${millis(data.ms)}, page in ${millis(html.ms)}: ${kib(bytes)} (${kib(gzipSync(html.result).length)} gzipped), ` +
    `of which pairs and traces ${kib(Buffer.byteLength(payload))}, policy list ${kib(Buffer.byteLength(policyList))}; before (a trace and a <td> per pair): ${kib(before.result)} for those, written in ${millis(before.ms)}`);
}

function run(report: (line: string) => void): void {
  const all = buildCluster();
  report(`cluster: ${count(all.pods.length)} workloads, ${count(all.namespaces.length)} namespaces, ${count(all.policies.length)} policies`);
  for (const namespaces of [1, 2, 4]) {
    const objects = firstNamespaces(all, namespaces);
    const state = new ClusterState(objects);
    const pairs = state.pods.size * state.pods.size;
    page(`${count(state.pods.size)} workloads (${namespaces} namespace${namespaces === 1 ? '' : 's'}), ${count(pairs)} pairs`, () => reportData(state, objects, null), report);
  }
  const objects = firstNamespaces(all, 4);
  // The old side: every fifth policy missing, so the new side newly allows what those allow.
  const old = { ...objects, policies: objects.policies.filter((_, i) => i % 5 !== 0) };
  const state = new ClusterState(objects);
  const diff = timed(() => semanticDiff(new ClusterState(old), state, { namespace: null }));
  report(`--against: ${count(diff.result.changes.length)} pairs changed (diff in ${millis(diff.ms)})`);
  const compared: Compared = { diff: diff.result, names: { old: 'old', new: 'new' } };
  page(`${count(state.pods.size)} workloads with --against`, () => reportData(state, objects, null, { failClosed: [] }, compared), report);
  const tiered = { ...objects, clusterPolicies: clusterPolicies(prng(1)) };
  const tieredState = new ClusterState(tiered);
  page(`${count(tieredState.pods.size)} workloads under ${count(tiered.clusterPolicies.length)} cluster-wide policies`, () => reportData(tieredState, tiered, null), report);
}

const AGAINST_ROUNDS = 5;

/** `report -f OLD --against NEW` through REV's CLI and this tree's, taking turns (medians), and whether they write the same page. */
async function runBaseline(report: (line: string) => void, rev: string): Promise<void> {
  const r = exportRevision(rev, ['src']);
  const dir = mkdtempSync(join(tmpdir(), 'nftpol-report-bench-'));
  try {
    const size = { namespaces: 4, pods: 200, policies: 200 };
    const [oldSide, newSide] = [join(dir, 'old.yaml'), join(dir, 'new.yaml')];
    // The generator draws each policy in turn: the old side's 160 are the new side's first 160.
    writeFileSync(oldSide, largeManifests({ ...size, policies: 160 }));
    writeFileSync(newSide, largeManifests(size));
    const theirs = await r.load('src/cli/explain/program.ts') as { main: typeof main };
    const runs = [{ label: r.label, main: theirs.main }, { label: 'this tree', main }];
    const pageOf = async (run: (typeof runs)[number]): Promise<string> => {
      let html = '';
      const code = await run.main(['-f', oldSide, 'report', '--against', newSide], { stdout: { write: (t: string) => (html += t) }, stderr: { write: () => true }, stdin: '' });
      if (code !== 0) throw new Error(`${run.label}: report --against exited ${code}`);
      return html;
    };
    const pages = await Promise.all(runs.map(pageOf)); // warm-up, not timed
    const times = runs.map(() => [] as number[]);
    for (let round = 0; round < AGAINST_ROUNDS; round++) {
      for (const k of round % 2 === 0 ? [0, 1] : [1, 0]) {
        const start = process.hrtime.bigint();
        await pageOf(runs[k]!);
        times[k]!.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    report(`report -f OLD --against NEW, ${count(size.pods)} pods in ${size.namespaces} namespaces, ${size.policies} policies (160 on the old side); medians of ${AGAINST_ROUNDS} rounds, taking turns:`);
    for (const [i, x] of runs.entries()) report(`  ${x.label.padEnd(10)} ${millis(median(times[i]!))}`);
    const same = pages[0] === pages[1];
    report(`pages: ${count(Buffer.byteLength(pages[0]!))} and ${count(Buffer.byteLength(pages[1]!))} bytes: ${same ? 'the same' : 'DIFFERENT'}`);
    if (!same) process.exitCode = 1;
  } finally {
    r.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const reportBench: Bench = {
  name: 'report',
  description: 'policy-explain report: the page of 50, 100 and 200 workloads of a 1,000-workload cluster, its size before and after the compact encoding, with --against, and under 100 cluster-wide policies; ' +
    '--baseline REV: report --against through REV\'s CLI and this tree\'s, on manifest files',
  baseline: true,
  run: (report: (line: string) => void, options: BenchOptions): Promise<void> | void =>
    options.baseline === undefined ? run(report) : runBaseline(report, options.baseline),
};

if (import.meta.url === `file://${process.argv[1] ?? ''}`) run((line) => console.log(line));
