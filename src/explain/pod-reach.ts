// What `policy-explain pod` reports about one pod, per direction: the
// policies that select it and whether they isolate it, each rule of the
// isolating policies in words, and the known pods and workloads the rule
// lets through. Every answer comes from the engine: ruleMatch says whether
// the rule itself admits a peer, PolicyEngine.allows whether the whole flow
// (the peer's own policies included) is allowed.
import { familyOf } from '../model/addresses.ts';
import type {
  ClusterPolicy, ClusterPolicyKind, ClusterRule, ClusterRuleAction, ClusterTier, Direction, NetworkPolicy, Pod, PolicyRule, PolicyType, SourceRef,
} from '../model/types.ts';
import { tierMatch } from '../policy/cluster-tier.ts';
import type { TierPolicies } from '../policy/tiers.ts';
import { clusterPolicyKey, podKey, policyKey } from '../model/types.ts';
import { ruleMatch } from '../policy/direction.ts';
import { sharedAddressNotes, type Flow, type PolicyEngine, type SharedAddressNote } from '../policy/engine.ts';
import { podEndpoint, type Endpoint } from '../policy/endpoint.ts';
import { policySelects, policyTypeOf } from '../policy/isolation.ts';
import { resolveNamedPort } from '../policy/port-match.ts';
import { describeClusterRule, describePeers, describePorts, describeRule } from './describe-rule.ts';
import type { ClusterRuleHit, DirectionTier, DirectionVerdict, FlowVerdict } from '../policy/trace.ts';
import { directionWhyNot, whyNot } from './verdict-text.ts';

export interface PodSummary {
  readonly namespace: string;
  readonly name: string;
  readonly kind: Pod['kind'];
  readonly labels: Pod['labels'];
  readonly ips: readonly string[];
  readonly nodeName: string | null;
  readonly hostNetwork: boolean;
}

export interface SelectingPolicy {
  readonly policy: string;
  readonly policyTypes: readonly PolicyType[];
  /** True when the policy's policyTypes include this direction. */
  readonly isolates: boolean;
  /** How many rules it has in this direction. */
  readonly rules: number;
  /** The policy had errors in the input: kept failing closed, without rules (it allows nothing). */
  readonly failClosed?: true;
  readonly source?: SourceRef;
}

/**
 * One direction of a flow that denied it although a NetworkPolicy rule of the
 * pod admits the peer: the pod's own direction (the rule's), which a
 * cluster-wide policy's tier decided before NetworkPolicy had a say, or the
 * peer's, for the other direction.
 */
export interface Denial {
  /** 'own': this pod's direction (the rule's); 'peer': the other end's, for the other direction. */
  readonly end: 'own' | 'peer';
  readonly direction: Direction;
  /** The pod of that end. */
  readonly pod?: string;
  /** The step that decided it (as DirectionVerdict.tier), when cluster-wide policies select that end. */
  readonly tier?: DirectionTier;
  /** The cluster rule that decided it, when a tier did. */
  readonly decision?: ClusterRuleHit;
  /** That direction's "why not", in one line. */
  readonly reason: string;
}

export interface BlockedPeer {
  readonly pod: string;
  /** Why the whole flow is denied although this rule admits it: each denying direction's reason, the pod's own first. */
  readonly reason: string;
  /** The directions that denied it, from the engine's verdict: the pod's own first. */
  readonly deniedBy: readonly Denial[];
}

export interface RuleReach {
  readonly policy: string;
  readonly rule: number;
  /** "spec.ingress[0]" */
  readonly field: string;
  readonly description: string;
  readonly peers: readonly string[];
  readonly ports: readonly string[];
  /** Known pods and workloads this rule admits and the engine allows end to end. */
  readonly allowed: readonly string[];
  /** Admitted by this rule, but denied by the other end's own policies. */
  readonly blocked: readonly BlockedPeer[];
  readonly source?: SourceRef;
}

/** A rule of a cluster-wide policy, in words. */
export interface ClusterRuleReach {
  readonly rule: number;
  /** "spec.ingress[0]" */
  readonly field: string;
  readonly name?: string;
  readonly action: ClusterRuleAction;
  readonly description: string;
  /**
   * The known pods and workloads whose flows with this pod this rule decides
   * (Accept, Deny) or passes on at least one of its ports: its tier is
   * reached and it is the first rule there that matches. Sorted by
   * namespace, then name.
   */
  readonly decides: readonly string[];
  /** The rule has errors in the input and fails closed (an Accept matches nothing; a Deny or Pass denies everything). */
  readonly failClosed?: true;
}

