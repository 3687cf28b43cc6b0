// What 100 cluster-wide policies cost a node's table, beside the same
// cluster without them (generated-cluster.ts at 1k and 10k pods; node-000):
//  - compile: compileNode with a fresh engine; render: the full script and its size;
//  - what the table holds (chains, rules, sets, set elements);
//  - deltas as the agent makes them (NodeCompiler.apply, then the delta
//    script from the previous IR): a cluster policy changed (one rule's
//    port), a cluster policy added, a local pod added, a namespace relabelled;
//    time and bytes of each, beside the same events on the plain cluster.
// Pure computation, no kernel: `nft -f` of a delta costs what the delta
// bench (bench/delta.ts) measures for scripts of that size.
import { compileNode } from '../src/compile/compile-node.ts';
import type { NodeIR } from '../src/compile/ir.ts';
import { NodeCompiler } from '../src/compile/node-compiler.ts';
import type { ClusterChange } from '../src/model/cluster-change.ts';
import { ClusterState } from '../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterPolicy, ClusterRule, Pod } from '../src/model/types.ts';
import { clusterPolicyKey } from '../src/model/types.ts';
import { renderDeltaScript } from '../src/nft/render-delta.ts';
import { renderReplaceScript } from '../src/nft/render-table.ts';
import { PolicyEngine } from '../src/policy/engine.ts';
import { ALL, sel } from '../test/generators/cluster-builders.ts';
import {
  accept, anp, banp, cnp, deny, namedPort, networks, nodesPeer, nsPeerOf, nsSubject, pass, podsPeerOf, podsSubject, portOf,
} from '../test/generators/cluster-policies.ts';
import { type Bench, count, median, millis, prng, timed } from './bench.ts';
import { countIR } from './count-ir.ts';
import { generateCluster, nodeName } from './generated-cluster.ts';

const CLUSTER_POLICIES = 100;
const RUNS = 3;
const SIZES = [{ label: '1k', pods: 1_000, policies: 100 }, { label: '10k', pods: 10_000, policies: 1_000 }] as const;
const NODE = nodeName(0);

/** 100 cluster-wide policies over generated-cluster's labels (team t0..t9, env, tier), every tier, action and peer kind. */
export function clusterPolicies(random: () => number): ClusterPolicy[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const team = (): ReturnType<typeof sel> => sel({ team: `t${Math.floor(random() * 10)}` });
  const tier = (): ReturnType<typeof sel> => sel({ tier: pick(['web', 'api', 'db', 'cache', 'worker']) });
  const ports = (): ClusterRule['ports'] => pick([[], [portOf('TCP', 80)], [portOf('TCP', 8000, 9000)], [namedPort('http')], [portOf('UDP', 53), portOf('TCP', 53)]]);
  const ingress = (): ClusterRule => pick([accept, deny, pass])([pick([nsPeerOf(team()), podsPeerOf(team(), tier())])], ports());
  const egress = (): ClusterRule => {
    const peer = pick([nsPeerOf(team()), podsPeerOf(ALL, tier()), networks('10.128.0.0/9'), networks('169.254.169.254/32'), nodesPeer(ALL)]);
    return pick([accept, deny, pass])([peer], peer.kind === 'networks' || peer.kind === 'nodes' ? pick([[], [portOf('TCP', 443)]]) : ports());
  };
  const rules = (make: () => ClusterRule): ClusterRule[] => Array.from({ length: 1 + Math.floor(random() * 4) }, make);
  const out: ClusterPolicy[] = [];
  for (let i = 0; i < CLUSTER_POLICIES - 1; i++) {
    const o = { priority: Math.floor(random() * 1000), subject: pick([nsSubject(team()), podsSubject(team(), tier()), nsSubject(ALL)]), ingress: rules(ingress), egress: rules(egress) };
    out.push(i % 3 === 0 ? anp(`anp-${i}`, o) : cnp(`cnp-${i}`, { ...o, tier: i % 3 === 1 ? 'Admin' : 'Baseline' }));
  }
  out.push(banp({ subject: nsSubject(ALL), ingress: [deny([nsPeerOf(ALL)], [portOf('TCP', 22)])], egress: [deny([networks('10.0.0.0/8')], [portOf('TCP', 22)])] }));
  return out;
}

