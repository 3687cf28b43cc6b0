// Which rule decides each flow of the pods cluster-wide policies select,
// computed exactly on classes (as connection sets are), never by sampling:
// for one direction, pods with the same Admin policies, Baseline policies and
// isolating NetworkPolicies (and, for ingress, the same container ports, on
// which named ports resolve) form a group; every flow such a pod can have
// goes to some other end (each pod, each node address, each class of outside
// addresses that the policies' ipBlocks and networks cut, outside-classes.ts)
// on some port class (the edges of the group's cluster and NetworkPolicy
// port entries, connection-set.ts's portClassStarts) or a protocol without
// ports. Within one (end, class) every rule matches every flow or none, so
// one question per (group, end, class) answers for all of them.
//
// For each rule the walk records whether some flow matches it, whether it
// ever matches first within its tier (a rule never first is shadowed: every
// flow it matches is decided, or passed, earlier), and whether the step it
// belongs to is ever reached for a flow it matches (a NetworkPolicy rule is
// not when an Admin Accept or Deny decides first; a Baseline rule is not
// when the Admin tier decides, or NetworkPolicy isolates the pod).
import { OTHER_PROTOCOL_PROBE, portClassStarts } from '../../explain/connection-set.ts';
import type { ClusterState } from '../../model/cluster-state.ts';
import { familyOf, type IPFamily } from '../../model/addresses.ts';
import type { ClusterPeer, ClusterPolicy, ClusterRule, Direction, NetworkPolicy, Peer, Pod, PolicyRule } from '../../model/types.ts';
import { PROTOCOLS } from '../../model/types.ts';
import { clusterPeerMiss, clusterPortsMatch } from '../../policy/cluster-match.ts';
import { peerMatches } from '../../policy/peer-match.ts';
import { portsMatch } from '../../policy/port-match.ts';
import { addressEndpoint, type Endpoint } from '../../policy/endpoint.ts';
import { DIRECTIONS, type LintContext } from '../lint-context.ts';

/** What the walk learned about one rule, over every group it is in. */
export interface RuleFate {
  /** Some flow matches it. */
  matched: boolean;
  /** It matched first within its tier for some flow (cluster rules). */
  first: boolean;
  /** The rules that matched first instead, where it did not (cluster rules): "policy\u0000index". */
  readonly shadowedBy: Set<string>;
  /** Its step was reached for some flow it matches (NetworkPolicy and Baseline rules). */
  reached: boolean;
  /** What decided first where its step was not reached: an Admin rule's key, or "NetworkPolicy". */
  readonly overriddenBy: Set<string>;
}

/** A cluster rule by place: the policy, its direction and index. */
export interface ClusterRuleAt {
  readonly policy: ClusterPolicy;
  readonly direction: Direction;
  readonly index: number;
  readonly rule: ClusterRule;
  /** ruleKey, once computed. */
  key?: string;
}

export interface ClusterFlowFates {
  /** The (direction, rules met, destination ports) already walked. */
  readonly walked: Set<string>;
  /** A short number for a rule key (or ports), for `walked`'s keys. */
  readonly idOf: (key: string) => number;
  /** By ruleKey. */
  readonly cluster: Map<string, RuleFate>;
  /** By networkRuleKey. */
  readonly network: Map<string, RuleFate>;
  /** Each cluster rule's place, by its key "policy\u0000direction\u0000index" as shadowedBy/overriddenBy name them. */
  readonly places: Map<string, ClusterRuleAt>;
}

export function ruleKey(at: ClusterRuleAt): string {
  return (at.key ??= `${at.policy.kind}\u0000${at.policy.name}\u0000${at.direction}\u0000${at.index}`);
}

export function networkRuleKey(policy: NetworkPolicy, direction: Direction, index: number): string {
  return `${policy.namespace}\u0000${policy.name}\u0000${direction}\u0000${index}`;
}

function fateOf<K>(map: Map<K, RuleFate>, key: K): RuleFate {
  let f = map.get(key);
  if (!f) map.set(key, (f = { matched: false, first: false, shadowedBy: new Set(), reached: false, overriddenBy: new Set() }));
  return f;
}

interface Group {
  readonly direction: Direction;
  readonly admin: readonly ClusterRuleAt[];
  readonly baseline: readonly ClusterRuleAt[];
  readonly isolating: readonly NetworkPolicy[];
  readonly example: Pod;
}

