// ClusterState: the model objects plus the indexes the engine needs, so that a
// question about one pod or namespace does not scan the whole cluster.
import { cidrContains } from './addresses.ts';
import type { ClusterChange } from './cluster-change.ts';
import type { ClusterObjects, ClusterPolicy, ClusterTier, Namespace, NetworkPolicy, Node, Pod } from './types.ts';
import { clusterPolicyKey, compareClusterPolicies, podKey, policyKey } from './types.ts';

/**
 * Pods that take part in policy: they have an address, are not finished
 * (Succeeded/Failed pods hold no connections), and are not host-network
 * (those are node addresses, matched only by ipBlock).
 */
export function participates(pod: Pod): boolean {
  return pod.ips.length > 0 && pod.phase !== 'Succeeded' && pod.phase !== 'Failed' && !pod.hostNetwork;
}

/**
 * Of two participating pods claiming one address, the one that holds it: the
 * one created last (newest metadata.creationTimestamp; a pod with one is newer
 * than a pod without), since the older must be gone or going and the address
 * was handed to the newer. Equal (or no) timestamps, as in manifests: the
 * greater namespace/name. The agent, the engine, the compiled rules and
 * explain all follow this one rule (through ClusterState.podAt).
 */
export function holdsAddressOver(a: Pod, b: Pod): boolean {
  const ta = a.createdAt ?? '';
  const tb = b.createdAt ?? '';
  if (ta !== tb) return ta > tb;
  return podKey(a) > podKey(b);
}

/** Two or more participating pods claiming one address, and the one that holds it. */
export interface SharedAddress {
  readonly ip: string;
  readonly holder: Pod;
  /** Every claimant, the holder included, by key. */
  readonly claimants: readonly Pod[];
}

export class ClusterState {
  private readonly namespaceMap = new Map<string, Namespace>();
  private readonly nodeMap = new Map<string, Node>();
  private readonly podMap = new Map<string, Pod>();
  private readonly policyMap = new Map<string, NetworkPolicy>();
  /** policies as an array, rebuilt on the first read after a change. */
  private policyList: NetworkPolicy[] | undefined;
  private readonly policiesByNs = new Map<string, NetworkPolicy[]>();
  /** Bumped whenever a namespace's policies change: the engine's isolation memos check it. */
  private readonly policyGenerations = new Map<string, number>();
  private readonly podsByNs = new Map<string, Pod[]>();
  private readonly podsByNode = new Map<string, Pod[]>();
  /** Every participating pod claiming an address (almost always one). */
  private readonly claims = new Map<string, Pod[]>();
  /** The claimant that holds each address (holdsAddressOver). */
  private readonly podByIp = new Map<string, Pod>();
  /** Addresses more than one participating pod claims. */
  private readonly sharedIps = new Set<string>();
  /** Host-network pods by address: the last one added answers for it. */
  private readonly hostPodsByIp = new Map<string, Pod[]>();
  private readonly nodeByIp = new Map<string, Node>();
  private readonly clusterPolicyMap = new Map<string, ClusterPolicy>();
  /** Each tier's cluster policies in evaluation order, rebuilt on the first read after a change. */
  private tierLists: Partial<Record<ClusterTier, ClusterPolicy[]>> = {};
  private clusterGeneration = 0;

  /**
   * The objects' state; later changes come through the set and delete
   * methods (the agent), which keep every index as a fresh build would.
   * Keys are unique in valid input: a later object under a key already seen
   * replaces the earlier one.
   */
  constructor(objects: ClusterObjects) {
    for (const n of objects.namespaces) this.setNamespace(n);
    for (const n of objects.nodes) this.setNode(n);
    for (const p of objects.pods) this.setPod(p);
    for (const p of objects.policies) this.setPolicy(p);
    for (const p of objects.clusterPolicies ?? []) this.setClusterPolicy(p);
  }

  get namespaces(): ReadonlyMap<string, Namespace> {
    return this.namespaceMap;
  }

  get nodes(): ReadonlyMap<string, Node> {
    return this.nodeMap;
  }

  /** All pods (and workloads standing for pods) by "namespace/name". */
  get pods(): ReadonlyMap<string, Pod> {
    return this.podMap;
  }

  get policies(): readonly NetworkPolicy[] {
    return (this.policyList ??= [...this.policyMap.values()]);
  }

  // ------------------------------------------------------------ changes

