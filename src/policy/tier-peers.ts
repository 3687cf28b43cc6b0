// The rules of a pod's Admin and Baseline policies whose peers hold the other
// end of a flow, remembered per other pod. In a matrix every pod is the other
// end of every pair in its column, and pods share their cluster policies: the
// engine bench's 1,000 pods under 100 cluster-wide policies have 60 distinct
// lists a direction. So the lists are interned (one TierPolicies object for
// every pod with the same policies in a direction), and for each list and
// other pod (at one of its addresses: networks peers match the address) the
// rules whose peers match are found once; a question then checks the ports
// of those rules only. Matching a rule means a peer and a port both match,
// whichever is checked first, so the answers are tierMatch's.
//
// The memo holds while ClusterState.clusterPolicyGeneration stays (cluster
// policies, namespaces and nodes unchanged): a peer's match on a pod reads
// only the pod (a changed pod is a new object), its namespace's labels and
// its address. Other ends (nodes, outside addresses) are matched afresh:
// they are few, and a nodes peer reads node labels.
import type { ClusterState } from '../model/cluster-state.ts';
import type { ClusterPolicy, ClusterRule, ClusterRuleAction, Direction, Pod } from '../model/types.ts';
import { clusterPolicyKey } from '../model/types.ts';
import { clusterPortsMatch, clusterRulePeersMatch } from './cluster-match.ts';
import type { Endpoint } from './endpoint.ts';
import type { TierPolicies } from './tiers.ts';

/** A direction's Admin and Baseline rules whose peers hold the other end, each tier in evaluation order. */
export interface TierPeers {
  readonly admin: readonly ClusterRule[];
  readonly baseline: readonly ClusterRule[];
}

export const NO_TIER_PEERS: TierPeers = { admin: [], baseline: [] };

/** Matches the peers of every rule of the policies against `other` (`holds` answers for a rule, remembered or not). */
export function matchTierPeers(
  state: ClusterState, tiers: TierPolicies, direction: Direction, other: Endpoint,
  holds: (rule: ClusterRule) => boolean = (rule) => clusterRulePeersMatch(state, rule, other),
): TierPeers {
  if (tiers.admin.length === 0 && tiers.baseline.length === 0) return NO_TIER_PEERS;
  const rulesHolding = (policies: readonly ClusterPolicy[]): ClusterRule[] => policies.flatMap((policy) => policy[direction].filter(holds));
  const admin = rulesHolding(tiers.admin);
  const baseline = rulesHolding(tiers.baseline);
  // An other end no rule holds shares one answer: the memo keeps no lists for it.
  return admin.length === 0 && baseline.length === 0 ? NO_TIER_PEERS : { admin, baseline };
}

/** The action of the first rule whose ports hold the flow's (its peers already matched), if any. */
export function firstByPorts(rules: readonly ClusterRule[], protocol: string, port: number | undefined, dstPod: Pod | undefined): ClusterRuleAction | undefined {
  for (const rule of rules) if (clusterPortsMatch(rule.ports, protocol, port, dstPod)) return rule.action;
  return undefined;
}

/**
 * What is remembered of an other pod at one of its addresses (networks peers
 * match the address): per interned list (by its number), the rules whose
 * peers hold it; and per rule (by its number), whether its peers hold it.
 */
interface OtherPod {
  readonly ip: string;
  readonly lists: (TierPeers | undefined)[];
  readonly rules: (boolean | undefined)[];
}

/** An interned list: the one TierPolicies object for its policies in its direction, numbered at its generation. */
class InternedTiers implements TierPolicies {
  readonly admin: readonly ClusterPolicy[];
  readonly baseline: readonly ClusterPolicy[];
  readonly direction: Direction;
  readonly generation: number;
  readonly number: number;

  constructor(tiers: TierPolicies, direction: Direction, generation: number, number: number) {
    this.admin = tiers.admin;
    this.baseline = tiers.baseline;
    this.direction = direction;
    this.generation = generation;
    this.number = number;
  }
}

/** The interned tier lists and, per other pod, the rules of each list whose peers hold it. */
export class TierPeerMemo {
  private generation = -1;
  private readonly interned = new Map<string, InternedTiers>();
  // A rule is in many lists: whether its peers hold an other pod is
  // remembered per rule too, so filling a list's entry matches only the
  // rules no list has asked about that pod. One WeakMap for every list (not
  // one a list): a garbage collection walks each weak entry.
  private ruleNumbers = new Map<ClusterRule, number>();
  private others = new WeakMap<Pod, OtherPod[]>();

  /** The one TierPolicies object for these policies in this direction, at this generation. */
  intern(generation: number, direction: Direction, tiers: TierPolicies): TierPolicies {
    if (generation !== this.generation) {
      this.generation = generation;
      this.interned.clear();
      this.ruleNumbers = new Map();
      this.others = new WeakMap();
    }
    const key = `${direction} ${[...tiers.admin, ...tiers.baseline].map(clusterPolicyKey).join(' ')}`;
    let known = this.interned.get(key);
    if (known === undefined) this.interned.set(key, (known = new InternedTiers(tiers, direction, generation, this.interned.size)));
    return known;
  }

  /** The rules of `tiers` whose peers hold `other`: remembered when the lists are interned for this direction at this generation and `other` is a pod. */
  peers(state: ClusterState, tiers: TierPolicies, direction: Direction, other: Endpoint): TierPeers {
    if (other.kind !== 'pod' || !(tiers instanceof InternedTiers) || tiers.direction !== direction || tiers.generation !== this.generation) {
      return matchTierPeers(state, tiers, direction, other);
    }
    const memo = this.otherPod(other.pod, other.ip);
    return (memo.lists[tiers.number] ??= matchTierPeers(state, tiers, direction, other, (rule) => {
      let n = this.ruleNumbers.get(rule);
      if (n === undefined) this.ruleNumbers.set(rule, (n = this.ruleNumbers.size));
      return (memo.rules[n] ??= clusterRulePeersMatch(state, rule, other));
    }));
  }

  private otherPod(pod: Pod, ip: string): OtherPod {
    let known = this.others.get(pod);
    if (known === undefined) this.others.set(pod, (known = []));
    for (const at of known) if (at.ip === ip) return at;
    const memo: OtherPod = { ip, lists: [], rules: [] };
    known.push(memo);
    return memo;
  }
}