function rulesOf(policies: readonly ClusterPolicy[], direction: Direction): ClusterRuleAt[] {
  return policies.flatMap((policy) => policy[direction].map((rule, index) => ({ policy, direction, index, rule })));
}

function groupsOf(ctx: LintContext, direction: Direction): Group[] {
  const ids = new Map<object, number>();
  const id = (o: object): number => {
    let n = ids.get(o);
    if (n === undefined) ids.set(o, (n = ids.size));
    return n;
  };
  const groups = new Map<string, Group>();
  for (const pod of ctx.pods) {
    const tiers = ctx.engine.tierPolicies(pod, direction);
    const isolating = ctx.engine.isolatingPolicies(pod, direction);
    // A pod no cluster policy selects still counts when NetworkPolicy isolates
    // it: there its NetworkPolicy rules are reached (a rule the Admin tier
    // overrides for some pods may still decide for others).
    if (tiers.admin.length === 0 && tiers.baseline.length === 0 && isolating.length === 0) continue;
    // The address families a pod has decide which other ends it meets (none: manifests' workloads may have no address yet).
    const key = [tiers.admin.map(id).join(','), tiers.baseline.map(id).join(','), isolating.map(id).join(','),
      direction === 'ingress' ? JSON.stringify(pod.ports) : '', [...new Set(pod.ips.map(familyOf))].sort().join(',')].join('|');
    if (!groups.has(key)) {
      groups.set(key, { direction, admin: rulesOf(tiers.admin, direction), baseline: rulesOf(tiers.baseline, direction), isolating, example: pod });
    }
  }
  return [...groups.values()];
}

/**
 * The pod end of a pod in an address family, if it has an address there;
 * for ADDRESSLESS, its first address or none ("": matched by selectors only).
 */
function podEnd(pod: Pod, family: Family): Endpoint | undefined {
  if (family === ADDRESSLESS) return { kind: 'pod', ip: pod.ips[0] ?? '', pod };
  const ip = pod.ips.find((a) => familyOf(a) === family);
  return ip === undefined ? undefined : { kind: 'pod', ip, pod };
}

/** The flows of pods without an address (a workload in manifests): every pod, node and outside end, whatever its family. */
const ADDRESSLESS = 0;
type Family = IPFamily | typeof ADDRESSLESS;

/**
 * Every other end a family's flows can have: each pod (a group's example too,
 * standing for the group's other pods), each node address, each outside
 * class (not an address in a pod CIDR that no pod holds: denied before any
 * tier); and, per peer, which of them it matches, asked once.
 */
class Ends {
  readonly list: Endpoint[] = [];
  private readonly masks = new Map<object, Map<object | undefined, Uint8Array>>();
  private readonly state: ClusterState;

  constructor(ctx: LintContext, family: Family) {
    this.state = ctx.state;
    for (const p of ctx.pods) {
      const e = podEnd(p, family);
      if (e) this.list.push(e);
    }
    const inFamily = (ip: string): boolean => family === ADDRESSLESS || familyOf(ip) === family;
    for (const node of ctx.state.nodes.values()) for (const ip of node.addresses) if (inFamily(ip)) this.list.push(addressEndpoint(ctx.state, ip));
    for (const c of ctx.outsideClasses()) {
      const e = inFamily(c.representative) ? addressEndpoint(ctx.state, c.representative) : undefined;
      if (e !== undefined && !(e.kind === 'external' && e.unknownPodOn !== undefined)) this.list.push(e);
    }
  }

  private readonly ruleMasks = new Map<object, Map<object | undefined, Uint8Array>>();

  /** Which ends any of a rule's peers match (the rule's peers list, of a NetworkPolicy when given). */
  ruleMask(peers: readonly (ClusterPeer | Peer)[], policy?: NetworkPolicy): Uint8Array {
    let byPolicy = this.ruleMasks.get(peers);
    if (!byPolicy) this.ruleMasks.set(peers, (byPolicy = new Map()));
    let m = byPolicy.get(policy);
    if (!m) {
      m = new Uint8Array(this.list.length);
      for (const peer of peers) {
        const pm = this.mask(peer, policy);
        for (let e = 0; e < m.length; e++) m[e] = (m[e] as number) | (pm[e] as number);
      }
      byPolicy.set(policy, m);
    }
    return m;
  }