  apply(change: ClusterChange): void {
    switch (change.kind) {
      case 'pod': return change.pod === undefined ? this.deletePod(change.key) : this.setPod(change.pod);
      case 'namespace': return change.namespace === undefined ? this.deleteNamespace(change.name) : this.setNamespace(change.namespace);
      case 'policy': return change.policy === undefined ? this.deletePolicy(change.key) : this.setPolicy(change.policy);
      case 'node': return change.node === undefined ? this.deleteNode(change.name) : this.setNode(change.node);
      case 'clusterPolicy': return change.clusterPolicy === undefined ? this.deleteClusterPolicy(change.key) : this.setClusterPolicy(change.clusterPolicy);
    }
  }

  setClusterPolicy(policy: ClusterPolicy): void {
    this.clusterPolicyMap.set(clusterPolicyKey(policy), policy);
    this.tierLists = {};
    this.clusterGeneration++;
  }

  deleteClusterPolicy(key: string): void {
    if (!this.clusterPolicyMap.delete(key)) return;
    this.tierLists = {};
    this.clusterGeneration++;
  }

  setNamespace(ns: Namespace): void {
    this.namespaceMap.set(ns.name, ns);
    this.clusterGeneration++;
  }

  deleteNamespace(name: string): void {
    this.namespaceMap.delete(name);
    this.clusterGeneration++;
  }

  setNode(node: Node): void {
    this.deleteNode(node.name);
    this.nodeMap.set(node.name, node);
    for (const ip of node.addresses) this.nodeByIp.set(ip, node);
    this.clusterGeneration++;
  }

  deleteNode(name: string): void {
    const old = this.nodeMap.get(name);
    if (old === undefined) return;
    this.nodeMap.delete(name);
    for (const ip of old.addresses) {
      if (this.nodeByIp.get(ip) !== old) continue;
      this.nodeByIp.delete(ip);
      // Another node listing the same address (a broken cluster) answers for it again.
      for (const n of this.nodeMap.values()) if (n.addresses.includes(ip)) this.nodeByIp.set(ip, n);
    }
    this.clusterGeneration++;
  }

  setPolicy(policy: NetworkPolicy): void {
    const key = policyKey(policy);
    this.deletePolicy(key);
    this.policyMap.set(key, policy);
    this.policyList = undefined;
    push(this.policiesByNs, policy.namespace, policy);
    this.bumpPolicies(policy.namespace);
  }

  deletePolicy(key: string): void {
    const old = this.policyMap.get(key);
    if (old === undefined) return;
    this.policyMap.delete(key);
    this.policyList = undefined;
    remove(this.policiesByNs, old.namespace, old);
    this.bumpPolicies(old.namespace);
  }

  setPod(pod: Pod): void {
    this.deletePod(podKey(pod));
    this.podMap.set(podKey(pod), pod);
    if (participates(pod)) {
      push(this.podsByNs, pod.namespace, pod);
      if (pod.nodeName !== undefined) push(this.podsByNode, pod.nodeName, pod);
      // Two running pods should never share an address; if they do, one
      // holds it (holdsAddressOver), for the engine and the compiled rules alike.
      for (const ip of pod.ips) {
        push(this.claims, ip, pod);
        const held = this.podByIp.get(ip);
        if (held !== undefined) this.sharedIps.add(ip);
        if (held === undefined || holdsAddressOver(pod, held)) this.podByIp.set(ip, pod);
      }
    } else if (pod.hostNetwork) {
      for (const ip of pod.ips) push(this.hostPodsByIp, ip, pod);
    }
  }

  deletePod(key: string): void {
    const old = this.podMap.get(key);
    if (old === undefined) return;
    this.podMap.delete(key);
    if (participates(old)) {
      remove(this.podsByNs, old.namespace, old);
      if (old.nodeName !== undefined) remove(this.podsByNode, old.nodeName, old);
      for (const ip of old.ips) {
        remove(this.claims, ip, old);
        const left = this.claims.get(ip) ?? [];
        if (left.length < 2) this.sharedIps.delete(ip);
        if (this.podByIp.get(ip) !== old) continue;
        const holder = left.reduce<Pod | undefined>((h, p) => (h === undefined || holdsAddressOver(p, h) ? p : h), undefined);
        if (holder === undefined) this.podByIp.delete(ip);
        else this.podByIp.set(ip, holder);
      }
    } else if (old.hostNetwork) {
      for (const ip of old.ips) remove(this.hostPodsByIp, ip, old);
    }
  }

