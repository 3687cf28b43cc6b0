// What every check needs: the engine's indexes and matching, asked in the
// shape lint asks them ("which pods does this peer match?") rather than the
// engine's ("does this peer match that endpoint?"). Nothing here decides
// semantics; every answer comes from the engine's own functions.
import { outsideClasses, type OutsideClass } from '../explain/outside-classes.ts';
import { cidrOf } from '../model/addresses.ts';
import { ClusterState } from '../model/cluster-state.ts';
import type { ClusterObjects, Direction, LabelSelector, NetworkPolicy, Peer, Pod, PolicyRule } from '../model/types.ts';
import { peersField } from '../policy/direction.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { policySelects, policyTypeOf } from '../policy/isolation.ts';
import { peerMatches } from '../policy/peer-match.ts';
import { selectorMatches } from '../selectors/label-selector.ts';

export const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

export class LintContext {
  readonly state: ClusterState;
  readonly engine: PolicyEngine;
  /**
   * Pods and workloads (a workload stands for its pods) that a policy can
   * select: not host-network (never isolated, matched only as node
   * addresses) and not finished. Unlike the engine's participating pods,
   * these need no address: manifests' workloads have none yet.
   */
  readonly pods: readonly Pod[];
  /** Namespace objects plus namespaces that only pods mention, sorted. */
  readonly namespaceNames: readonly string[];

  /**
   * `pods` by namespace. A policy selects, and a selector peer matches, only
   * pods of namespaces it names (its own, or those its namespaceSelector
   * matches): the engine's functions are asked about those alone, not about
   * every pod of the cluster for every policy and peer.
   */
  private readonly podsByNamespace = new Map<string, Pod[]>();

  constructor(objects: ClusterObjects) {
    this.state = new ClusterState(objects);
    this.engine = new PolicyEngine(this.state);
    this.pods = objects.pods.filter((p) => !p.hostNetwork && p.phase !== 'Succeeded' && p.phase !== 'Failed');
    this.namespaceNames = [...new Set([...objects.namespaces.map((n) => n.name), ...objects.pods.map((p) => p.namespace)])].sort();
    for (const pod of this.pods) {
      const list = this.podsByNamespace.get(pod.namespace);
      if (list) list.push(pod);
      else this.podsByNamespace.set(pod.namespace, [pod]);
    }
  }

  private outside: readonly OutsideClass[] | undefined;

  /** The classes of outside addresses the policies' ipBlocks and networks cut (explain's), computed once. */
  outsideClasses(): readonly OutsideClass[] {
    return (this.outside ??= outsideClasses(this.state));
  }

  podsSelectedBy(policy: NetworkPolicy): Pod[] {
    return (this.podsByNamespace.get(policy.namespace) ?? []).filter((p) => policySelects(policy, p));
  }

  namespacesMatching(sel: LabelSelector): string[] {
    return this.namespaceNames.filter((n) => selectorMatches(sel, this.state.namespaceLabels(n)));
  }

  // Several checks ask about the same peers; the answer depends on the policy's namespace too.
  private readonly peerMemo = new WeakMap<NetworkPolicy, WeakMap<Peer, Pod[]>>();

  /** Pods a peer matches. Selector peers never read the address, so workloads without one count. */
  peerPods(policy: NetworkPolicy, peer: Peer): Pod[] {
    let memo = this.peerMemo.get(policy);
    if (!memo) this.peerMemo.set(policy, (memo = new WeakMap()));
    let pods = memo.get(peer);
    if (!pods) memo.set(peer, (pods = this.matchPeer(policy, peer)));
    return pods;
  }

  /**
   * Selector peers written alike match alike: a peer's pods depend only on
   * its selectors and, without a namespaceSelector, on the policy's
   * namespace. Thousands of policies repeat a few peers.
   */
  private readonly selectorPeerMemo = new Map<string, Pod[]>();

  /** Each pod's place in `pods`, to give matches in input order. */
  private podOrder: Map<Pod, number> | undefined;

  private matchPeer(policy: NetworkPolicy, peer: Peer): Pod[] {
    if (peer.kind === 'pods') {
      const key = peer.namespaceSelector === null
        ? `ns ${policy.namespace} ${JSON.stringify(peer.podSelector)}`
        : `sel ${JSON.stringify(peer.namespaceSelector)} ${JSON.stringify(peer.podSelector)}`;
      let pods = this.selectorPeerMemo.get(key);
      if (!pods) {
        const namespaces = peer.namespaceSelector === null ? [policy.namespace] : this.namespacesMatching(peer.namespaceSelector);
        pods = this.podsOf(namespaces).filter((pod) => peerMatches(this.state, policy, peer, { kind: 'pod', ip: '', pod }));
        this.selectorPeerMemo.set(key, pods);
      }
      return pods;
    }
    const inside: Pod[] = [];
    for (const pod of this.ipBlockCandidates(peer.ipBlock.cidr)) {
      if (pod.ips.some((ip) => peerMatches(this.state, policy, peer, { kind: 'pod', ip, pod }))) inside.push(pod);
    }
    return inside;
  }

