// One revocation sweep of the agent (docs/established-connections.md), step by
// step, on a real conntrack table. The cluster is the engine bench's (1,000
// pods on 10 nodes, 200 policies); N established TCP connections, each
// allowed by it and with a pod of node-0 at one end, are inserted into a
// throwaway network namespace's table with `conntrack -R`. Then a change: the
// policies of ns-01 replaced by one denying all ingress, and two of node-0's pods replaced by new
// pods on their addresses. Measured: `conntrack -L` of both families and the
// parse (list), entriesToRevoke for the change (decide; the engine's memos
// cold), and the deletion of the chosen entries with deletionRequest's lines
// (each a walk of the whole table in conntrack 1.4.7).
// Root only: without it, it says so and measures nothing. CT_BENCH_SIZES=1000,10000 for other sizes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { addressOwners, deletionRequest, entriesToRevoke } from '../src/agent/revoke-established.ts';
import { execConntrack } from '../src/dataplane/conntrack.ts';
import { deletionLines } from '../src/dataplane/conntrack-deletion.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects } from '../src/model/types.ts';
import { PolicyEngine } from '../src/policy/engine.ts';
import { podEndpoint } from '../src/policy/endpoint.ts';
import { denyAll, NAME_LABEL, nsPeer, policy, rule, sel } from '../test/generators/cluster-builders.ts';
import { type Bench, count, millis, prng, timed } from './bench.ts';
import { buildCluster } from './engine-verdicts.ts';

const SIZES = (process.env.CT_BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const NODE = 'node-0';

/** `conntrack -I` lines for n established TCP connections the engine allows, each with a pod of NODE at one end. */
function insertLines(engine: PolicyEngine, n: number): string[] {
  const random = prng(7);
  const pods = [...engine.state.participatingPods()];
  const local = pods.filter((p) => p.nodeName === NODE);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const lines: string[] = [];
  for (let i = 0; lines.length < n; i++) {
    const l = pick(local);
    const o = pick(pods);
    const [from, to] = random() < 0.5 ? [l, o] : [o, l];
    const dport = to.ports.length > 0 ? pick(to.ports).port : 80;
    const fromEnd = podEndpoint(from);
    const toEnd = podEndpoint(to);
    if (fromEnd === undefined || toEnd === undefined || from === to || !engine.allows({ from: fromEnd, to: toEnd, protocol: 'TCP', port: dport })) continue;
    const src = from.ips[0] as string;
    const dst = to.ips[0] as string;
    const sport = 1024 + (i % 60_000);
    lines.push(`-I -p tcp -s ${src} -d ${dst} --sport ${sport} --dport ${dport} -r ${dst} -q ${src} --reply-port-src ${dport} --reply-port-dst ${sport} --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 3600`);
  }
  return lines;
}

async function run(report: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    report('needs root (a network namespace and its conntrack table): nothing measured');
    return;
  }
  const objects = buildCluster();
  const before = new PolicyEngine(new ClusterState(objects));
  // Two changes: ns-01's policies give way to one that denies all ingress (or,
  // narrowing, to one that admits only ns-00); either way two pods of node-0
  // are replaced by new ones on their addresses.
  const replaced = new Set(objects.pods.filter((p) => p.nodeName === NODE).slice(0, 2));
  const pods = objects.pods.map((p) => (replaced.has(p) ? { ...p, name: `${p.name}-new`, labels: { app: 'new' } } : p));
  const others = objects.policies.filter((p) => p.namespace !== 'ns-01');
  const changes: Array<[string, ClusterObjects]> = [
    ['deny-all', { ...objects, pods, policies: [...others, denyAll('ns-01/deny-all-ingress', ['Ingress'])] }],
    ['narrow', { ...objects, pods, policies: [...others, policy('ns-01/only-ns-00', { ingress: [rule([nsPeer(sel({ [NAME_LABEL]: 'ns-00' }))])] })] }],
  ];
  const netns = `npct${process.pid}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-ct-bench-'));
  await execa('ip', ['netns', 'add', netns]);
  const inNs = (argv: readonly string[]) => execa('ip', ['netns', 'exec', netns, ...argv], { stdin: 'ignore' });
  const table = execConntrack({ prefix: ['ip', 'netns', 'exec', netns] });
  try {
    for (const [change, after] of changes) for (const n of SIZES) {
      const file = path.join(dir, `insert-${n}`);
      await writeFile(file, `${insertLines(before, n).join('\n')}\n`);
      await inNs(['conntrack', '-F']).catch(() => undefined);
      await inNs(['conntrack', '-R', file]).catch(() => undefined); // a clash of two random tuples is refused, the rest goes in
      const t0 = process.hrtime.bigint();
      const listing = await table.list();
      const listMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const engine = new PolicyEngine(new ClusterState(after));
      const decide = timed(() => entriesToRevoke({ node: NODE, engine, previousOwners: addressOwners(NODE, before.state), entries: listing.entries }));
      const owners = decide.result.filter((r) => r.cause === 'address-owner-changed').length;
      const request = deletionRequest(decide.result, listing.entries);
      const flowLines = deletionLines({ flows: decide.result.filter((r) => r.address === undefined).map((r) => r.entry) }).length;
      report(`${change}, ${count(listing.entries.length)} entries: list ${millis(listMs)}, decide ${millis(decide.ms)}: ${count(decide.result.length)} revoked ` +
        `(${count(decide.result.length - owners)} denied, ${count(owners)} of ${request.addresses?.length ?? 0} replaced addresses)`);
      const lines = deletionLines(request).length;
      const t1 = process.hrtime.bigint();
      const done = await table.delete(request);
      const delMs = Number(process.hrtime.bigint() - t1) / 1e6;
      report(`  delete: ${count(lines)} -D lines (${count(flowLines)} if one per denied flow) deleted ${count(done.deleted)} entries in ${millis(delMs)}, ` +
        `${millis(delMs / Math.max(1, lines))} per line`);
    }
  } finally {
    await execa('ip', ['netns', 'delete', netns]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

export const conntrackSweep: Bench = {
  name: 'conntrack',
  description: 'a revocation sweep on a real conntrack table: list, decide, delete (root)',
  run,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await run((line) => console.log(line));