  private bumpPolicies(namespace: string): void {
    this.policyGenerations.set(namespace, (this.policyGenerations.get(namespace) ?? 0) + 1);
  }

  /** Changes whenever the namespace's policies change (memos of isolation compare it). */
  policyGeneration(namespace: string): number {
    return this.policyGenerations.get(namespace) ?? 0;
  }

  /**
   * Changes whenever a cluster policy, a node (nodes peers select on node
   * labels) or a namespace (subjects and peers select on namespace labels)
   * changes: memos of what cluster policies say about a pod compare it.
   */
  clusterPolicyGeneration(): number {
    return this.clusterGeneration;
  }

  // ------------------------------------------------------------ questions

  /** Every cluster policy by key ("cnp/name", "anp/name", "banp/default"). */
  get clusterPolicies(): ReadonlyMap<string, ClusterPolicy> {
    return this.clusterPolicyMap;
  }

  /** The tier's cluster policies in evaluation order (compareClusterPolicies). */
  clusterPoliciesIn(tier: ClusterTier): readonly ClusterPolicy[] {
    return (this.tierLists[tier] ??= [...this.clusterPolicyMap.values()].filter((p) => p.tier === tier).sort(compareClusterPolicies));
  }

  /** Declared namespaces and those only pods name (a pod may arrive before its namespace). */
  namespaceNames(): string[] {
    return [...new Set([...this.namespaceMap.keys(), ...this.podsByNs.keys()])];
  }

  namespaceLabels(name: string): Namespace['labels'] {
    return this.namespaceMap.get(name)?.labels ?? { 'kubernetes.io/metadata.name': name };
  }

  /** The policy by "namespace/name". */
  policy(key: string): NetworkPolicy | undefined {
    return this.policyMap.get(key);
  }

  policiesIn(namespace: string): readonly NetworkPolicy[] {
    return this.policiesByNs.get(namespace) ?? [];
  }

  /** Participating pods of a namespace. */
  podsIn(namespace: string): readonly Pod[] {
    return this.podsByNs.get(namespace) ?? [];
  }

  /** Every participating pod. */
  *participatingPods(): Iterable<Pod> {
    for (const list of this.podsByNs.values()) yield* list;
  }

  /** The node whose pod CIDR holds the address, if any. */
  podCidrOwner(ip: string): string | undefined {
    for (const node of this.nodeMap.values()) if (node.podCIDRs.some((c) => cidrContains(c, ip))) return node.name;
    return undefined;
  }

  /** Participating pods that run on a node. */
  podsOn(node: string): readonly Pod[] {
    return this.podsByNode.get(node) ?? [];
  }

  /** The participating pod that holds an address (see holdsAddressOver). */
  podAt(ip: string): Pod | undefined {
    return this.podByIp.get(ip);
  }

  /** Whether any address is claimed by two or more participating pods (almost never). */
  hasSharedAddresses(): boolean {
    return this.sharedIps.size > 0;
  }

  /** Addresses two or more participating pods claim, sorted by address text. */
  sharedAddresses(): SharedAddress[] {
    return [...this.sharedIps].sort().map((ip) => this.shared(ip));
  }

  /** The shared addresses a pod claims (empty for almost every pod). */
  sharedAddressesOf(pod: Pod): SharedAddress[] {
    if (this.sharedIps.size === 0) return [];
    return pod.ips.filter((ip) => this.sharedIps.has(ip) && this.claims.get(ip)?.includes(pod)).map((ip) => this.shared(ip));
  }

  private shared(ip: string): SharedAddress {
    const claimants = [...(this.claims.get(ip) as Pod[])].sort((x, y) => (podKey(x) < podKey(y) ? -1 : 1));
    return { ip, holder: this.podByIp.get(ip) as Pod, claimants };
  }

  /** The node an address belongs to: a node address, or a host-network pod's address. */
  nodeAt(ip: string): { node?: Node; hostPod?: Pod } | undefined {
    const node = this.nodeByIp.get(ip);
    const hostPod = this.hostPodsByIp.get(ip)?.at(-1);
    if (!node && !hostPod) return undefined;
    const viaPod = hostPod?.nodeName ? this.nodeMap.get(hostPod.nodeName) : undefined;
    return { node: node ?? viaPod, hostPod };
  }
}

function push<V>(m: Map<string, V[]>, k: string, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function remove<V>(m: Map<string, V[]>, k: string, v: V): void {
  const list = m.get(k);
  if (list === undefined) return;
  const i = list.indexOf(v);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) m.delete(k);
}
