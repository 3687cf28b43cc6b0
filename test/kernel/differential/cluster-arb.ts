// fast-check arbitraries for the kernel differential test: clusters that fit
// the fixed lab world (slots.ts). Pods sit in slots (fixed node, fixed
// addresses); what varies is which slots hold a pod, the pod's namespace,
// labels, address families and named container ports, and the policies.
// Selectors, ipBlocks, ports, rules and policies are the shared arbitraries
// (test/generators/arbitraries.ts) aimed at this world: its namespaces, the
// slots' and outside hosts' addresses, the served ports.
import fc from 'fast-check';
import type { ClusterObjects, ContainerPort, Labels, NetworkPolicy, Pod } from '../../../src/model/types.ts';
import { arbitrariesFor, type ArbitraryWorld } from '../../generators/arbitraries.ts';
import { clusterPolicyArbitraries } from '../../generators/cluster-policies.ts';
import { MODEL_NODES, NODE_LAYOUT, OUTSIDE_HOSTS, SERVED_PORTS, SLOTS, SLOT_COUNT } from './slots.ts';

export const NAMESPACES = ['x', 'y', 'z'] as const;

/** A generated cluster plus the seed that picks which flows of it are probed. */
export interface DiffCase {
  readonly objects: ClusterObjects;
  readonly sampleSeed: number;
}

/** The name of the pod in slot i. */
export const slotPodName = (i: number): string => `pod-${i}`;

/**
 * The lab world for the shared arbitraries. ipBlocks around a slot's or an
 * outside host's address, from /0 to a single address; policy ports among the
 * served ports (and 8082, served by nobody), ranges around and across them
 * with edges on them; at most 2 rules a direction (each rule costs nft rules
 * on both nodes); objects as the sources load them, since a counterexample is
 * written out as YAML and PolicyTests.
 */
export const LAB_WORLD: ArbitraryWorld = {
  namespaces: NAMESPACES,
  anchors: {
    v4: [...SLOTS.map((s) => s.v4), ...OUTSIDE_HOSTS.map((h) => h.v4), ...NODE_LAYOUT.map((n) => n.v4)],
    v6: [...SLOTS.map((s) => s.v6), ...OUTSIDE_HOSTS.map((h) => h.v6), ...NODE_LAYOUT.map((n) => n.v6)],
  },
  prefixes: { v4: [0, 8, 16, 22, 24, 28, 32], v6: [0, 32, 48, 64, 124, 128] },
  policyPorts: [...SERVED_PORTS, 8082],
  portRanges: [[80, 443], [8000, 8100], [8080, 8081], [9000, 9090], [53, 53], [1, 1024], [444, 8079]],
  containerPorts: SERVED_PORTS,
  maxRules: 2,
  asLoaded: true,
};

const LAB = arbitrariesFor(LAB_WORLD);
const LAB_CLUSTER = clusterPolicyArbitraries(LAB_WORLD);

// ---------------------------------------------------------------- pods in slots

export type Addressing = 'v4' | 'dual' | 'v6';

interface SlotDraft {
  readonly namespace: string;
  readonly labels: Labels;
  readonly addressing: Addressing;
  readonly ports: ContainerPort[];
}

const slotDraftArb: fc.Arbitrary<SlotDraft> = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  labels: LAB.podLabels,
  addressing: fc.oneof(
    { weight: 5, arbitrary: fc.constant<Addressing>('v4') },
    { weight: 4, arbitrary: fc.constant<Addressing>('dual') },
    { weight: 1, arbitrary: fc.constant<Addressing>('v6') },
  ),
  ports: LAB.containerPorts,
});

function slotPod(i: number, d: SlotDraft): Pod {
  const slot = SLOTS[i];
  if (!slot) throw new Error(`no slot ${i}`);
  const ips = d.addressing === 'v4' ? [slot.v4] : d.addressing === 'v6' ? [slot.v6] : [slot.v4, slot.v6];
  return {
    namespace: d.namespace, name: slotPodName(i), kind: 'Pod', labels: d.labels, ips, nodeName: slot.node,
    hostNetwork: false, phase: 'Running', ports: d.ports,
  };
}

export interface DiffCaseOptions {
  readonly maxPolicies?: number;
  /** Cluster-wide policies per case, at most (default 3; 0: none). */
  readonly maxClusterPolicies?: number;
}

/** A cluster on the lab's slots: 3 namespaces, 2-9 pods, 1-maxPolicies policies (default 4), the two nodes. */
export function diffCaseArb(opts: DiffCaseOptions = {}): fc.Arbitrary<DiffCase> {
  return fc.record({
    namespaces: LAB.namespaces(NAMESPACES),
    drafts: fc.tuple(...Array.from({ length: SLOT_COUNT }, () => slotDraftArb)),
    present: fc.uniqueArray(fc.integer({ min: 0, max: SLOT_COUNT - 1 }), { minLength: 2, maxLength: SLOT_COUNT }),
    policies: fc.array(fc.record({ policy: LAB.policy(), home: homeArb }), { minLength: 1, maxLength: opts.maxPolicies ?? 4 }),
    clusterPolicies: LAB_CLUSTER.policies(opts.maxClusterPolicies ?? 3),
    nodeLabels: fc.tuple(...MODEL_NODES.map(() => LAB_CLUSTER.nodeLabels)),
    sampleSeed: fc.integer({ min: 0, max: 0x7fffffff }),
  }).map(({ namespaces, drafts, present, policies, clusterPolicies, nodeLabels, sampleSeed }): DiffCase => {
    const pods = [...present].sort((a, b) => a - b).map((i) => slotPod(i, drafts[i] as SlotDraft));
    const nodes = MODEL_NODES.map((n, i) => (Object.keys(nodeLabels[i] ?? {}).length > 0 ? { ...n, labels: nodeLabels[i] } : n));
    return {
      objects: { namespaces, pods, policies: placePolicies(policies, pods), nodes, ...(clusterPolicies.length > 0 && { clusterPolicies }) },
      sampleSeed,
    };
  });
}

/**
 * Where a policy lives: mostly in the namespace of one of the pods (a policy
 * in a namespace without pods selects nothing), sometimes where it was drawn.
 */
const homeArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ withPod: fc.constant(true), pick: fc.nat({ max: SLOT_COUNT - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ withPod: fc.constant(false), pick: fc.constant(0) }) },
);

function placePolicies(drafts: readonly { policy: NetworkPolicy; home: { withPod: boolean; pick: number } }[], pods: readonly Pod[]): NetworkPolicy[] {
  const seen = new Set<string>();
  const out: NetworkPolicy[] = [];
  for (const { policy, home } of drafts) {
    const namespace = home.withPod ? (pods[home.pick % pods.length] as Pod).namespace : policy.namespace;
    const key = `${namespace}/${policy.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...policy, namespace });
  }
  return out;
}
