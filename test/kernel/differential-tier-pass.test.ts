// A fixed case beside the generated ones (differential.test.ts): an Admin
// Pass of a pod that NetworkPolicy isolates, on the lab's two nodes, with more
// Admin policies on the node than the kernel's 16 levels of chain nesting.
// A Pass goes to admin-out-pass, which both the forward base chain and the
// input one (a pod to its own node) reach: NetworkPolicy's dispatch there must
// run on the forward hook only, so the pod still reaches its own node while
// NetworkPolicy denies it everything else. The generated clusters did not
// catch a pass chain that dispatched on both hooks; this case does. Every
// probe-able flow of the pods must get the engine's verdict.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import { commandSysctls } from '../../src/dataplane/bridge-netfilter.ts';
import { execNftRunner } from '../../src/dataplane/nft-runner.ts';
import { Syncer } from '../../src/dataplane/syncer.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, Pod } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { ALL, denyAll, ns, sel } from '../generators/cluster-builders.ts';
import { cnp, deny, networks, nsSubject, pass } from '../generators/cluster-policies.ts';
import { candidateFlows } from './differential/flows.ts';
import { buildWorld, cleanupOrphans, describeKernel, type World } from './differential/lab.ts';
import { NODE_LAYOUT, NODE_NAMES, SLOTS, worldSpec } from './differential/slots.ts';

/** The pod in slot i (slot 0 and 2 are on node-1, 1 on node-2), IPv4. */
function slotPod(i: number, labels: Record<string, string>): Pod {
  const slot = SLOTS[i];
  if (!slot) throw new Error(`no slot ${i}`);
  return { namespace: 'x', name: `pod-${i}`, kind: 'Pod', labels, ips: [slot.v4], nodeName: slot.node, hostNetwork: false, phase: 'Running', ports: [] };
}

const ADMIN_FILLERS = 20;

const OBJECTS: ClusterObjects = {
  namespaces: [ns('x')],
  nodes: NODE_LAYOUT.map((n) => ({ name: n.name, addresses: [n.v4, n.v6], podCIDRs: [n.podCIDR, n.podCIDRv6] })),
  pods: [slotPod(0, { app: 'locked' }), slotPod(1, { app: 'peer' }), slotPod(2, { app: 'open' })],
  // x/pod-0 is isolated both ways and allowed nothing.
  policies: [denyAll('x/lock', ['Ingress', 'Egress'], sel({ app: 'locked' }))],
  clusterPolicies: [
    // Admin policies that never match the lab's traffic, in front: the node has more than 16 in each direction.
    ...Array.from({ length: ADMIN_FILLERS }, (_, i) => cnp(`filler-${i}`, {
      priority: i, subject: nsSubject(ALL), egress: [deny([networks(`100.64.${i}.0/24`)])], ingress: [deny([networks(`100.64.${i}.0/24`)])],
    })),
    // Everything passes the Admin tier: NetworkPolicy decides (and the own node stays reachable).
    cnp('pass-all', { priority: 100, subject: nsSubject(ALL), egress: [pass([networks('0.0.0.0/0')])], ingress: [pass([networks('0.0.0.0/0')])] }),
  ],
};

await describeKernel('kernel: an Admin Pass on the forward and the own-node hooks (fixed case)', () => {
  let world: World;

  beforeAll(async () => {
    await cleanupOrphans();
    world = await buildWorld(worldSpec());
  });

  afterAll(async () => {
    await world?.destroy();
  });

  it('the isolated pod reaches its own node after the Pass and nothing else; every flow gets the engine verdict', async () => {
    const engine = new PolicyEngine(new ClusterState(OBJECTS));
    for (const node of NODE_NAMES) {
      const syncer = new Syncer({ runner: execNftRunner({ prefix: world.nodeCommandPrefix(node) }), attempts: 1, bridge: commandSysctls(world.nodeCommandPrefix(node)) });
      const ir = compileNode(engine, node);
      expect(ir.tiers?.egress.admin.length).toBeGreaterThan(16);
      const r = await syncer.sync(ir);
      expect(r.error, `${node}: the table loads`).toBeUndefined();
    }
    await Promise.all(NODE_NAMES.map((n) => world.inNode(n, ['conntrack', '-F'])));
    const flows = candidateFlows(engine).filter((f) => f.lab.protocol === 'TCP' && (f.lab.port === 80 || f.lab.port === 53));
    const locked = SLOTS[0]?.id;
    // The case must hold both sides: the locked pod to its own node allowed (input hook), to another node denied (forward).
    expect(flows.filter((f) => f.lab.from === locked && f.kind === 'pod-to-own-node').map((f) => f.allowed)).toContain(true);
    expect(flows.filter((f) => f.lab.from === locked && f.kind === 'pod-to-node').map((f) => f.allowed)).toContain(false);
    const got = await world.probeAll(flows.map((f) => f.lab), { retries: 1 });
    const disagree = flows.flatMap((f, i) => ((got[i]?.verdict === 'allow') === f.allowed ? [] : [`${f.kind} ${f.key}: engine ${f.allowed ? 'allow' : 'deny'}, kernel ${got[i]?.verdict}`]));
    expect(disagree).toEqual([]);
  }, 120_000);
});
