// What one node enforces, kept up to date change by change. The node's own
// pods are the targets (their ingress and egress); peers come from the whole
// cluster. Only policies that isolate a local pod get a chain, and only their
// peers get sets: the nft command's cost grows with the table, so each node's
// table holds what its own pods need and nothing more, and only in the node's
// address families (nodeFamilies in ir.ts).
//
// A change costs what it touches, never a recompile of the node:
//  - a pod: its contribution to the sets whose scope holds its namespace
//    (SetRegistry's reverse indexes), plus the pods whose hold on an address
//    it took or gave back; if it is (or was) local, its dispatch and the
//    chains it uses (a policy's chain exists while it isolates a local pod);
//  - a namespace's labels: the selector-scoped sets whose match flipped;
//  - a policy: its chains, compiled again, and the local pods of its namespace;
//  - a cluster policy: its chains, compiled again, and every local pod's
//    dispatch (any may be its subject); the tiers' order is taken again;
//  - another node, or a host-network pod: the nodes peers' sets;
//  - this node (pod CIDRs) or the node's address families: a fresh build.
// A fresh build runs the same steps from empty, so `nftpol render` and the
// agent share one code path, and the agent's IR after any series of changes
// equals a fresh build of the final state (test/compile/node-compiler.test.ts).
// Unchanged sets and chains stay the same objects from one IR to the next, so
// the stages after this one can skip them by identity.
import type { IPFamily } from '../model/addresses.ts';
import type { ClusterChange } from '../model/cluster-change.ts';
import { participates } from '../model/cluster-state.ts';
import type { ClusterPolicy, Direction, Labels, NetworkPolicy, Pod } from '../model/types.ts';
import { clusterPolicyKey, compareClusterPolicies, podKey, policyKey } from '../model/types.ts';
import { subjectSelects } from '../policy/cluster-match.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { compileClusterChain } from './cluster-chain.ts';
import {
  nodeFamilies, type ClusterPolicyChain, type ClusterTierChains, type LocalPod, type NodeIR, type PodDirection, type PolicyChain, type TierEntry,
} from './ir.ts';
import { podChainName, policyChainName } from './names.ts';
import { compilePolicyChain } from './policy-chain.ts';
import { SetRegistry } from './set-registry.ts';

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

interface ChainEntry {
  readonly chain: PolicyChain;
  /** Keys of the local pods it isolates. */
  readonly users: Set<string>;
  readonly sets: readonly string[];
}

interface LocalEntry {
  readonly local: LocalPod;
  /** Ids ("direction namespace/name") of the policy chains it jumps to. */
  readonly chains: readonly string[];
  /** Ids ("direction cnp/name") of the cluster policy chains it goes through. */
  readonly clusterChains: readonly string[];
}

interface ClusterChainEntry {
  readonly policy: ClusterPolicy;
  readonly chain: ClusterPolicyChain;
  /** Keys of the local pods that go through it. */
  readonly users: Set<string>;
  readonly sets: readonly string[];
}

const chainId = (direction: Direction, policy: NetworkPolicy): string => `${direction} ${policyKey(policy)}`;
const byKey = (a: NetworkPolicy, b: NetworkPolicy): number => (policyKey(a) < policyKey(b) ? -1 : 1);

function setsOf(chain: PolicyChain): string[] {
  const names = new Set<string>();
  for (const r of chain.rules) {
    if (r.peer.kind === 'set') names.add(r.peer.set);
    if (r.port.kind === 'named') names.add(r.port.set);
  }
  return [...names];
}

function clusterSetsOf(chain: ClusterPolicyChain): string[] {
  const names = new Set(chain.subjects.map((s) => s.set));
  for (const r of chain.rules) {
    if (r.peer.kind === 'set') names.add(r.peer.set);
    if (r.port.kind === 'named') names.add(r.port.set);
  }
  return [...names];
}

const NO_TIER: TierEntry = { admin: false, baseline: false };

function sameDirection(a: PodDirection, b: PodDirection): boolean {
  if (!a.isolated || !b.isolated) return a.isolated === b.isolated;
  return a.chain === b.chain && a.policyChains.length === b.policyChains.length && a.policyChains.every((c, i) => c === b.policyChains[i]);
}