/** A cluster-wide policy whose subject is the pod, with rules in this direction. */
export interface SelectingClusterPolicy {
  /** "cnp/name", "anp/name", "banp/default" */
  readonly policy: string;
  readonly kind: ClusterPolicyKind;
  readonly tier: ClusterTier;
  readonly priority: number;
  /** Its rules in this direction, in order. */
  readonly rules: readonly ClusterRuleReach[];
  readonly failClosed?: true;
  readonly source?: SourceRef;
}

export interface DirectionReach {
  readonly direction: Direction;
  readonly isolated: boolean;
  readonly isolatedBy: readonly string[];
  readonly selectedBy: readonly SelectingPolicy[];
  /**
   * The cluster-wide policies whose subject is the pod, with rules in this
   * direction, in evaluation order: the Admin tier (before NetworkPolicy),
   * then the Baseline tier (only for a pod no NetworkPolicy isolates).
   */
  readonly clusterPolicies: readonly SelectingClusterPolicy[];
  readonly rules: readonly RuleReach[];
  readonly summary: string;
}

export interface PodReach {
  readonly pod: PodSummary;
  /** Addresses of this pod that other running pods claim too, and who holds each; absent when none. */
  readonly sharedAddresses?: readonly SharedAddressNote[];
  readonly ingress: DirectionReach;
  readonly egress: DirectionReach;
}

interface Probe {
  readonly protocol: string;
  readonly port?: number;
}

/**
 * The flows that stand for a rule's ports toward a destination: each numeric
 * port (a range by its first port), each named port as the destination
 * defines it, and for "every port" the destination's declared ports.
 */
function probesFor(rule: PolicyRule, dst: Pod): Probe[] {
  const declared = (protocol?: string): Probe[] => {
    const list = dst.ports.filter((p) => protocol === undefined || p.protocol === protocol).map((p) => ({ protocol: p.protocol, port: p.port }));
    return list.length > 0 ? list : [{ protocol: protocol ?? 'TCP' }];
  };
  if (rule.ports.length === 0) return declared();
  return rule.ports.flatMap((rp): Probe[] => {
    if (rp.port === undefined) return declared(rp.protocol);
    if (typeof rp.port === 'number') return [{ protocol: rp.protocol, port: rp.port }];
    const n = resolveNamedPort(dst, rp.port, rp.protocol);
    return n === undefined ? [] : [{ protocol: rp.protocol, port: n }];
  });
}

