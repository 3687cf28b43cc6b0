// The lab the conntrack kernel tests stand on: a lab world, node n1's table
// applied by the Syncer from compileForNode (first the given state), n1's
// conntrack table, and long-lived peers (socket-peer processes) stopped at
// the end. Call it inside the suite: it registers the suite's beforeAll and
// afterAll; world and conntrack are there once beforeAll has run.
import { afterAll, beforeAll, expect } from 'vitest';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import { execConntrack, type ConntrackTable } from '../../src/dataplane/conntrack.ts';
import { execNftRunner } from '../../src/dataplane/nft-runner.ts';
import { Syncer } from '../../src/dataplane/syncer.ts';
import { buildWorld, cleanupOrphans, type World, type WorldSpec } from '../../src/lab/index.ts';
import type { ClusterObjects } from '../../src/model/types.ts';
import { Peer, type PeerConfig } from './long-lived-peer.ts';

export interface ConntrackLab {
  readonly world: World;
  readonly conntrack: ConntrackTable;
  /** Starts a long-lived peer in a pod's (or node's) network namespace. */
  readonly start: (id: string, config: PeerConfig) => Promise<Peer>;
  /** Compiles the state for n1 and syncs its table (a delta after the first). */
  readonly apply: (o: ClusterObjects) => Promise<void>;
}

export function conntrackLab(spec: WorldSpec, first: ClusterObjects): ConntrackLab {
  let world: World | undefined;
  let syncer: Syncer | undefined;
  let conntrack: ConntrackTable | undefined;
  const peers: Peer[] = [];
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the conntrack lab is not built yet (its beforeAll has not run)');
    return v;
  };
  const lab: ConntrackLab = {
    get world() { return ready(world); },
    get conntrack() { return ready(conntrack); },
    start: async (id, config) => {
      const p = await Peer.start(ready(world), id, config);
      peers.push(p);
      return p;
    },
    apply: async (o) => {
      const compiled = compileForNode(o, 'n1', { place: false });
      if (!compiled.ok) throw new Error('n1 unknown');
      const res = await ready(syncer).sync(compiled.ir);
      expect(res.error).toBeUndefined();
    },
  };
  beforeAll(async () => {
    await cleanupOrphans();
    world = await buildWorld(spec);
    const prefix = world.nodeCommandPrefix('n1');
    syncer = new Syncer({ runner: execNftRunner({ prefix }), deltas: true, bridge: false, attempts: 1 });
    conntrack = execConntrack({ prefix });
    await lab.apply(first);
  }, 60_000);
  afterAll(async () => {
    for (const p of peers) p.stop();
    await world?.destroy();
  });
  return lab;
}