  private ports: { ids: Int32Array; kinds: number } | undefined;

  /** Per end, an id of its container ports (0: not a pod), for the named ports of egress rules. */
  portsIds(): Int32Array {
    return this.portsOf().ids;
  }

  portsKinds(): number {
    return this.portsOf().kinds;
  }

  private portsOf(): { ids: Int32Array; kinds: number } {
    if (!this.ports) {
      const seen = new Map<string, number>([['-', 0]]);
      const ids = Int32Array.from(this.list, (e) => {
        const k = e.kind === 'pod' ? JSON.stringify(e.pod.ports) : '-';
        let id = seen.get(k);
        if (id === undefined) seen.set(k, (id = seen.size));
        return id;
      });
      this.ports = { ids, kinds: seen.size };
    }
    return this.ports;
  }

  /** Which ends a peer matches (a NetworkPolicy peer reads its policy's namespace). */
  mask(peer: ClusterPeer | Peer, policy?: NetworkPolicy): Uint8Array {
    let byPolicy = this.masks.get(peer);
    if (!byPolicy) this.masks.set(peer, (byPolicy = new Map()));
    let m = byPolicy.get(policy);
    if (!m) {
      // An end without an address is matched by selectors only, never by networks or ipBlocks.
      const byAddress = peer.kind === 'networks' || peer.kind === 'ipBlock';
      m = Uint8Array.from(this.list, (e) => Number(e.ip === '' && byAddress ? false : policy === undefined
        ? clusterPeerMiss(this.state, peer as ClusterPeer, e) === undefined
        : peerMatches(this.state, policy, peer as Peer, e)));
      byPolicy.set(policy, m);
    }
    return m;
  }
}

/** Walks every group's flows once; the fates of every rule cluster policies and isolating NetworkPolicies have. */
export function clusterFlowFates(ctx: LintContext): ClusterFlowFates {
  const ids = new Map<string, number>();
  const idOf = (key: string): number => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };
  const out: ClusterFlowFates = { walked: new Set(), idOf, cluster: new Map(), network: new Map(), places: new Map() };
  if (ctx.state.clusterPolicies.size === 0) return out;
  const ends = new Map<Family, Ends>();
  const endsOf = (f: Family): Ends => {
    let e = ends.get(f);
    if (!e) ends.set(f, (e = new Ends(ctx, f)));
    return e;
  };
  for (const direction of DIRECTIONS) {
    for (const g of groupsOf(ctx, direction)) {
      for (const at of [...g.admin, ...g.baseline]) out.places.set(ruleKey(at), at);
      const families: Family[] = g.example.ips.length === 0 ? [ADDRESSLESS] : [...new Set(g.example.ips.map(familyOf))];
      for (const family of families) walkFamily(g, out, endsOf(family));
    }
  }
  return out;
}

interface NetworkRuleAt {
  readonly policy: NetworkPolicy;
  readonly rule: PolicyRule;
  readonly key: string;
}

/**
 * One group's flows in one family. Ends whose peers match alike (the same
 * rules' peers) and, for egress, whose container ports are alike (named
 * ports resolve on them) meet the rules alike: one end stands for them.
 */