  /** Participating pods' IPv4 addresses as numbers, sorted, with each pod's place in participatingPods(). */
  private ipv4Index: { readonly keys: Float64Array; readonly at: Int32Array; readonly pods: readonly Pod[] } | undefined;

  /**
   * The pods that may hold an address of an ipBlock's cidr, in
   * participatingPods() order: for an IPv4 cidr only those whose address
   * falls in its range (found by binary search), else all of them. The
   * engine still decides each one (except included).
   */
  private ipBlockCandidates(cidr: string): readonly Pod[] {
    const range = ipv4Range(cidr);
    if (!range) return [...this.state.participatingPods()];
    if (!this.ipv4Index) {
      const pods = [...this.state.participatingPods()];
      const entries: { key: number; at: number }[] = [];
      pods.forEach((pod, at) => {
        for (const ip of pod.ips) {
          const key = ipv4Number(ip);
          if (key !== undefined) entries.push({ key, at });
        }
      });
      entries.sort((a, b) => a.key - b.key);
      this.ipv4Index = { keys: Float64Array.from(entries, (e) => e.key), at: Int32Array.from(entries, (e) => e.at), pods };
    }
    const { keys, at, pods } = this.ipv4Index;
    const found = new Set<number>();
    for (let i = lowerBound(keys, range[0]); i < keys.length && (keys[i] as number) <= range[1]; i++) found.add(at[i] as number);
    return [...found].sort((a, b) => a - b).map((i) => pods[i] as Pod);
  }

  /** The pods of these namespaces, in input order. */
  private podsOf(namespaces: readonly string[]): Pod[] {
    if (namespaces.length === 1) return this.podsByNamespace.get(namespaces[0] as string) ?? [];
    this.podOrder ??= new Map(this.pods.map((p, i) => [p, i]));
    const order = this.podOrder;
    return namespaces.flatMap((n) => this.podsByNamespace.get(n) ?? []).sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
  }

  /** Pods any peer of the rule matches; a rule without peers matches every pod. */
  /** The pods a rule's named ports resolve on: the selected pods for ingress, the rule's peers' pods for egress. */
  portDestinations(policy: NetworkPolicy, at: RuleAt): Pod[] {
    return at.direction === 'ingress' ? this.podsSelectedBy(policy) : this.rulePeerPods(policy, at.rule);
  }

  rulePeerPods(policy: NetworkPolicy, rule: PolicyRule): Pod[] {
    if (rule.peers.length === 0) return [...this.pods];
    const seen = new Set<Pod>();
    for (const peer of rule.peers) for (const pod of this.peerPods(policy, peer)) seen.add(pod);
    return [...seen];
  }
}

/** An IPv4 address (canonical dotted quad) as a number; undefined for anything else. */
function ipv4Number(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** First and last address of an IPv4 cidr, as numbers; undefined for IPv6. */
function ipv4Range(cidr: string): [number, number] | undefined {
  const { family, network, prefix } = cidrOf(cidr);
  const start = family === 4 ? ipv4Number(network) : undefined;
  return start === undefined ? undefined : [start, start + 2 ** (32 - prefix) - 1];
}

function lowerBound(keys: Float64Array, value: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((keys[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface RuleAt {
  readonly direction: Direction;
  readonly rule: PolicyRule;
  readonly index: number;
  /** "spec.ingress[0]" */
  readonly field: string;
}

/**
 * The rules that take effect: those of directions the policy's effective
 * policyTypes list (upstream ignores the others; a separate check says so).
 */
export function effectiveRules(policy: NetworkPolicy): RuleAt[] {
  const out: RuleAt[] = [];
  for (const direction of DIRECTIONS) {
    if (!policy.policyTypes.includes(policyTypeOf(direction))) continue;
    policy[direction].forEach((rule, index) => out.push({ direction, rule, index, field: `spec.${direction}[${index}]` }));
  }
  return out;
}

/** "spec.ingress[0].from[1]" */
export function peerField(at: RuleAt, peerIndex: number): string {
  return `${at.field}.${peersField(at.direction)}[${peerIndex}]`;
}
