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
//  - this node (pod CIDRs) or the node's address families: a fresh build.
// A fresh build runs the same steps from empty, so `nftpol render` and the
// agent share one code path, and the agent's IR after any series of changes
// equals a fresh build of the final state (test/compile/node-compiler.test.ts).
// Unchanged sets and chains stay the same objects from one IR to the next, so
// the stages after this one can skip them by identity.
import type { IPFamily } from '../model/addresses.ts';
import type { ClusterChange } from '../model/cluster-change.ts';
import { participates } from '../model/cluster-state.ts';
import type { Direction, Labels, NetworkPolicy, Pod } from '../model/types.ts';
import { podKey, policyKey } from '../model/types.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { nodeFamilies, type LocalPod, type NodeIR, type PodDirection, type PolicyChain } from './ir.ts';
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
    return (this.cached ??= { node: this.node, podCidrs: this.podCidrs, pods: this.podList, policyChains: this.chainList, sets: this.sets.all() });
  }

  /** Applies one change to the state and to what this node enforces. */
  apply(change: ClusterChange): void {
    const state = this.engine.state;
    this.cached = undefined;
    switch (change.kind) {
      case 'node':
        state.apply(change);
        if (change.name === this.node) this.rebuild();
        return;
      case 'namespace': {
        const before = state.namespaceLabels(change.name);
        state.apply(change);
        const after = state.namespaceLabels(change.name);
        if (!sameLabels(before, after)) this.sets.relabelNamespace(change.name, before, after);
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
        // A cluster policy can touch any local pod: compile the node afresh.
        state.apply(change);
        this.rebuild();
    }
  }

  private applyPod(change: ClusterChange & { kind: 'pod' }): void {
    const state = this.engine.state;
    const before = state.pods.get(change.key);
    const ips = new Set([...(before?.ips ?? []), ...(change.pod?.ips ?? [])]);
    const heldBefore = new Map([...ips].map((ip) => [ip, state.podAt(ip)]));
    state.apply(change);
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
    if (localChanged && !sameFamilies(this.families, this.computeFamilies())) this.rebuild();
  }

  private isLocal(pod: Pod | undefined): pod is Pod {
    return pod !== undefined && participates(pod) && pod.nodeName === this.node;
  }

  private rebuild(): void {
    const state = this.engine.state;
    this.sets = new SetRegistry(state);
    this.local.clear();
    this.chains.clear();
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

  /** A local pod's dispatch and the chains it uses, from the state now (gone when it is no longer local). */
  private refreshLocal(key: string): void {
    const state = this.engine.state;
    const pod = state.pods.get(key);
    const old = this.local.get(key);
    const uses: [string, NetworkPolicy, Direction][] = [];
    let entry: LocalEntry | undefined;
    if (this.isLocal(pod)) {
      const dirs = DIRECTIONS.map((direction): PodDirection => {
        // Sorted, so the jump order does not follow the order objects arrived in.
        const policies = [...this.engine.isolatingPolicies(pod, direction)].sort(byKey);
        if (policies.length === 0) return { isolated: false };
        for (const p of policies) uses.push([chainId(direction, p), p, direction]);
        return { isolated: true, chain: podChainName(key, direction), policyChains: policies.map((p) => policyChainName(policyKey(p), direction)) };
      });
      // An address another pod holds (see ClusterState) is not this pod's to dispatch.
      const ips = pod.ips.filter((ip) => state.podAt(ip) === pod);
      entry = { local: { pod: key, ips, ingress: dirs[0] as PodDirection, egress: dirs[1] as PodDirection }, chains: uses.map(([id]) => id) };
    }
    for (const id of old?.chains ?? []) {
      if (entry?.chains.includes(id)) continue;
      const c = this.chains.get(id);
      c?.users.delete(key);
      if (c?.users.size === 0) this.dropChain(id);
    }
    for (const [id, policy, direction] of uses) this.useChain(id, policy, direction).users.add(key);
    if (entry === undefined) this.local.delete(key);
    else this.local.set(key, entry);
    this.podList = undefined;
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
