// What every check needs: the engine's indexes and matching, asked in the
// shape lint asks them ("which pods does this peer match?") rather than the
// engine's ("does this peer match that endpoint?"). Nothing here decides
// semantics; every answer comes from the engine's own functions.
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

  constructor(objects: ClusterObjects) {
    this.state = new ClusterState(objects);
    this.engine = new PolicyEngine(this.state);
    this.pods = objects.pods.filter((p) => !p.hostNetwork && p.phase !== 'Succeeded' && p.phase !== 'Failed');
    this.namespaceNames = [...new Set([...objects.namespaces.map((n) => n.name), ...objects.pods.map((p) => p.namespace)])].sort();
  }

  podsSelectedBy(policy: NetworkPolicy): Pod[] {
    return this.pods.filter((p) => policySelects(policy, p));
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

  private matchPeer(policy: NetworkPolicy, peer: Peer): Pod[] {
    if (peer.kind === 'pods') return this.pods.filter((pod) => peerMatches(this.state, policy, peer, { kind: 'pod', ip: '', pod }));
    const inside: Pod[] = [];
    for (const pod of this.state.participatingPods()) {
      if (pod.ips.some((ip) => peerMatches(this.state, policy, peer, { kind: 'pod', ip, pod }))) inside.push(pod);
    }
    return inside;
  }

  /** Pods any peer of the rule matches; a rule without peers matches every pod. */
  rulePeerPods(policy: NetworkPolicy, rule: PolicyRule): Pod[] {
    if (rule.peers.length === 0) return [...this.pods];
    const seen = new Set<Pod>();
    for (const peer of rule.peers) for (const pod of this.peerPods(policy, peer)) seen.add(pod);
    return [...seen];
  }
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