function walkFamily(g: Group, out: ClusterFlowFates, ends: Ends): void {
  const npRules: NetworkRuleAt[] = g.isolating.flatMap((policy) => policy[g.direction].map((rule, i) => ({ policy, rule, key: networkRuleKey(policy, g.direction, i) })));
  const clusterAt = [...g.admin, ...g.baseline];
  const masks = [
    ...clusterAt.map((at) => ends.ruleMask(at.rule.peers)),
    ...npRules.map((r) => (r.rule.peers.length === 0 ? undefined : ends.ruleMask(r.rule.peers, r.policy))),
  ];
  // Partition the ends by which rules' peers match them (and, for egress, by
  // the destination's container ports): refine one rule at a time.
  const n = ends.list.length;
  let cls = new Int32Array(n);
  let classes = 1;
  const refine = (bit: (e: number) => number, values: number): void => {
    const table = new Int32Array(classes * values).fill(-1);
    const next = new Int32Array(n);
    let count = 0;
    for (let e = 0; e < n; e++) {
      const k = (cls[e] as number) * values + bit(e);
      if (table[k] === -1) table[k] = count++;
      next[e] = table[k] as number;
    }
    cls = next;
    classes = count;
  };
  const any = new Uint8Array(n);
  for (const m of masks) {
    if (m === undefined) {
      any.fill(1);
      continue;
    }
    for (let e = 0; e < n; e++) any[e] = (any[e] as number) | (m[e] as number);
    refine((e) => m[e] as number, 2);
  }
  const dstOf = (other: Endpoint): Pod | undefined => (g.direction === 'ingress' ? g.example : other.kind === 'pod' ? other.pod : undefined);
  if (g.direction === 'egress') {
    const ids = ends.portsIds();
    refine((e) => ids[e] as number, ends.portsKinds());
  }
  const done = new Uint8Array(classes);
  for (let e = 0; e < n; e++) {
    if (any[e] === 0 || done[cls[e] as number] === 1) continue; // no rule matches any flow to it, or its class is walked
    done[cls[e] as number] = 1;
    const cs = clusterAt.filter((_, i) => (masks[i] as Uint8Array)[e] === 1);
    const ns = npRules.filter((_, i) => masks[clusterAt.length + i]?.[e] !== 0);
    const dst = dstOf(ends.list[e] as Endpoint);
    // Groups and ends that meet the same rules with the same destination ports walk alike: once in the whole run.
    const key = `${g.direction}|${g.isolating.length > 0 ? 'i' : ''}|${cs.map((at) => out.idOf(ruleKey(at))).join(',')}|${ns.map((r) => out.idOf(r.key)).join(',')}|${g.direction === 'ingress' ? out.idOf(JSON.stringify(g.example.ports)) : ends.portsIds()[e] ?? ''}`;
    if (out.walked.has(key)) continue;
    out.walked.add(key);
    walkEnd(g, out, cs, ns, dst);
  }
}

/** The flows to one end, on every port class: the rules whose peers match it, in order. */
function walkEnd(g: Group, out: ClusterFlowFates, cluster: readonly ClusterRuleAt[], network: readonly NetworkRuleAt[], dst: Pod | undefined): void {
  const admin = cluster.filter((at) => at.policy.tier === 'Admin');
  const baseline = cluster.filter((at) => at.policy.tier === 'Baseline');
  const probes: [string, number | undefined][] = PROTOCOLS.flatMap((protocol) =>
    portClassStarts(network.map((r) => r.rule), protocol, dst ? [dst] : [], cluster.map((at) => at.rule)).map((p): [string, number] => [protocol, p]));
  probes.push([OTHER_PROTOCOL_PROBE, undefined]);
  for (const [protocol, port] of probes) {
    const portOk = (at: ClusterRuleAt): boolean => clusterPortsMatch(at.rule.ports, protocol, port, dst);
    const first = tierWalk(admin.filter(portOk), out);
    const adminFinal = first !== undefined && first.rule.action !== 'Pass' ? first : undefined;
    for (const { rule, key } of network) {
      if (!portsMatch(rule.ports, protocol, port, dst)) continue;
      const f = fateOf(out.network, key);
      f.matched = true;
      if (adminFinal === undefined) f.reached = true;
      else f.overriddenBy.add(ruleKey(adminFinal));
    }
    const matching = baseline.filter(portOk);
    tierWalk(matching, out);
    for (const at of matching) {
      const f = fateOf(out.cluster, ruleKey(at));
      if (adminFinal !== undefined) f.overriddenBy.add(ruleKey(adminFinal));
      else if (g.isolating.length > 0) f.overriddenBy.add('NetworkPolicy');
      else f.reached = true;
    }
  }
}

/** The rules of a tier that match a flow, in order: the first decides (or passes); records each one's fate. */
function tierWalk(matching: readonly ClusterRuleAt[], out: ClusterFlowFates): ClusterRuleAt | undefined {
  const first = matching[0];
  for (const at of matching) {
    const f = fateOf(out.cluster, ruleKey(at));
    f.matched = true;
    if (at === first) f.first = true;
    else if (first !== undefined) f.shadowedBy.add(ruleKey(first));
  }
  return first;
}

const memo = new WeakMap<LintContext, ClusterFlowFates>();

/** clusterFlowFates, walked once per lint run (several checks read it). */
export function fatesOf(ctx: LintContext): ClusterFlowFates {
  let f = memo.get(ctx);
  if (!f) memo.set(ctx, (f = clusterFlowFates(ctx)));
  return f;
}
