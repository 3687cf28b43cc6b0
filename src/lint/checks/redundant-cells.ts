// What each rule allows to the pods policies select, in a form the
// redundancy checks can compare exactly: for one direction, pods isolated by
// the same policies (and, for ingress, whose named ports resolve alike) form
// a group, and every flow such a pod can have (every other end: each pod
// address, each address class outside; every port class) falls into a cell,
// the set of rules that allow it. Flows whose cells are equal are allowed by
// the same rules, so the distinct cells are all a check needs: removing a
// rule (or a policy) changes no verdict of a group exactly when every cell
// holding it still holds another rule of an isolating policy.
import type { Direction, NetworkPolicy, Pod, PolicyPort } from '../../model/types.ts';
import type { Endpoint } from '../../policy/endpoint.ts';
import { policySelects, policyTypeOf } from '../../policy/isolation.ts';
import { peerMatches } from '../../policy/peer-match.ts';
import { portsMatch } from '../../policy/port-match.ts';
import { DIRECTIONS, type LintContext, type RuleAt } from '../lint-context.ts';
import { addressClassRepresentatives, namedPortKey, portClasses } from './redundant-classes.ts';

export interface GroupRule {
  readonly policy: NetworkPolicy;
  readonly at: RuleAt;
}

export interface PodGroup {
  readonly direction: Direction;
  /** The policies that isolate the group's pods in the direction, in input order. */
  readonly policies: readonly NetworkPolicy[];
  /** Every rule of those policies in the direction. */
  readonly rules: readonly GroupRule[];
  /** Distinct cells: each the indices (into `rules`) of the rules that allow some flow; every flow is in one. */
  readonly cells: readonly (readonly number[])[];
  /** For each rule, the cells (indices into `cells`) that hold it. */
  readonly cellsOfRule: readonly (readonly number[])[];
  /** One pod of the group, to name in messages. */
  readonly example: Pod;
}

/** The groups of both directions. */
export function podGroups(ctx: LintContext): PodGroup[] {
  return DIRECTIONS.flatMap((direction) => groupsOf(ctx, direction));
}

function groupsOf(ctx: LintContext, direction: Direction): PodGroup[] {
  const type = policyTypeOf(direction);
  const index = new Map(ctx.state.policies.map((p, i) => [p, i]));
  const byKey = new Map<string, { policies: NetworkPolicy[]; example: Pod }>();
  for (const pod of ctx.pods) {
    const policies = ctx.state.policiesIn(pod.namespace).filter((p) => p.policyTypes.includes(type) && policySelects(p, pod));
    if (policies.length === 0) continue;
    // Ingress named ports resolve on the group's own pods, so their ports are part of the key.
    const ports = direction === 'ingress' ? JSON.stringify(pod.ports) : '';
    const key = `${policies.map((p) => index.get(p)).join(',')}|${ports}`;
    if (!byKey.has(key)) byKey.set(key, { policies, example: pod });
  }
  return [...byKey.values()].map(({ policies, example }) => {
    const rules = policies.flatMap((policy) => policy[direction].map((rule, i): GroupRule => ({
      policy, at: { direction, rule, index: i, field: `spec.${direction}[${i}]` },
    })));
    const cells = cellsOf(ctx, direction, rules, example);
    const cellsOfRule: number[][] = rules.map(() => []);
    cells.forEach((cell, c) => {
      for (const i of cell) (cellsOfRule[i] as number[]).push(c);
    });
    return { direction, policies, rules, cells, cellsOfRule, example };
  });
}

/** An other end of the group's flows: the rules whose peers match it (indices, ascending), and the pod named ports resolve on. */
interface OtherEnd {
  readonly rules: readonly number[];
  readonly dst: Pod | undefined;
}

function cellsOf(ctx: LintContext, direction: Direction, rules: readonly GroupRule[], example: Pod): number[][] {
  const entries: PolicyPort[] = rules.flatMap((r) => r.at.rule.ports);
  const peerless: number[] = [];
  rules.forEach((r, i) => {
    if (r.at.rule.peers.length === 0) peerless.push(i);
  });
  const ends = new Map<string, OtherEnd>();
  const add = (matching: readonly number[], pod: Pod | undefined): void => {
    const dst = direction === 'ingress' ? example : pod;
    const key = `${matching.join(',')}|${namedPortKey(entries, dst)}`;
    if (!ends.has(key)) ends.set(key, { rules: matching, dst });
  };

  if (!addOnePeerRuleEnds(ctx, direction, rules, entries, peerless, add)) addPodEnds(ctx, direction, rules, entries, peerless, add);
  // Addresses outside the pods: ipBlocks and rules without peers match them.
  const cidrs = rules.flatMap((r) => r.at.rule.peers.flatMap((p) => (p.kind === 'ipBlock' ? [p.ipBlock.cidr, ...p.ipBlock.except] : [])));
  for (const ip of addressClassRepresentatives(cidrs)) {
    const outside: Endpoint = { kind: 'external', ip };
    const matching: number[] = [];
    rules.forEach((r, i) => {
      if (r.at.rule.peers.length === 0 || r.at.rule.peers.some((p) => p.kind === 'ipBlock' && peerMatches(ctx.state, r.policy, p, outside))) matching.push(i);
    });
    add(matching, undefined);
  }

  const cells = new Map<string, number[]>();
  for (const end of ends.values()) {
    for (const { protocol, port } of portClasses(entries, end.dst)) {
      const allowing = end.rules.filter((i) => portsMatch((rules[i] as GroupRule).at.rule.ports, protocol, port, end.dst));
      const key = allowing.join(',');
      if (!cells.has(key)) cells.set(key, allowing);
    }
  }
  return [...cells.values()];
}