/** Order of listings: by namespace, then name (so "shop/api" precedes "shop-staging/api"). */
export function byNamespaceAndName(a: Pod, b: Pod): number {
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Both pods' endpoints in an address family they share, IPv4 first. */
export function pairEndpoints(a: Pod, b: Pod): [Endpoint, Endpoint] | undefined {
  const fb = new Set(b.ips.map(familyOf));
  for (const f of [...new Set(a.ips.map(familyOf))].sort()) {
    if (!fb.has(f)) continue;
    const ea = podEndpoint(a, f);
    const eb = podEndpoint(b, f);
    if (ea?.kind === 'pod' && eb?.kind === 'pod') return [ea, eb];
  }
  return undefined;
}

/**
 * Verdicts of whole flows, memoized for one pod's report: many rules (10k
 * policies select a pod in large clusters) admit the same peer on the same
 * port, and the engine's answer, or its reason for a denial, is the same.
 */
class FlowVerdicts {
  private readonly allowed = new Map<string, boolean>();
  private readonly denials = new Map<string, Pick<BlockedPeer, 'reason' | 'deniedBy'>>();
  private readonly engine: PolicyEngine;

  constructor(engine: PolicyEngine) {
    this.engine = engine;
  }

  private static key(f: Flow): string {
    return `${f.from.ip}>${f.to.ip}/${f.protocol}/${f.port ?? ''}`;
  }

  allows(flow: Flow): boolean {
    const k = FlowVerdicts.key(flow);
    let v = this.allowed.get(k);
    if (v === undefined) this.allowed.set(k, (v = this.engine.allows(flow)));
    return v;
  }

  /** Which directions of a denied flow denied it (the subject's own, `direction`, first) and why. */
  denial(flow: Flow, direction: Direction): Pick<BlockedPeer, 'reason' | 'deniedBy'> {
    const k = `${FlowVerdicts.key(flow)} ${direction}`;
    let v = this.denials.get(k);
    if (v === undefined) this.denials.set(k, (v = denialOf(this.engine.evaluate(flow), direction)));
    return v;
  }
}

/**
 * Classify a denied flow by the engine's verdict of each direction: the
 * subject's own (the rule's direction: an Admin-tier Deny decides it before
 * the NetworkPolicy rule is looked at) and the peer's.
 */
function denialOf(v: FlowVerdict, direction: Direction): Pick<BlockedPeer, 'reason' | 'deniedBy'> {
  const own = direction === 'ingress' ? v.ingress : v.egress;
  const peer = direction === 'ingress' ? v.egress : v.ingress;
  const denial = (end: Denial['end'], d: DirectionVerdict): Denial[] => (d.allowed ? [] : [{
    end, direction: d.direction, ...(d.pod !== undefined && { pod: d.pod }), ...(d.tier !== undefined && { tier: d.tier }),
    ...(d.decision !== undefined && { decision: d.decision }), reason: directionWhyNot(d) ?? 'denied',
  }]);
  const deniedBy = [...denial('own', own), ...denial('peer', peer)];
  // Neither direction denied (an exception of the flow decided): the flow's own "why not".
  const reason = deniedBy.length > 0 ? deniedBy.map((d) => d.reason).join('; ') : whyNot(v) ?? 'denied';
  return { reason, deniedBy };
}

function ruleReach(
  verdicts: FlowVerdicts, engine: PolicyEngine, subject: Pod, others: readonly Pod[], policy: NetworkPolicy, rule: PolicyRule, index: number,
  direction: Direction,
): RuleReach {
  const allowed: string[] = [];
  const blocked: BlockedPeer[] = [];
  for (const other of others) {
    const ends = pairEndpoints(subject, other);
    if (!ends) continue;
    const [self, peer] = ends;
    let admitted: Flow | undefined;
    let ok = false;
    for (const probe of probesFor(rule, direction === 'ingress' ? subject : other)) {
      if (!ruleMatch(engine.state, policy, rule, { direction, subject: self, other: peer, protocol: probe.protocol, port: probe.port })) continue;
      const flow: Flow = direction === 'ingress' ? { from: peer, to: self, ...probe } : { from: self, to: peer, ...probe };
      admitted ??= flow;
      if ((ok = verdicts.allows(flow))) break;
    }
    if (ok) allowed.push(podKey(other));
    else if (admitted) blocked.push({ pod: podKey(other), ...verdicts.denial(admitted, direction) });
  }
  return {
    policy: policyKey(policy), rule: index, field: `spec.${direction}[${index}]`,
    description: describeRule(policy, rule), peers: describePeers(policy, rule), ports: describePorts(rule),
    allowed, blocked, ...(policy.source && { source: policy.source }),
  };
}

function directionReach(engine: PolicyEngine, pod: Pod, direction: Direction): DirectionReach {
  const type = policyTypeOf(direction);
  const selecting = engine.state.policiesIn(pod.namespace).filter((p) => policySelects(p, pod));
  const selectedBy = selecting.map((p): SelectingPolicy => ({
    policy: policyKey(p), policyTypes: p.policyTypes, isolates: !pod.hostNetwork && p.policyTypes.includes(type),
    rules: p[direction].length, ...(p.failClosed === true && { failClosed: true }), ...(p.source && { source: p.source }),
  }));
  const isolating = engine.isolatingPolicies(pod, direction);
  const isolatedBy = isolating.map(policyKey);
  // A pod without an address (or not taking part in policy) has no flows to probe.
  const others = podEndpoint(pod)?.kind === 'pod'
    ? [...engine.state.participatingPods()].filter((p) => podKey(p) !== podKey(pod)).sort(byNamespaceAndName)
    : [];
  const verdicts = new FlowVerdicts(engine);
  const rules = isolating.flatMap((policy) => policy[direction].map((rule, i) => ruleReach(verdicts, engine, pod, others, policy, rule, i, direction)));
  const tiers = pod.hostNetwork ? { admin: [], baseline: [] } : engine.tierPolicies(pod, direction);
  const decided = decidedBy(engine, pod, others, direction, tiers, isolating.length > 0);
  const clusterPolicies = [...tiers.admin, ...tiers.baseline].map((p) => selectingClusterPolicy(p, direction, decided));
  let summary: string;
  if (pod.hostNetwork) summary = `open: a host-network pod is a node address; no policy isolates it for ${direction}`;
  else if (isolating.length === 0 && clusterPolicies.length === 0) summary = `open: no policy isolates it for ${direction}`;
  else if (isolating.length === 0) summary = `not isolated for ${direction} by NetworkPolicy: ${clusterOrder(tiers.admin, tiers.baseline, false)}`;
  else {
    const np = rules.length === 0
      ? `isolated for ${direction} by ${isolatedBy.join(', ')}, which have no ${direction} rules: all ${direction} is denied`
      : `isolated for ${direction} by ${isolatedBy.join(', ')}: only the rules below allow ${direction}`;
    summary = clusterPolicies.length === 0 ? np : `${np}; ${clusterOrder(tiers.admin, tiers.baseline, true)}`;
  }
  return { direction, isolated: isolating.length > 0, isolatedBy, selectedBy, clusterPolicies, rules, summary };
}

function selectingClusterPolicy(p: ClusterPolicy, direction: Direction, decided: ReadonlyMap<string, string[]>): SelectingClusterPolicy {
  return {
    policy: clusterPolicyKey(p), kind: p.kind, tier: p.tier, priority: p.priority,
    rules: p[direction].map((rule, i): ClusterRuleReach => ({
      rule: i, field: `spec.${direction}[${i}]`, ...(rule.name !== undefined && { name: rule.name }), action: rule.action,
      description: describeClusterRule(p, direction, rule), decides: decided.get(`${clusterPolicyKey(p)} ${i}`) ?? [],
      ...(rule.failClosed === true && { failClosed: true as const }),
    })),
    ...(p.failClosed === true && { failClosed: true as const }), ...(p.source && { source: p.source }),
  };
}

/** The flows that stand for a cluster rule's ports toward a destination, as probesFor does for NetworkPolicy. */
function clusterProbes(rule: ClusterRule, dst: Pod): Probe[] {
  const declared = dst.ports.map((p) => ({ protocol: p.protocol, port: p.port }));
  if (rule.ports.length === 0) return declared.length > 0 ? declared : [{ protocol: 'TCP' }];
  return rule.ports.flatMap((cp): Probe[] => (cp.kind === 'number'
    ? [{ protocol: cp.protocol, port: cp.port }]
    : dst.ports.filter((p) => p.name === cp.name).map((p) => ({ protocol: p.protocol, port: p.port }))));
}

/**
 * For each cluster rule of the pod's tiers in this direction, the known pods
 * whose flows it decides or passes: per other pod and probe of the rule's
 * ports, the engine's own tier walk (tierMatch) says which rule comes first;
 * the Baseline tier only when no NetworkPolicy isolates the pod and the Admin
 * tier did not decide.
 */
function decidedBy(engine: PolicyEngine, pod: Pod, others: readonly Pod[], direction: Direction, tiers: TierPolicies, isolated: boolean): Map<string, string[]> {
  // Keyed "cnp/name index": a rule by its place.
  const out = new Map<string, string[]>();
  for (const other of others) {
    const ends = pairEndpoints(pod, other);
    if (!ends) continue;
    const [self, peer] = ends;
    const dst = direction === 'ingress' ? pod : other;
    const hit = new Set<string>();
    for (const policy of [...tiers.admin, ...tiers.baseline]) {
      policy[direction].forEach((rule, index) => {
        for (const probe of clusterProbes(rule, dst)) {
          const input = { direction, subject: self, other: peer, protocol: probe.protocol, port: probe.port };
          let first = tierMatch(engine.state, tiers.admin, input);
          const adminAction = first && (first.policy[direction][first.rule] as ClusterRule).action;
          if (policy.tier === 'Baseline') first = !isolated && (adminAction === undefined || adminAction === 'Pass') ? tierMatch(engine.state, tiers.baseline, input) : undefined;
          if (first?.policy === policy && first.rule === index) hit.add(`${clusterPolicyKey(policy)} ${index}`);
        }
      });
    }
    for (const rule of hit) {
      const list = out.get(rule);
      if (list) list.push(podKey(other));
      else out.set(rule, [podKey(other)]);
    }
  }
  return out;
}

/** Where the cluster tiers stand for this pod, in words. */
function clusterOrder(admin: readonly ClusterPolicy[], baseline: readonly ClusterPolicy[], isolated: boolean): string {
  const parts: string[] = [];
  if (admin.length > 0) parts.push(`the Admin tier (${admin.map(clusterPolicyKey).join(', ')}) decides first, Pass goes on`);
  if (baseline.length > 0) {
    parts.push(isolated
      ? `the Baseline tier (${baseline.map(clusterPolicyKey).join(', ')}) does not apply: NetworkPolicy isolates it`
      : `the Baseline tier (${baseline.map(clusterPolicyKey).join(', ')}) decides what the Admin tier leaves, then the default allows`);
  } else if (!isolated) parts.push('then the default allows');
  return parts.join('; ');
}

export function podReach(engine: PolicyEngine, pod: Pod): PodReach {
  const shared = sharedAddressNotes(engine.state, pod);
  return {
    pod: {
      namespace: pod.namespace, name: pod.name, kind: pod.kind, labels: pod.labels, ips: pod.ips,
      nodeName: pod.nodeName ?? null, hostNetwork: pod.hostNetwork,
    },
    ...(shared.length > 0 && { sharedAddresses: shared }),
    ingress: directionReach(engine, pod, 'ingress'),
    egress: directionReach(engine, pod, 'egress'),
  };
}
