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
import { portMatches } from '../../policy/port-match.ts';
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
    return { direction, policies, rules, cells: cellsOf(ctx, direction, rules, example), example };
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

  // Pods some peer matches, each address by itself (an ipBlock matches
  // addresses): each peer marks its pods, so the cost is what the peers
  // match. Rules are visited in order, so each list stays ascending.
  const marks = new Map<Pod, Set<number>[]>();
  rules.forEach((r, i) => {
    for (const peer of r.at.rule.peers) {
      for (const pod of ctx.peerPods(r.policy, peer)) {
        let byAddress = marks.get(pod);
        if (!byAddress) marks.set(pod, (byAddress = (pod.ips.length > 0 ? pod.ips : ['']).map(() => new Set<number>())));
        byAddress.forEach((matching, k) => {
          if (matching.has(i)) return;
          const ip = pod.ips[k] ?? '';
          if (peer.kind === 'pods' || (ip !== '' && peerMatches(ctx.state, r.policy, peer, { kind: 'pod', ip, pod }))) matching.add(i);
        });
      }
    }
  });
  const withPeerless = (matching: Set<number>): number[] => (peerless.length === 0 ? [...matching] : [...new Set([...matching, ...peerless])].sort((a, b) => a - b));
  for (const [pod, byAddress] of marks) for (const matching of byAddress) add(withPeerless(matching), pod);
  // Every other pod is matched by the rules without peers alone; for egress
  // they differ only in how the named ports resolve on them.
  const egressNames = direction === 'egress' && peerless.length > 0 && entries.some((rp) => typeof rp.port === 'string');
  for (const pod of ctx.pods) {
    if (marks.has(pod)) continue;
    add(peerless, pod);
    if (!egressNames) break;
  }
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
      const allowing = end.rules.filter((i) => {
        const ports = (rules[i] as GroupRule).at.rule.ports;
        return ports.length === 0 || ports.some((rp) => portMatches(rp, protocol, port, end.dst));
      });
      const key = allowing.join(',');
      if (!cells.has(key)) cells.set(key, allowing);
    }
  }
  return [...cells.values()];
}
