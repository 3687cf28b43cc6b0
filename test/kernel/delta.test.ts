// Deltas on the real kernel: for random pairs of cluster states A and B, the
// table built for A with the full script and then moved by the delta script
// to B equals, object for object, the table built for B from scratch
// (`nft -j list table`, with handles dropped and sets, maps, chains and
// elements sorted; rule order within a chain kept, it is the semantics).
// B is mostly a small change of A (the events an agent sees: a pod added,
// removed, relabelled, moved; a policy added, changed, removed, failing
// closed; a namespace relabelled; a cluster-wide policy added, changed,
// removed, reprioritised; a node relabelled; a host-network pod coming or
// going), sometimes an unrelated cluster, so both
// small deltas and near-rebuilds are checked; and sometimes the delta starts
// from no table at all (an agent's first sync). And the Syncer with deltas on
// a walk of several events, its table checked after each.
// Root only, in a throwaway network namespace (no bridges, no traffic): CI
// must run it, elsewhere it is skipped with the reason. Fixed seed (FC_SEED for another); FC_RUNS
// for more runs.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import { NodeCompiler } from '../../src/compile/node-compiler.ts';
import { changesBetween } from '../../src/model/cluster-change.ts';
import { Syncer } from '../../src/dataplane/syncer.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import { renderDeltaScript } from '../../src/nft/render-delta.ts';
import { renderDeleteScript, renderReplaceScript, type TableName } from '../../src/nft/render-table.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterA, mutated } from '../generators/cluster-mutations.ts';
import { clusterWithPoliciesA, mutatedWithClusterPolicies } from '../generators/cluster-policies.ts';
import { denyAll, node as nodeOf, pod, podPeer, policy, rule, sel, tcp, World } from '../generators/cluster-builders.ts';
import { normalizeNftJson as normalizeListing } from '../support/nft-listing.ts';
import { describeNft, useThrowawayNetns } from '../support/root.ts';

const RUNS = Number(process.env.FC_RUNS ?? 25);
const SEED = Number(process.env.FC_SEED ?? 20261202);
const TABLE: TableName = { family: 'inet', name: 'nftpol_delta' };

/**
 * A pair (A, B): B a few events after A, or (one time in five) another
 * cluster altogether; and whether the delta starts from no table. Half the
 * pairs have cluster-wide policies and their events.
 */
const pairArb = fc.boolean().chain((withCluster) => {
  const start = withCluster ? clusterWithPoliciesA : clusterA;
  const events = withCluster ? mutatedWithClusterPolicies : mutated;
  return start.chain((a) => fc.record({
    a: fc.constant(a),
    b: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }).chain((n) => events(a, n)) }, { weight: 1, arbitrary: start }),
    fromNothing: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  }));
});

const compileAll = (o: ClusterObjects): Map<string, NodeIR> => {
  const engine = new PolicyEngine(new ClusterState(o));
  return new Map(o.nodes.map((n) => [n.name, compileNode(engine, n.name)]));
};

await describeNft('deltas on the real kernel: full(A) then delta(A→B) equals full(B)', () => {
  const netns = useThrowawayNetns();

  async function apply(what: string, script: string): Promise<void> {
    try {
      await netns().nft.apply(script);
    } catch (err) {
      throw new Error(`${what} refused: ${(err as Error).message}\n--- script ---\n${script}`, { cause: err });
    }
  }
  const listing = async (): Promise<string[]> => normalizeListing(await netns().nft.read(['-j', 'list', 'table', TABLE.family, TABLE.name]));

  it(`random pairs of clusters, every node (${RUNS} runs, seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(pairArb, async ({ a, b, fromNothing }) => {
      const irsA = compileAll(a);
      const irsB = compileAll(b);
      for (const [node, irB] of irsB) {
        const irA = irsA.get(node) as NodeIR;
        await apply('full script of B', renderReplaceScript(irB, TABLE));
        const expected = await listing();
        if (fromNothing) await apply('table delete', renderDeleteScript(TABLE));
        else await apply('full script of A', renderReplaceScript(irA, TABLE));
        const delta = renderDeltaScript(fromNothing ? undefined : irA, irB, TABLE);
        if (delta !== '') await apply('delta script A→B', delta);
        expect(await listing(), `node ${node}, delta:\n${delta}`).toEqual(expected);
      }
    }), { numRuns: RUNS, seed: SEED });
  }, 30_000 + RUNS * 1_000);

  const WALKS = Math.max(4, Math.round(RUNS / 2));
  it(`the agent's path on walks of 4 events: the incremental compiler, the Syncer's deltas; node-0's table equals a fresh build after each (${WALKS} walks)`, async () => {
    // Half the walks with cluster-wide policies and their events.
    const walkArb = fc.boolean().chain((withCluster) => {
      const events = withCluster ? mutatedWithClusterPolicies : mutated;
      return (withCluster ? clusterWithPoliciesA : clusterA).chain((a) => fc.tuple(fc.constant(a), events(a, 1)).chain(([a0, a1]) =>
        events(a1, 1).chain((a2) => events(a2, 1).chain((a3) => events(a3, 1).map((a4) => [a0, a1, a2, a3, a4])))));
    });
    await fc.assert(fc.asyncProperty(walkArb, async (walk) => {
      const syncer = new Syncer({ runner: netns().nft, table: TABLE, deltas: true, bridge: false, attempts: 1 });
      await apply('table delete', renderDeleteScript(TABLE));
      // As the agent does: one compiler moved by each step's changes (its sets patched, not rebuilt).
      const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(walk[0] as ClusterObjects)), 'node-0');
      for (const [step, objects] of walk.entries()) {
        if (step > 0) for (const c of changesBetween(walk[step - 1] as ClusterObjects, objects)) compiler.apply(c);
        const res = await syncer.sync(compiler.ir());
        expect(res.error, `step ${step}`).toBeUndefined();
        if (step > 0 && res.applied) expect(res.script).toBe('delta');
        const got = await listing();
        await apply('full script', renderReplaceScript(compileAll(objects).get('node-0') as NodeIR, TABLE));
        expect(got, `step ${step}`).toEqual(await listing());
      }
    }), { numRuns: WALKS, seed: SEED });
  }, 30_000 + WALKS * 3_000);

  it('hostile names: a pod added and a policy starting to fail closed, as a delta', async () => {
    const evil = 'evil" } ; flush ruleset ; jump @x #\nx';
    const spec = (extra: boolean, failing: boolean): PolicyEngine => new World({
      pods: [
        pod(`${evil}/a`, { app: 'a' }, { node: evil, ips: ['10.244.1.2'] }),
        ...(extra ? [pod(`${evil}/c`, { app: 'a' }, { node: evil, ips: ['10.244.1.4', 'fd00::4'] })] : []),
      ],
      policies: [
        failing ? { ...denyAll(`${evil}/p`, ['Ingress']), failClosed: true as const } : policy(`${evil}/p`, { ingress: [rule([podPeer(sel({ app: 'a' }))], [tcp(80)])] }),
      ],
      nodes: [nodeOf(evil, ['192.168.0.1'], ['10.244.1.0/24'])],
    }).engine;
    const a = compileNode(spec(false, false), evil);
    const b = compileNode(spec(true, true), evil);
    await apply('full script of B', renderReplaceScript(b, TABLE));
    const expected = await listing();
    await apply('full script of A', renderReplaceScript(a, TABLE));
    await apply('delta script A→B', renderDeltaScript(a, b, TABLE));
    expect(await listing()).toEqual(expected);
  });
});
