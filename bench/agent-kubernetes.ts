// What the agent's kubernetes source costs per change, without the API server
// and without nft: the cluster of agent-sync (large-manifests.ts) fed to a
// KubernetesSource as watch events (each object normalized already, as the
// watch layer hands them over), then, per change (a pod relabelled):
//  - before: what the agent did per change up to 2670a10: read() assembled
//    the whole state, compileForNode compiled the node afresh, the whole table
//    was rendered and read back and diffed with the one in force;
//  - now: read() lists the objects changed, CompiledNode applies them to the
//    node's compiler, and only the parts of the table that changed are
//    rendered before the same diff;
//  - a read with no event since (the cached state).
// Both paths in one run, on the same cluster and change; medians; nothing is asserted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '../src/agent/clock.ts';
import { FileSource } from '../src/agent/file-source.ts';
import { KubernetesSource } from '../src/agent/kubernetes-source.ts';
import { compileForNode } from '../src/compile/compile-for-node.ts';
import { countIR } from '../src/agent/node-ir.ts';
import { CompiledNode } from '../src/agent/compiled-node.ts';
import { diffIR } from '../src/compile/diff-ir.ts';
import { parseTableBody, renderDelta, tableObjects } from '../src/nft/render-delta.ts';
import { renderTableBody } from '../src/nft/render-table.ts';
import type { ClusterEvent } from '../src/k8s/watch-cluster.ts';
import type { ClusterObjects } from '../src/model/types.ts';
import { podKey } from '../src/model/types.ts';
import { type Bench, count, medianMs, millis } from './bench.ts';
import { AGENT_BENCH_SIZES } from './agent-sync.ts';
import { largeManifests } from './large-manifests.ts';


/** The objects as a watch's initial lists, then synced. */
function initialEvents(o: ClusterObjects): ClusterEvent[] {
  const rv = '1';
  return [
    ...o.namespaces.map((value): ClusterEvent => ({ type: 'added', resource: 'namespaces', key: value.name, object: { type: 'namespace', value }, problems: [], resourceVersion: rv })),
    ...o.pods.map((value): ClusterEvent => ({ type: 'added', resource: 'pods', key: podKey(value), object: { type: 'pod', value }, problems: [], resourceVersion: rv })),
    ...o.policies.map((value): ClusterEvent => ({ type: 'added', resource: 'networkpolicies', key: `${value.namespace}/${value.name}`, object: { type: 'policy', value }, problems: [], resourceVersion: rv })),
    ...o.nodes.map((value): ClusterEvent => ({ type: 'added', resource: 'nodes', key: value.name, object: { type: 'node', value }, problems: [], resourceVersion: rv })),
    ...(['namespaces', 'pods', 'networkpolicies', 'nodes'] as const).map((resource): ClusterEvent => ({ type: 'listed', resource, resourceVersion: rv, initial: true, count: 0 })),
    { type: 'synced', resourceVersions: { namespaces: rv, pods: rv, networkpolicies: rv, nodes: rv } },
  ];
}

export const agentKubernetes: Bench = {
  name: 'agent-kubernetes',
  description: 'agent kubernetes source per change, nft not included: one pod event to its delta script, the per-change path before incremental compilation beside now',
  async run(report) {
    for (const size of AGENT_BENCH_SIZES) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-bench-agent-k8s-'));
      try {
        await writeFile(path.join(dir, 'cluster.yaml'), largeManifests(size));
        const loaded = await new FileSource({ dir, rescanIntervalMs: 0, clock: systemClock }).read();
        if (loaded.kind !== 'state') throw new Error(`bench cluster refused: ${loaded.problems[0]?.message ?? ''}`);
        const objects = loaded.snapshot.objects;
        let emit: (e: ClusterEvent) => void = () => undefined;
        const source = new KubernetesSource({
          kubeConfig: new KubeConfig(), location: 'bench',
          startWatch: (onEvent) => {
            emit = onEvent;
            return { synced: Promise.resolve(), isSynced: () => true, resourceVersions: () => ({ namespaces: '', pods: '', networkpolicies: '', nodes: '' }), stop: async () => {} };
          },
        });
        await source.start(() => undefined);
        for (const e of initialEvents(objects)) emit(e);
        // One of node-0's pods, its labels taken away and given back: a change the node's table sees.
        const first = objects.pods.find((p) => p.nodeName === 'node-0') ?? objects.pods[0];
        if (first === undefined) throw new Error('no pods');
        let rv = 1;
        const relabel = (): void => {
          rv++;
          emit({ type: 'modified', resource: 'pods', key: podKey(first), object: { type: 'pod', value: { ...first, labels: rv % 2 === 0 ? first.labels : {} } }, problems: [], resourceVersion: String(rv) });
        };
        const readState = async () => {
          const r = await source.read();
          if (r.kind !== 'state') throw new Error('refused');
          return r;
        };
        const reread = await medianMs(size.runs, () => source.read());
        // Before (up to 2670a10): every change assembled the whole state, compiled the
        // node afresh, rendered the whole table and read it back, then diffed it.
        const startRead = await readState();
        let beforeIR = compileForNode(startRead.snapshot.objects, 'node-0', { place: false });
        if (!beforeIR.ok) throw new Error(`unknown node node-0; the input knows ${beforeIR.known.join(', ')}`);
        let beforeTable = parseTableBody(renderTableBody(beforeIR.ir));
        const before = await medianMs(size.runs, async () => {
          relabel();
          const r = await readState();
          const ir = compileForNode(r.snapshot.objects, 'node-0', { place: false });
          if (!ir.ok) throw new Error('unknown node');
          const table = parseTableBody(renderTableBody(ir.ir));
          renderDelta(diffIR(beforeTable, table));
          beforeIR = ir;
          beforeTable = table;
        });
        // Now: the read lists what changed, the node's compiler applies it, only the changed parts are rendered.
        const compiled = new CompiledNode('node-0', { place: false });
        const first0 = compiled.advance((await readState()).snapshot);
        if (!first0.ok) throw new Error('unknown node');
        let nowTable = tableObjects(first0.ir);
        let bytes = 0;
        const now = await medianMs(size.runs * 4, async () => {
          relabel();
          const r = await readState();
          const moved = compiled.advance(r.snapshot, r.changes);
          if (!moved.ok) throw new Error('unknown node');
          const table = tableObjects(moved.ir);
          bytes = Math.max(bytes, renderDelta(diffIR(nowTable, table)).length);
          nowTable = table;
        });
        const c = countIR(beforeIR.ir);
        report(`${size.label} (node-0: ${count(c.localPods)} local pods, ${count(c.chains)} chains, ${count(c.elements)} set elements): `
          + `one of its pods relabelled, from the watch event to the delta script (up to ${count(bytes)} bytes), nft not included: `
          + `before (assemble, compile afresh, render and read the whole table) ${millis(before)}, now (the changes, applied) ${millis(now)}; `
          + `a read with no event since ${millis(reread)}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  },
};