interface EventCost { readonly ms: number; readonly bytes: number }

/** Median time of NodeCompiler.apply + the delta script from the IR before, and the delta's size. */
function eventCost(objects: ClusterObjects, change: ClusterChange): EventCost {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(objects)), NODE);
    const before: NodeIR = compiler.ir();
    renderDeltaScript(undefined, before); // the table in force, already read (as the Syncer holds it)
    const t = timed(() => {
      compiler.apply(change);
      return renderDeltaScript(before, compiler.ir());
    });
    times.push(t.ms);
    bytes = t.result.length;
  }
  return { ms: median(times), bytes };
}

function localPod(objects: ClusterObjects): Pod {
  const model = objects.pods.find((p) => p.nodeName === NODE && p.labels.tier === 'web') as Pod;
  return { ...model, name: `${model.name}-new`, ips: ['10.128.0.250'] };
}

export const compileTiers: Bench = {
  name: 'compile-tiers',
  description: 'a node\'s table and deltas with 100 cluster-wide policies beside the same cluster without (1k and 10k pods)',
  run(report) {
    for (const size of SIZES) {
      const plain = generateCluster(size.pods, size.policies);
      const cps = clusterPolicies(prng(11));
      const tiered: ClusterObjects = { ...plain, clusterPolicies: cps };
      report(`${size.label} pods, ${size.policies} NetworkPolicies; with tiers: + ${cps.length} cluster-wide policies (node ${NODE})`);
      for (const [label, objects] of [['without', plain], ['with', tiered]] as const) {
        const compiles: number[] = [];
        let ir!: NodeIR;
        for (let i = 0; i < RUNS; i++) {
          const t = timed(() => compileNode(new PolicyEngine(new ClusterState(objects)), NODE));
          compiles.push(t.ms);
          ir = t.result;
        }
        const render = timed(() => renderReplaceScript(ir));
        const c = countIR(ir);
        const clusterRules = (ir.clusterChains ?? []).reduce((n, ch) => n + ch.rules.length, 0);
        report(`  ${label} tiers: compile ${millis(median(compiles))} (median of ${RUNS}), render ${millis(render.ms)}, script ${count(render.result.length)} bytes; ` +
          `${JSON.stringify(c)}; cluster chains ${ir.clusterChains?.length ?? 0} with ${count(clusterRules)} rules`);
      }
      const changed = cps[1] as ClusterPolicy;
      const edited: ClusterPolicy = { ...changed, egress: changed.egress.map((r, i) => (i === 0 ? { ...r, ports: [portOf('TCP', 8443)] } : r)) };
      const added = cnp('bench-added', { priority: 3, subject: nsSubject(ALL), egress: [deny([networks('169.254.169.254/32')])] });
      const pod = localPod(plain);
      const events: [string, ClusterChange, boolean][] = [
        ['cluster policy changed (one rule)', { kind: 'clusterPolicy', key: clusterPolicyKey(edited), clusterPolicy: edited }, false],
        ['cluster policy added (first of its tier, selects every pod)', { kind: 'clusterPolicy', key: clusterPolicyKey(added), clusterPolicy: added }, false],
        ['local pod added', { kind: 'pod', key: `${pod.namespace}/${pod.name}`, pod }, true],
        ['namespace relabelled (team)', { kind: 'namespace', name: 'ns-0001', namespace: { name: 'ns-0001', labels: { 'kubernetes.io/metadata.name': 'ns-0001', team: 't7', env: 'staging' } } }, true],
      ];
      for (const [what, change, both] of events) {
        const w = eventCost(tiered, change);
        const p = both ? eventCost(plain, change) : undefined;
        report(`  ${what}: apply + delta ${millis(w.ms)}, ${count(w.bytes)} bytes` + (p ? ` (without tiers: ${millis(p.ms)}, ${count(p.bytes)} bytes)` : ''));
      }
    }
  },
};

if (import.meta.url === `file://${process.argv[1]}`) await compileTiers.run((l) => console.log(l), {});
