// Invariant 1 (kernel = model) on real nftables: fast-check generates
// clusters and policies, the compiler's rulesets go into the nodes of a lab
// world, real TCP and UDP probes cross it, and every kernel verdict must equal
// the policy engine's.
//
// One world for the whole file (built in beforeAll): 2 nodes with their own
// addresses, 9 pod slots with fixed addresses, 2 outside hosts (see
// differential/slots.ts). A run only changes metadata — which slots hold a
// pod, namespaces, labels, container ports, NetworkPolicies, cluster-wide
// policies (every tier, action and peer kind) and node labels — then
// compiles each node's IR, applies it with the Syncer (one nft transaction
// per node), flushes conntrack, and probes a sample of the flows, balanced
// over allowed and denied, same-node, cross-node, outside, and pod to a
// node's address (its own: the input hook; another: forward), v4 and v6.
//
// A failure prints the shrunk counterexample as a PolicyTest, the engine's
// explain trace, and the nodes' nft rules (differential/report.ts); the
// PolicyTest is also written to $TMPDIR/nftpol-differential-<seed>.policytest.yaml.
// While fast-check shrinks, the first disagreeing flow is probed alone in each
// smaller cluster, so the counterexample stays about that flow.
//
//   FC_RUNS=n     number of runs (default 30; `npm run test:kernel:long` runs 500)
//   FC_SEED=s     seed (default fixed); FC_PATH=p replays one counterexample
//                 (then every flow of the cluster is probed, not a sample)
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import { execNftRunner } from '../../src/dataplane/nft-runner.ts';
import { Syncer } from '../../src/dataplane/syncer.ts';
import { commandSysctls } from '../../src/dataplane/bridge-netfilter.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { diffCaseArb, type DiffCase } from './differential/cluster-arb.ts';
import { candidateFlows, sampleFlows, type ProbeFlow } from './differential/flows.ts';
import { buildWorld, cleanupOrphans, describeKernel, type ProbeOptions, type ProbeResult, type World } from './differential/lab.ts';
import { formatCounterexample, policyTestFor, type FailedRun, type Mismatch } from './differential/report.ts';
import { NODE_NAMES, worldSpec, type NodeName } from './differential/slots.ts';

const RUNS = Number(process.env.FC_RUNS ?? 30);
const SEED = Number(process.env.FC_SEED ?? 20261122);
const REPLAY_PATH = process.env.FC_PATH;
/** Flows probed per run (all of them when replaying a path). */
const FLOWS_PER_RUN = 60;
const TEST_FILE = 'test/kernel/differential.test.ts';
/** A run costs about 0.5 s (expected denies wait 0.5 s, unexpected ones 2 s); shrinking a counterexample may take minutes. */
const TIME_LIMIT_MS = 120_000 + RUNS * 8_000;

interface Stats {
  runs: number;
  flows: number;
  allowed: number;
  denied: number;
  byKind: Map<string, { allow: number; deny: number }>;
  policies: number;
  clusterPolicies: number;
  pods: number;
  ms: { compile: number; apply: number; flush: number; probe: number };
}

/** How long a probe the engine expects to be denied waits for an answer: an allowed flow answers within milliseconds. */
const EXPECTED_DENY_TIMEOUT_MS = 500;

/**
 * The kernel's verdict on each flow. Flows the engine denies wait
 * EXPECTED_DENY_TIMEOUT_MS for an answer that would prove them allowed;
 * flows it allows get the lab's full timeout, and a deny among them is
 * probed once more before it stands (it may only be a starved CPU).
 */
