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
import type { ClusterPolicy, ClusterRule, Direction, NetworkPolicy, Pod, PolicyRule } from '../../model/types.ts';
import { PROTOCOLS } from '../../model/types.ts';
import { clusterPeerMiss, clusterPortMiss } from '../../policy/cluster-match.ts';
import { ruleMatch, type DirectionInput } from '../../policy/direction.ts';
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
}

export interface ClusterFlowFates {
  /** By ruleKey. */
  readonly cluster: Map<string, RuleFate>;
  /** By networkRuleKey. */
  readonly network: Map<string, RuleFate>;
  /** Each cluster rule's place, by its key "policy\u0000direction\u0000index" as shadowedBy/overriddenBy name them. */
  readonly places: Map<string, ClusterRuleAt>;
}

export function ruleKey(at: ClusterRuleAt): string {
  return `${at.policy.kind}\u0000${at.policy.name}\u0000${at.direction}\u0000${at.index}`;
}

export function networkRuleKey(policy: NetworkPolicy, direction: Direction, index: number): string {
  return `${policy.namespace}\u0000${policy.name}\u0000${direction}\u0000${index}`;
}

function fateOf<K>(map: Map<K, RuleFate>, key: K): RuleFate {
  let f = map.get(key);
  if (!f) map.set(key, (f = { matched: false, first: false, shadowedBy: new Set(), reached: false, overriddenBy: new Set() }));
  return f;
}

/** Whether a cluster rule matches a flow: the engine's own peer and port matching. */
function clusterRuleMatches(state: ClusterState, rule: ClusterRule, input: DirectionInput, dst: Pod | undefined): boolean {
  const other = input.other;
  const peer = rule.peers.some((p) => !(p.kind === 'networks' && other.ip === '') && clusterPeerMiss(state, p, other) === undefined);
  return peer && (rule.ports.length === 0 || rule.ports.some((cp) => clusterPortMiss(cp, input.protocol, input.port, dst) === undefined));
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
    if (tiers.admin.length === 0 && tiers.baseline.length === 0) continue;
    const isolating = ctx.engine.isolatingPolicies(pod, direction);
    // A pod without an address has no flows; the address families it has decide which other ends it can meet.
    if (pod.ips.length === 0) continue;
    const key = [tiers.admin.map(id).join(','), tiers.baseline.map(id).join(','), isolating.map(id).join(','),
      direction === 'ingress' ? JSON.stringify(pod.ports) : '', [...new Set(pod.ips.map(familyOf))].sort().join(',')].join('|');
    if (!groups.has(key)) {
      groups.set(key, { direction, admin: rulesOf(tiers.admin, direction), baseline: rulesOf(tiers.baseline, direction), isolating, example: pod });
    }
  }
  return [...groups.values()];
}

/** The pod end of a pod in an address family, if it has an address there. */
function podEnd(pod: Pod, family: IPFamily): Endpoint | undefined {
  const ip = pod.ips.find((a) => familyOf(a) === family);
  return ip === undefined ? undefined : { kind: 'pod', ip, pod };
}

/**
 * Every other end a group's flows can have, in each family its pods have:
 * each pod (the example too, standing for the group's other pods), each node
 * address, each outside class.
 */
function otherEnds(ctx: LintContext, family: IPFamily): Endpoint[] {
  const ends: Endpoint[] = ctx.pods.map((p) => podEnd(p, family)).filter((e): e is Endpoint => e !== undefined);
  for (const node of ctx.state.nodes.values()) for (const ip of node.addresses) if (familyOf(ip) === family) ends.push(addressEndpoint(ctx.state, ip));
  for (const c of ctx.outsideClasses()) if (c.family === family) ends.push(addressEndpoint(ctx.state, c.representative));
  return ends;
}

/** Walks every group's flows once; the fates of every rule cluster policies and isolating NetworkPolicies have. */
export function clusterFlowFates(ctx: LintContext): ClusterFlowFates {
  const out: ClusterFlowFates = { cluster: new Map(), network: new Map(), places: new Map() };
  if (ctx.state.clusterPolicies.size === 0) return out;
  for (const direction of DIRECTIONS) {
    for (const g of groupsOf(ctx, direction)) walkGroup(ctx, g, out);
  }
  return out;
}

function walkGroup(ctx: LintContext, g: Group, out: ClusterFlowFates): void {
  for (const at of [...g.admin, ...g.baseline]) out.places.set(ruleKey(at), at);
  const npRules = g.isolating.flatMap((policy) => policy[g.direction].map((rule, i) => ({ policy, rule, key: networkRuleKey(policy, g.direction, i) })));
  const clusterRules = [...g.admin, ...g.baseline].map((at) => at.rule);
  for (const family of [...new Set(g.example.ips.map(familyOf))]) walkFamily(ctx, g, out, family, npRules, clusterRules);
}

function walkFamily(
  ctx: LintContext, g: Group, out: ClusterFlowFates, family: IPFamily,
  npRules: readonly { policy: NetworkPolicy; rule: PolicyRule; key: string }[], clusterRules: readonly ClusterRule[],
): void {
  const state = ctx.state;
  const self = podEnd(g.example, family);
  if (self === undefined) return;
  for (const other of otherEnds(ctx, family)) {
    if (other.kind === 'external' && other.unknownPodOn !== undefined) continue; // denied before any tier
    const dst = g.direction === 'ingress' ? g.example : other.kind === 'pod' ? other.pod : undefined;
    const probes: [string, number | undefined][] = PROTOCOLS.flatMap((protocol) =>
      portClassStarts(npRules.map((r) => r.rule), protocol, dst ? [dst] : [], clusterRules).map((p): [string, number] => [protocol, p]));
    probes.push([OTHER_PROTOCOL_PROBE, undefined]);
    for (const [protocol, port] of probes) {
      const input: DirectionInput = { direction: g.direction, subject: self, other, protocol, port };
      const admin = tierWalk(state, g.admin, input, dst, out);
      const adminFinal = admin !== undefined && admin.rule.action !== 'Pass' ? admin : undefined;
      for (const { policy, rule, key } of npRules) {
        if (!ruleMatch(state, policy, rule, input)) continue;
        const f = fateOf(out.network, key);
        f.matched = true;
        if (adminFinal === undefined) f.reached = true;
        else f.overriddenBy.add(ruleKey(adminFinal));
      }
      tierWalk(state, g.baseline, input, dst, out);
      for (const at of g.baseline) {
        if (!clusterRuleMatches(state, at.rule, input, dst)) continue;
        const f = fateOf(out.cluster, ruleKey(at));
        if (adminFinal !== undefined) f.overriddenBy.add(ruleKey(adminFinal));
        else if (g.isolating.length > 0) f.overriddenBy.add('NetworkPolicy');
        else f.reached = true;
      }
    }
  }
}

/** The first rule of a tier that matches the flow; records every matching rule's fate. */
function tierWalk(state: ClusterState, rules: readonly ClusterRuleAt[], input: DirectionInput, dst: Pod | undefined, out: ClusterFlowFates): ClusterRuleAt | undefined {
  let first: ClusterRuleAt | undefined;
  for (const at of rules) {
    if (!clusterRuleMatches(state, at.rule, input, dst)) continue;
    const f = fateOf(out.cluster, ruleKey(at));
    f.matched = true;
    if (first === undefined) {
      first = at;
      f.first = true;
    } else {
      f.shadowedBy.add(ruleKey(first));
    }
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