type AddEnd = (matching: readonly number[], pod: Pod | undefined) => void;

/**
 * The common case: at most one rule has peers. Then a pod address is either
 * matched by that rule (with the rules without peers) or not (the rules
 * without peers alone), and only the pods its peers match are looked at,
 * unless named ports of egress rules make the other ends' ports matter.
 */
function addOnePeerRuleEnds(
  ctx: LintContext, direction: Direction, rules: readonly GroupRule[], entries: readonly PolicyPort[], peerless: readonly number[], add: AddEnd,
): boolean {
  const withPeers = rules.flatMap((r, i) => (r.at.rule.peers.length > 0 ? [i] : []));
  if (withPeers.length > 1) return false;
  // Each other end's own ports matter: every pod is one, matched or not.
  const everyPod = direction === 'egress' && entries.some((rp) => typeof rp.port === 'string');
  const i = withPeers[0];
  if (i === undefined) {
    for (const pod of everyPod ? ctx.pods : ctx.pods.slice(0, 1)) add(peerless, pod);
    return true;
  }
  const rule = rules[i] as GroupRule;
  const matching = [...new Set([i, ...peerless])].sort((x, y) => x - y);
  // Pods all of whose addresses the rule matches, and pods only some of whose addresses it does.
  const whole = new Set<Pod>();
  const partly = new Set<Pod>();
  for (const peer of rule.at.rule.peers) {
    if (peer.kind === 'pods') for (const pod of ctx.peerPods(rule.policy, peer)) whole.add(pod);
  }
  for (const peer of rule.at.rule.peers) {
    if (peer.kind !== 'ipBlock') continue;
    for (const pod of ctx.peerPods(rule.policy, peer)) {
      if (whole.has(pod)) continue;
      const inside = pod.ips.filter((ip) => peerMatches(ctx.state, rule.policy, peer, { kind: 'pod', ip, pod })).length;
      if (inside === pod.ips.length) whole.add(pod);
      else if (inside > 0) partly.add(pod);
    }
  }
  for (const pod of partly) {
    // Another ipBlock of the rule may hold the rest; each address is then judged by itself.
    if (pod.ips.every((ip) => rule.at.rule.peers.some((peer) => peer.kind === 'ipBlock' && peerMatches(ctx.state, rule.policy, peer, { kind: 'pod', ip, pod })))) {
      partly.delete(pod);
      whole.add(pod);
    }
  }
  const matched = [...whole, ...partly];
  for (const pod of everyPod ? matched : matched.slice(0, 1)) add(matching, pod);
  // Addresses the rule does not match: the rules without peers alone.
  const unmatched = (pod: Pod): boolean => partly.has(pod) || !whole.has(pod);
  if (everyPod && peerless.length > 0) {
    for (const pod of ctx.pods) if (unmatched(pod)) add(peerless, pod);
  } else {
    const pod = ctx.pods.find(unmatched);
    if (pod) add(peerless, pod);
  }
  return true;
}

/** Every pod address as an other end: which rules' peers match it. */
function addPodEnds(
  ctx: LintContext, direction: Direction, rules: readonly GroupRule[], entries: readonly PolicyPort[], peerless: readonly number[], add: AddEnd,
): void {
  // Pods some peer matches: each peer marks its pods, so the cost is what
  // the peers match. Selector peers match a pod whatever its address; an
  // ipBlock matches addresses, so a pod's addresses are marked one by one.
  // Rules are visited in order, so each list stays ascending.
  const bySelector = new Map<Pod, number[]>();
  const byAddress = new Map<Pod, number[][]>();
  rules.forEach((r, i) => {
    for (const peer of r.at.rule.peers) {
      for (const pod of ctx.peerPods(r.policy, peer)) {
        if (peer.kind === 'pods') {
          const list = bySelector.get(pod);
          if (!list) bySelector.set(pod, [i]);
          else if (list[list.length - 1] !== i) list.push(i);
          continue;
        }
        let lists = byAddress.get(pod);
        if (!lists) byAddress.set(pod, (lists = pod.ips.map(() => [])));
        lists.forEach((list, k) => {
          if (list[list.length - 1] !== i && peerMatches(ctx.state, r.policy, peer, { kind: 'pod', ip: pod.ips[k] as string, pod })) list.push(i);
        });
      }
    }
  });
  const union = (...lists: (readonly number[] | undefined)[]): number[] => {
    const present = lists.filter((l): l is readonly number[] => l !== undefined && l.length > 0);
    if (present.length === 1) return present[0] as number[];
    return [...new Set(present.flat())].sort((x, y) => x - y);
  };
  const matched = new Set<Pod>([...bySelector.keys(), ...byAddress.keys()]);
  for (const pod of matched) {
    const selectors = bySelector.get(pod);
    const addresses = byAddress.get(pod);
    if (!addresses) add(union(selectors, peerless), pod);
    else for (const list of addresses) add(union(selectors, list, peerless), pod);
  }
  // Every other pod is matched by the rules without peers alone; for egress
  // they differ only in how the named ports resolve on them.
  const egressNames = direction === 'egress' && peerless.length > 0 && entries.some((rp) => typeof rp.port === 'string');
  for (const pod of ctx.pods) {
    if (matched.has(pod)) continue;
    add(peerless, pod);
    if (!egressNames) break;
  }
}