/** Whether two local pods render the same (the old object is kept, so later stages skip it). */
function sameLocal(a: LocalPod, b: LocalPod): boolean {
  const tiers = (p: LocalPod, d: Direction): TierEntry => p.tiers?.[d] ?? NO_TIER;
  return a.pod === b.pod && a.ips.length === b.ips.length && a.ips.every((ip, i) => ip === b.ips[i])
    && sameDirection(a.ingress, b.ingress) && sameDirection(a.egress, b.egress)
    && DIRECTIONS.every((d) => tiers(a, d).admin === tiers(b, d).admin && tiers(a, d).baseline === tiers(b, d).baseline);
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export class NodeCompiler {
  readonly engine: PolicyEngine;
  readonly node: string;
  private sets!: SetRegistry;
  private readonly local = new Map<string, LocalEntry>();
  private readonly chains = new Map<string, ChainEntry>();
  private readonly setRefs = new Map<string, number>();
  private readonly clusterChains = new Map<string, ClusterChainEntry>();
  /** Host-network pods by key: their addresses are nodes' (nodes peers). */
  private readonly hostPods = new Map<string, Pod>();
  private clusterList: { chains: ClusterPolicyChain[]; tiers: { ingress: ClusterTierChains; egress: ClusterTierChains } } | undefined;
  private podCidrs: string[] = [];
  private families: IPFamily[] = [];
  private cached: NodeIR | undefined;
  private chainList: PolicyChain[] | undefined;
  private podList: LocalPod[] | undefined;

  constructor(engine: PolicyEngine, node: string) {
    this.engine = engine;
    this.node = node;
    this.rebuild();
  }

  /** The node's IR now (the same object until a change). */
  ir(): NodeIR {
    this.collectSets();
    this.podList ??= [...this.local.values()].map((e) => e.local).sort((a, b) => (a.pod < b.pod ? -1 : 1));
    this.chainList ??= [...this.chains.values()].map((c) => c.chain).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.clusterList ??= this.linkTiers();
    const cluster = this.clusterList.chains.length === 0 ? {} : { clusterChains: this.clusterList.chains, tiers: this.clusterList.tiers };
    return (this.cached ??= { node: this.node, podCidrs: this.podCidrs, pods: this.podList, policyChains: this.chainList, sets: this.sets.all(), ...cluster });
  }

  /**
   * Each tier's chains per direction in evaluation order: the tier chain
   * jumps to them in this order (a chain keeps its object while its rules stay,
   * so a reorder rewrites the tier chain alone).
   */
  private linkTiers(): { chains: ClusterPolicyChain[]; tiers: { ingress: ClusterTierChains; egress: ClusterTierChains } } {
    const order = (direction: Direction, tier: ClusterPolicy['tier']): ClusterChainEntry[] =>
      [...this.clusterChains.values()].filter((e) => e.chain.direction === direction && e.chain.tier === tier).sort((a, b) => compareClusterPolicies(a.policy, b.policy));
    const chains: ClusterPolicyChain[] = [];
    const link = (list: ClusterChainEntry[]): string[] => list.map((e) => {
      chains.push(e.chain);
      return e.chain.name;
    });
    const tiers = {
      ingress: { admin: link(order('ingress', 'Admin')), baseline: link(order('ingress', 'Baseline')) },
      egress: { admin: link(order('egress', 'Admin')), baseline: link(order('egress', 'Baseline')) },
    };
    chains.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { chains, tiers };
  }

  /** Applies one change to the state and to what this node enforces. */
  apply(change: ClusterChange): void {
    const state = this.engine.state;
    this.cached = undefined;
    switch (change.kind) {
      case 'node':
        state.apply(change);
        if (change.name === this.node) this.rebuild();
        else this.sets.refreshComputed(); // nodes peers select on node labels and addresses
        return;
      case 'namespace': {
        const before = state.namespaceLabels(change.name);
        state.apply(change);
        const after = state.namespaceLabels(change.name);
        if (sameLabels(before, after)) return;
        this.sets.relabelNamespace(change.name, before, after);
        // Cluster policies select subjects by namespace labels: its local pods' tiers may change.
        if (state.clusterPolicies.size > 0 || this.clusterChains.size > 0) {
          for (const key of [...this.local.keys()]) if (state.pods.get(key)?.namespace === change.name) this.refreshLocal(key);
        }
        return;
      }
      case 'policy': {
        const namespace = (change.policy ?? state.policy(change.key))?.namespace;
        state.apply(change);
        if (namespace === undefined) return;
        // Its chains are compiled again when a local pod still uses them.
        for (const d of DIRECTIONS) this.dropChain(`${d} ${change.key}`);
        for (const key of [...this.local.keys()]) if (key.startsWith(`${namespace}/`)) this.refreshLocal(key);
        return;
      }
      case 'pod':
        this.applyPod(change);
        return;
      case 'clusterPolicy':
        // Its chains are compiled again when a local pod still goes through them;
        // any local pod may be (or have been) its subject.
        state.apply(change);
        for (const d of DIRECTIONS) this.dropClusterChain(`${d} ${change.key}`);
        for (const key of [...this.local.keys()]) this.refreshLocal(key);
    }
  }

  private applyPod(change: ClusterChange & { kind: 'pod' }): void {
    const state = this.engine.state;
    const before = state.pods.get(change.key);
    const ips = new Set([...(before?.ips ?? []), ...(change.pod?.ips ?? [])]);
    const heldBefore = new Map([...ips].map((ip) => [ip, state.podAt(ip)]));
    // A host-network pod's addresses are its node's, and a pod taking a node's address hides it: nodes peers.
    const touchesNodes = before?.hostNetwork === true || change.pod?.hostNetwork === true || [...ips].some((ip) => state.nodeAt(ip) !== undefined);
    state.apply(change);
    if (change.pod?.hostNetwork === true) this.hostPods.set(change.key, change.pod);
    else this.hostPods.delete(change.key);
    // The pod, and any pod whose hold on one of its addresses it took or gave back.
    const affected = new Set([change.key]);
    for (const [ip, was] of heldBefore) {
      const now = state.podAt(ip);
      if (was === now) continue;
      for (const p of [was, now]) if (p !== undefined) affected.add(podKey(p));
    }
    let localChanged = false;
    for (const key of affected) {
      this.sets.updatePod(key, state.pods.get(key));
      if (this.local.has(key) || this.isLocal(state.pods.get(key))) {
        this.refreshLocal(key);
        localChanged = true;
      }
    }
    // A local pod of a new address family gives the node a family: rules of every policy change.
    if (localChanged && !sameFamilies(this.families, this.computeFamilies())) return this.rebuild();
    if (touchesNodes) this.sets.refreshComputed();
  }

  private isLocal(pod: Pod | undefined): pod is Pod {
    return pod !== undefined && participates(pod) && pod.nodeName === this.node;
  }

  private rebuild(): void {
    const state = this.engine.state;
    this.sets = new SetRegistry(state);
    this.local.clear();
    this.chains.clear();
    this.clusterChains.clear();
    this.clusterList = undefined;
    this.hostPods.clear();
    for (const [key, pod] of state.pods) if (pod.hostNetwork) this.hostPods.set(key, pod);
    this.setRefs.clear();
    this.cached = undefined;
    this.podCidrs = [...(state.nodes.get(this.node)?.podCIDRs ?? [])].sort();
    this.families = this.computeFamilies();
    for (const pod of state.podsOn(this.node)) this.refreshLocal(podKey(pod));
  }

  private computeFamilies(): IPFamily[] {
    const state = this.engine.state;
    const pods = state.podsOn(this.node).map((pod) => ({ ips: pod.ips.filter((ip) => state.podAt(ip) === pod) }));
    return nodeFamilies({ podCidrs: this.podCidrs, pods });
  }

  /** The cluster policies of a tier whose subject is the pod, with rules in the direction. */
  private clusterPoliciesOf(pod: Pod, tier: ClusterPolicy['tier'], direction: Direction): readonly ClusterPolicy[] {
    const state = this.engine.state;
    if (state.clusterPolicies.size === 0) return [];
    return state.clusterPoliciesIn(tier).filter((p) => p[direction].length > 0 && subjectSelects(state, p, pod));
  }

  /** A local pod's dispatch and the chains it uses, from the state now (gone when it is no longer local). */
  private refreshLocal(key: string): void {
    const state = this.engine.state;
    const pod = state.pods.get(key);
    const old = this.local.get(key);
    const uses: [string, NetworkPolicy, Direction][] = [];
    const clusterUses: [string, ClusterPolicy, Direction][] = [];
    let entry: LocalEntry | undefined;
    if (this.isLocal(pod)) {
      const tiers: Partial<Record<Direction, TierEntry>> = {};
      const dirs = DIRECTIONS.map((direction): PodDirection => {
        // Sorted, so the jump order does not follow the order objects arrived in.
        const policies = [...this.engine.isolatingPolicies(pod, direction)].sort(byKey);
        // Admin before NetworkPolicy; Baseline only for a pod NetworkPolicy does not isolate.
        const admin = this.clusterPoliciesOf(pod, 'Admin', direction);
        const baseline = policies.length === 0 ? this.clusterPoliciesOf(pod, 'Baseline', direction) : [];
        for (const p of [...admin, ...baseline]) clusterUses.push([`${direction} ${clusterPolicyKey(p)}`, p, direction]);
        tiers[direction] = { admin: admin.length > 0, baseline: baseline.length > 0 };
        if (policies.length === 0) return { isolated: false };
        for (const p of policies) uses.push([chainId(direction, p), p, direction]);
        return { isolated: true, chain: podChainName(key, direction), policyChains: policies.map((p) => policyChainName(policyKey(p), direction)) };
      });
      // An address another pod holds (see ClusterState) is not this pod's to dispatch.
      const ips = pod.ips.filter((ip) => state.podAt(ip) === pod);
      const inTiers = clusterUses.length > 0 ? { tiers: { ingress: tiers.ingress ?? NO_TIER, egress: tiers.egress ?? NO_TIER } } : {};
      let local: LocalPod = { pod: key, ips, ingress: dirs[0] as PodDirection, egress: dirs[1] as PodDirection, ...inTiers };
      if (old !== undefined && sameLocal(old.local, local)) local = old.local;
      entry = { local, chains: uses.map(([id]) => id), clusterChains: clusterUses.map(([id]) => id) };
    }
    for (const id of old?.chains ?? []) {
      if (entry?.chains.includes(id)) continue;
      const c = this.chains.get(id);
      c?.users.delete(key);
      if (c?.users.size === 0) this.dropChain(id);
    }
    for (const id of old?.clusterChains ?? []) {
      if (entry?.clusterChains.includes(id)) continue;
      const c = this.clusterChains.get(id);
      c?.users.delete(key);
      if (c?.users.size === 0) this.dropClusterChain(id);
    }
    for (const [id, policy, direction] of uses) this.useChain(id, policy, direction).users.add(key);
    for (const [id, policy, direction] of clusterUses) this.useClusterChain(id, policy, direction).users.add(key);
    if (entry === undefined) this.local.delete(key);
    else this.local.set(key, entry);
    if (entry?.local !== old?.local) this.podList = undefined;
  }

  private useClusterChain(id: string, policy: ClusterPolicy, direction: Direction): ClusterChainEntry {
    const have = this.clusterChains.get(id);
    if (have !== undefined) return have;
    const state = this.engine.state;
    const ctx = {
      state, node: this.node, families: this.families, sets: this.sets,
      nodeAddresses: () => this.nodeAddressCandidates(),
    };
    const chain = compileClusterChain(ctx, policy, direction);
    const entry: ClusterChainEntry = { policy, chain, users: new Set(), sets: clusterSetsOf(chain) };
    for (const s of entry.sets) this.setRefs.set(s, (this.setRefs.get(s) ?? 0) + 1);
    this.clusterChains.set(id, entry);
    this.clusterList = undefined;
    return entry;
  }

  private dropClusterChain(id: string): void {
    const c = this.clusterChains.get(id);
    if (c === undefined) return;
    this.clusterChains.delete(id);
    this.clusterList = undefined;
    for (const s of c.sets) this.setRefs.set(s, (this.setRefs.get(s) ?? 1) - 1);
  }

  /** Every address that may be a node's: nodes' addresses and host-network pods'. */
  private *nodeAddressCandidates(): Iterable<string> {
    for (const n of this.engine.state.nodes.values()) yield* n.addresses;
    for (const p of this.hostPods.values()) yield* p.ips;
  }

  private useChain(id: string, policy: NetworkPolicy, direction: Direction): ChainEntry {
    const have = this.chains.get(id);
    if (have !== undefined) return have;
    const chain = compilePolicyChain(this.engine.state, policy, direction, this.node, this.families, this.sets);
    const entry: ChainEntry = { chain, users: new Set(), sets: setsOf(chain) };
    for (const s of entry.sets) this.setRefs.set(s, (this.setRefs.get(s) ?? 0) + 1);
    this.chains.set(id, entry);
    this.chainList = undefined;
    return entry;
  }

  private dropChain(id: string): void {
    const c = this.chains.get(id);
    if (c === undefined) return;
    this.chains.delete(id);
    this.chainList = undefined;
    // A set no chain uses goes when the IR is next asked for (collectSets):
    // a chain compiled again in the same change finds it still there.
    for (const s of c.sets) this.setRefs.set(s, (this.setRefs.get(s) ?? 1) - 1);
  }

  private collectSets(): void {
    for (const [name, refs] of this.setRefs) {
      if (refs > 0) continue;
      this.setRefs.delete(name);
      this.sets.delete(name);
    }
  }
}

function sameFamilies(a: readonly IPFamily[], b: readonly IPFamily[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}
