// What the agent's kubernetes source costs per change, without the API server
// and without nft: the cluster of agent-sync (large-manifests.ts) fed to a
// KubernetesSource as watch events (each object normalized already, as the
// watch layer hands them over), then, per change (a pod relabelled):
//  - read: KubernetesSource.read() after the event (assemble the maps into
//    ClusterObjects): what every burst pays before compiling;
//  - re-read unchanged: read() when no event came (the cached state);
//  - compile: compileForNode of one node, without placement, as the agent does
//    for this source.
// Medians of a few runs; nothing is asserted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '../src/agent/clock.ts';
import { FileSource } from '../src/agent/file-source.ts';
import { KubernetesSource } from '../src/agent/kubernetes-source.ts';
import { compileForNode } from '../src/compile/compile-for-node.ts';
import { countIR } from '../src/agent/node-ir.ts';
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
  description: 'agent kubernetes source per change: one pod event then read (assemble), re-read unchanged, compile one node',
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
        const first = objects.pods[0];
        if (first === undefined) throw new Error('no pods');
        let rv = 1;
        const read = await medianMs(size.runs, async () => {
          rv++;
          emit({ type: 'modified', resource: 'pods', key: podKey(first), object: { type: 'pod', value: { ...first, labels: { ...first.labels, bench: String(rv) } } }, problems: [], resourceVersion: String(rv) });
          const r = await source.read();
          if (r.kind !== 'state') throw new Error('refused');
        });
        const reread = await medianMs(size.runs, () => source.read());
        const state = await source.read();
        if (state.kind !== 'state') throw new Error('refused');
        let ir = compileForNode(state.snapshot.objects, 'node-0', { place: false });
        const compile = await medianMs(size.runs, async () => {
          ir = compileForNode(state.snapshot.objects, 'node-0', { place: false });
        });
        if (!ir.ok) throw new Error(`unknown node node-0; the input knows ${ir.known.join(', ')}`);
        const c = countIR(ir.ir);
        report(`${size.label} (node-0: ${count(c.localPods)} local pods, ${count(c.chains)} chains, ${count(c.elements)} set elements): `
          + `pod event + read ${millis(read)}, re-read unchanged ${millis(reread)}, compile ${millis(compile)}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  },
};