async function probe(world: World, flows: readonly ProbeFlow[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array<ProbeResult>(flows.length);
  const allowed = flows.flatMap((f, i) => (f.allowed ? [i] : []));
  const denied = flows.flatMap((f, i) => (f.allowed ? [] : [i]));
  const round = async (idx: readonly number[], options: ProbeOptions): Promise<void> => {
    if (idx.length === 0) return;
    const got = await world.probeAll(idx.map((i) => (flows[i] as ProbeFlow).lab), options);
    idx.forEach((i, k) => (results[i] = got[k] as ProbeResult));
  };
  await Promise.all([round(allowed, { retries: 0 }), round(denied, { retries: 0, timeoutMs: EXPECTED_DENY_TIMEOUT_MS })]);
  await round(allowed.filter((i) => results[i]?.verdict === 'deny'), { retries: 0 });
  return results;
}

await describeKernel('kernel = model on generated clusters (differential)', () => {
  let world: World;
  const syncers = new Map<NodeName, Syncer>();

  beforeAll(async () => {
    await cleanupOrphans();
    world = await buildWorld(worldSpec());
    const flush = await world.inNode(NODE_NAMES[0], ['conntrack', '-F'], { reject: false }).catch((e: unknown) => ({ exitCode: -1, stderr: String(e) }));
    if (flush.exitCode !== 0) {
      throw new Error(`\`conntrack -F\` does not work in a node netns (${flush.stderr.trim()}): this test needs conntrack (conntrack-tools) to forget each run's connections`);
    }
    for (const node of NODE_NAMES) {
      // One attempt: a script nft refuses is a finding, not something to retry.
      syncers.set(node, new Syncer({ runner: execNftRunner({ prefix: world.nodeCommandPrefix(node) }), attempts: 1, bridge: commandSysctls(world.nodeCommandPrefix(node)) }));
    }
  });

  afterAll(async () => {
    await world?.destroy();
  });

  it(`agrees with the engine on every probed flow (${RUNS} runs, seed ${SEED})`, async () => {
    // A flow that disagreed is probed again (and alone) while fast-check
    // shrinks, so the shrunk cluster keeps the disagreement in view.
    const sticky = new Set<string>();
    let firstFailure = '';
    const failures = new Map<DiffCase, FailedRun>();
    let lastFailure: FailedRun | undefined;
    const stats: Stats = {
      runs: 0, flows: 0, allowed: 0, denied: 0, byKind: new Map(), policies: 0, clusterPolicies: 0, pods: 0,
      ms: { compile: 0, apply: 0, flush: 0, probe: 0 },
    };
    let failedOnce = false;
    const shrinking = (): boolean => failedOnce;

    // fast-check's shrinker often produces a case whose cluster and flows are
    // the same as one already tried (it shrinks the drafts of empty slots too):
    // the verdict is known then, without a kernel round.
    const tried = new Map<string, FailedRun | undefined>();

    const check = async (c: DiffCase): Promise<boolean> => {
      let t = performance.now();
      const lap = (k: keyof Stats['ms']): void => {
        const now = performance.now();
        if (!shrinking()) stats.ms[k] += now - t;
        t = now;
      };
      const engine = new PolicyEngine(new ClusterState(c.objects));
      const irs = new Map<string, NodeIR>(NODE_NAMES.map((n) => [n, compileNode(engine, n)]));
      const candidates = candidateFlows(engine);
      const again = candidates.filter((f) => sticky.has(f.key));
      const flows: ProbeFlow[] = again.length > 0 ? again
        : REPLAY_PATH !== undefined ? candidates
        : sampleFlows(candidates, c.sampleSeed, FLOWS_PER_RUN);
      lap('compile');
      const key = `${JSON.stringify(c.objects)}\n${flows.map((f) => f.key).join('\n')}`;
      if (tried.has(key)) {
        const known = tried.get(key);
        if (known) failures.set(c, known);
        return known === undefined;
      }
      const fail = (f: Omit<FailedRun, 'objects' | 'irs'>): false => {
        failedOnce = true;
        const run: FailedRun = { objects: c.objects, irs, ...f };
        failures.set(c, run);
        tried.set(key, run);
        lastFailure = run;
        return false;
      };

      const applied = await Promise.all(NODE_NAMES.map(async (n) => [n, await (syncers.get(n) as Syncer).sync(irs.get(n) as NodeIR)] as const));
      for (const [node, r] of applied) {
        if (r.error === undefined) continue;
        const through = candidates.find((f) => f.nodes.includes(node));
        return fail({ mismatches: [], applyError: { node, error: r.error }, ...(through ? { flowThroughNode: through } : {}) });
      }
      lap('apply');
      await Promise.all(NODE_NAMES.map((n) => world.inNode(n, ['conntrack', '-F'])));
      lap('flush');
      const verdicts = await probe(world, flows);
      lap('probe');

      const mismatches: Mismatch[] = [];
      verdicts.forEach((r, i) => {
        const p = flows[i] as ProbeFlow;
        if ((r.verdict === 'allow') !== p.allowed) mismatches.push({ probe: p, kernel: r.verdict, reason: r.reason });
      });
      if (!shrinking()) {
        stats.runs++;
        stats.pods += c.objects.pods.length;
        stats.policies += c.objects.policies.length;
        stats.clusterPolicies += c.objects.clusterPolicies?.length ?? 0;
        for (const f of flows) {
          stats.flows++;
          if (f.allowed) stats.allowed++;
          else stats.denied++;
          const k = `${f.kind} v${f.family} ${f.lab.protocol}`;
          const s = stats.byKind.get(k) ?? { allow: 0, deny: 0 };
          s[f.allowed ? 'allow' : 'deny']++;
          stats.byKind.set(k, s);
        }
      }
      if (mismatches.length === 0) {
        tried.set(key, undefined);
        return true;
      }
      if (!shrinking()) firstFailure = `the first failing run had ${mismatches.length} of ${flows.length} probed flows disagreeing; `;
      // One flow is followed through the shrinking (the first that disagreed), so
      // the counterexample ends up about that one flow.
      if (!mismatches.some((m) => sticky.has(m.probe.key))) sticky.add((mismatches[0] as Mismatch).probe.key);
      return fail({ mismatches });
    };

    const started = performance.now();
    const details = await fc.check(fc.asyncProperty(diffCaseArb(), check), {
      numRuns: RUNS,
      seed: SEED,
      ...(REPLAY_PATH !== undefined ? { path: REPLAY_PATH } : {}),
      interruptAfterTimeLimit: TIME_LIMIT_MS,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);

    const avg = (ms: number): string => (stats.runs === 0 ? '-' : `${Math.round(ms / stats.runs)} ms`);
    console.log(
      `[differential] ${stats.runs} runs in ${seconds} s (world built in ${world.timings.networkMs + world.timings.serversMs} ms): ` +
        `${stats.flows} flows probed (${stats.allowed} allowed, ${stats.denied} denied), ` +
        `${(stats.pods / Math.max(1, stats.runs)).toFixed(1)} pods, ${(stats.policies / Math.max(1, stats.runs)).toFixed(1)} policies and ` +
        `${(stats.clusterPolicies / Math.max(1, stats.runs)).toFixed(1)} cluster policies per run; ` +
        `pod to node: ${[...stats.byKind].filter(([k]) => k.includes('node ') && k.startsWith('pod-to')).map(([k, v]) => `${k} ${v.allow}/${v.deny}`).join(', ')} (allowed/denied); ` +
        `per run: compile ${avg(stats.ms.compile)}, apply ${avg(stats.ms.apply)}, conntrack flush ${avg(stats.ms.flush)}, probes ${avg(stats.ms.probe)}`,
    );

    if (details.failed) {
      const counterexample = details.counterexample?.[0];
      const run = (counterexample !== undefined ? failures.get(counterexample) : undefined) ?? lastFailure;
      if (!run) expect.fail(`property failed without a recorded run: ${String(details.errorInstance)}`);
      const replay = { seed: details.seed, path: details.counterexamplePath ?? undefined, numRuns: details.numRuns, testFile: TEST_FILE };
      const file = path.join(tmpdir(), `nftpol-differential-${details.seed}.policytest.yaml`);
      await writeFile(file, policyTestFor(run, replay));
      expect.fail(`${formatCounterexample(run, replay)}\n\n(PolicyTest also written to ${file}; ${firstFailure}` +
        `shrunk in ${details.numShrinks} steps${details.interrupted ? ', interrupted by the time limit' : ''})`);
    }
    expect(details.interrupted ? `interrupted after ${details.numRuns} of ${RUNS} runs (time limit ${TIME_LIMIT_MS} ms)` : 'complete').toBe('complete');
    if (REPLAY_PATH === undefined && RUNS >= 30) {
      // The generator must keep the sample interesting: every kind of flow, allowed and denied.
      const kinds = new Set([...stats.byKind].flatMap(([k, s]) => [...(s.allow > 0 ? [`${k} allow`] : []), ...(s.deny > 0 ? [`${k} deny`] : [])]));
      const want = [
        ...['same-node', 'cross-node', 'pod-to-outside', 'outside-to-pod'].flatMap((kind) =>
          ['v4', 'v6'].flatMap((fam) => ['TCP', 'UDP'].flatMap((proto) => ['allow', 'deny'].map((v) => `${kind} ${fam} ${proto} ${v}`)))),
        // Cluster policies must deny a pod its own node sometimes (input hook), and another node's address (forward).
        ...['pod-to-own-node', 'pod-to-node'].flatMap((kind) => ['allow', 'deny'].map((v) => `${kind} v4 TCP ${v}`)),
      ];
      expect(want.filter((w) => !kinds.has(w))).toEqual([]);
    }
  }, TIME_LIMIT_MS + 120_000);
});
