// The policy engine: the single evaluator of NetworkPolicy semantics. The
// compiler, `policy-explain` and `nftpol test` all ask it; nothing else
// decides a flow.
//
// A connection is allowed when:
//  - it is a pod reaching itself (a pod cannot block itself), or
//  - it is between a pod and the node it runs on (kubelet probes, host
//    traffic) and no Admin rule, nor (for a pod no NetworkPolicy isolates)
//    a Baseline rule, decides the pod's direction: that rule is
//    NetworkPolicy's, below the Admin tier (docs/cluster-network-policy.md), or
//  - the source's egress AND the destination's ingress both allow it, each
//    decided in the order Admin tier, NetworkPolicy, Baseline tier, allow
//    (tiers.ts),
// except that traffic of an address in a node's pod CIDR that no known pod
// holds is denied: it is a pod nftpol has not seen yet, and a new pod is
// never open before its policy is in (fail closed).
import type { ClusterState } from '../model/cluster-state.ts';
import type { ClusterPolicy, Direction, NetworkPolicy, Pod } from '../model/types.ts';
import { podKey, policyKey } from '../model/types.ts';
import { subjectSelects } from './cluster-match.ts';
import type { DirectionEnds, DirectionInput } from './direction.ts';
import { endpointNodeName, type Endpoint } from './endpoint.ts';
import { isolatingPolicies } from './isolation.ts';
import { knownPeersOutcome, matchDirectionPeers, peersOutcome, type DirectionPeers } from './pair.ts';
import { matchTierPeers, TierPeerMemo, type TierPeers } from './tier-peers.ts';
import { directionOutcome, NO_TIERS, traceTiers, type DirectionOutcome, type TierPolicies } from './tiers.ts';
import type { Decider, DirectionTier, EndpointSummary, FlowNote, FlowVerdict } from './trace.ts';

/** A flow's two ends, as asked or as the engine resolves them (the holder of an address claimed twice). */
export interface FlowEnds {
  readonly from: Endpoint;
  readonly to: Endpoint;
}

export interface Flow extends FlowEnds {
  /** TCP, UDP, SCTP, or any other IP protocol name (ICMP, ...). */
  readonly protocol: string;
  /** Destination port; absent for protocols without ports. */
  readonly port?: number;
}

export function summarizeEndpoint(e: Endpoint): EndpointSummary {
  const pod = e.kind === 'pod' ? podKey(e.pod) : e.kind === 'node' && e.hostPod ? podKey(e.hostPod) : undefined;
  if (e.kind === 'external') return { kind: e.kind, ip: e.ip, ...(e.unknownPodOn ? { unknownPodOn: e.unknownPodOn } : {}) };
  const node = endpointNodeName(e);
  return { kind: e.kind, ip: e.ip, ...(pod ? { pod } : {}), ...(node ? { node } : {}) };
}

/** The answers for one pair of ends (PolicyEngine.pair). */
export interface PairVerdicts {
  /** Whether the engine allows the pair at this protocol and port: allows()'s answer. */
  allows(protocol: string, port?: number): boolean;
  /**
   * Each direction's rules whose peers hold the other end (pair.ts); undefined
   * when an exception (the same pod, an unknown pod) decides every port alike.
   */
  readonly egress: DirectionPeers | undefined;
  readonly ingress: DirectionPeers | undefined;
}

export type SharedAddressNote = FlowNote & { kind: 'sharedAddress' };

/** The addresses a pod claims that another pod claims too, as notes naming who holds each. */
export function sharedAddressNotes(state: ClusterState, pod: Pod): SharedAddressNote[] {
  return state.sharedAddressesOf(pod).map((s) => ({
    kind: 'sharedAddress', ip: s.ip, pod: podKey(pod), holder: podKey(s.holder), claimants: s.claimants.map(podKey),
  }));
}

export class PolicyEngine {
  // Memo of isolating policies per pod and direction: the same pods are asked
  // about again and again (every pair of a matrix). A memo holds while the
  // pod's namespace keeps its policies (ClusterState.policyGeneration): a
  // changed pod is a new object, a changed policy bumps its namespace, so the
  // agent's changes invalidate exactly the memos they affect.
  private readonly isolation = new WeakMap<Pod, { generation: number } & Partial<Record<Direction, NetworkPolicy[]>>>();
  // Memo of the cluster policies whose subject is a pod, per direction; it
  // holds while ClusterState.clusterPolicyGeneration stays (cluster policies,
  // namespaces and nodes unchanged).
  private readonly tierMemo = new WeakMap<Pod, { generation: number } & Partial<Record<Direction, TierPolicies>>>();
  // The interned tier lists and, per list and other pod, the cluster rules whose peers hold it (tier-peers.ts).
  private readonly tierPeerMemo = new TierPeerMemo();
  private readonly rememberPeers: boolean;

  readonly state: ClusterState;

  /** `rememberPeers: false` matches every cluster rule's peers afresh for each question: the plain path tests hold the memo against. */
  constructor(state: ClusterState, options: { readonly rememberPeers?: boolean } = {}) {
    this.state = state;
    this.rememberPeers = options.rememberPeers ?? true;
  }

  isolatingPolicies(pod: Pod, direction: Direction): readonly NetworkPolicy[] {
    const generation = this.state.policyGeneration(pod.namespace);
    let memo = this.isolation.get(pod);
    if (memo?.generation !== generation) {
      memo = { generation };
      this.isolation.set(pod, memo);
    }
    return (memo[direction] ??= isolatingPolicies(this.state, pod, direction));
  }

  /** The cluster policies whose subject is the pod and that have rules in the direction, each tier in evaluation order. */
  tierPolicies(pod: Pod, direction: Direction): TierPolicies {
    if (this.state.clusterPolicies.size === 0) return NO_TIERS;
    const generation = this.state.clusterPolicyGeneration();
    let memo = this.tierMemo.get(pod);
    if (memo?.generation !== generation) {
      memo = { generation };
      this.tierMemo.set(pod, memo);
    }
    const pick = (list: readonly ClusterPolicy[]): ClusterPolicy[] =>
      list.filter((p) => p[direction].length > 0 && subjectSelects(this.state, p, pod));
    return (memo[direction] ??= this.tierPeerMemo.intern(generation, direction, {
      admin: pick(this.state.clusterPoliciesIn('Admin')), baseline: pick(this.state.clusterPoliciesIn('Baseline')),
    }));
  }

  isIsolated(pod: Pod, direction: Direction): boolean {
    return this.isolatingPolicies(pod, direction).length > 0;
  }

  /**
   * A pod end at an address another pod holds (two pods claim it) is the
   * holder, as it is for the kernel, which sees only the address.
   */
  private holderOf(e: Endpoint): Endpoint {
    if (e.kind !== 'pod') return e;
    const holder = this.state.podAt(e.ip);
    return holder === undefined || holder === e.pod ? e : { ...e, pod: holder };
  }

  private resolved(flow: Flow): Flow {
    const ends = this.resolvedEnds(flow);
    return ends === flow ? flow : { ...flow, ...ends };
  }

  private resolvedEnds<E extends FlowEnds>(ends: E): E | FlowEnds {
    // The common case, no address claimed twice: the ends are their holders.
    if (!this.state.hasSharedAddresses()) return ends;
    const from = this.holderOf(ends.from);
    const to = this.holderOf(ends.to);
    return from === ends.from && to === ends.to ? ends : { from, to };
  }

  /** Shared addresses of the ends as asked for, the fail-closed policies that isolate them, and fail-closed cluster rules that decided. */
  private notes(asked: Flow, inputs: readonly DirectionInput[], verdicts: FlowVerdict['egress'][] = []): FlowNote[] {
    const notes: FlowNote[] = [];
    for (const e of [asked.from, asked.to]) {
      if (e.kind !== 'pod') continue;
      notes.push(...sharedAddressNotes(this.state, e.pod).filter((n) => n.ip === e.ip));
    }
    for (const input of inputs) {
      for (const policy of this.policiesOf(input)) {
        if (policy.failClosed !== true || input.subject.kind !== 'pod') continue;
        notes.push({
          kind: 'failClosed', policy: policyKey(policy), direction: input.direction, pod: podKey(input.subject.pod),
          ...(policy.source !== undefined && { source: policy.source }),
        });
      }
    }
    for (const v of verdicts) {
      const d = v.decision;
      if (d?.failClosed !== true || v.pod === undefined) continue;
      notes.push({ kind: 'failClosed', policy: d.policy, direction: v.direction, pod: v.pod, ...(d.source !== undefined && { source: d.source }) });
    }
    return notes;
  }

  /**
   * The exceptions that decide a flow before (self, unknown-pod) or in place
   * of NetworkPolicy (node), if one applies.
   */
  private exception(flow: FlowEnds): Decider | undefined {
    const { from, to } = flow;
    // The same pod (or the same address: traffic that never leaves its network namespace).
    if (from.ip === to.ip || (from.kind === 'pod' && to.kind === 'pod' && from.pod === to.pod)) return 'self';
    const isPod = (e: Endpoint): boolean => e.kind === 'pod' || (e.kind === 'external' && e.unknownPodOn !== undefined);
    const podEnd = isPod(from) ? from : isPod(to) ? to : undefined;
    const nodeEnd = from.kind === 'node' ? from : to.kind === 'node' ? to : undefined;
    if (podEnd && nodeEnd) {
      const podNode = endpointNodeName(podEnd);
      if (podNode !== undefined && podNode === endpointNodeName(nodeEnd)) return 'node';
    }
    if ((from.kind === 'external' && from.unknownPodOn) || (to.kind === 'external' && to.unknownPodOn)) return 'unknown-pod';
    return undefined;
  }

  /** Whether an exception allows (self, node) or denies (unknown-pod) the flow. */
  private static exceptionAllows(d: Decider): boolean {
    return d !== 'unknown-pod';
  }

  private inputs(flow: Flow): [DirectionInput, DirectionInput] {
    const common = { protocol: flow.protocol, port: flow.port };
    return [
      { direction: 'egress', subject: flow.from, other: flow.to, ...common },
      { direction: 'ingress', subject: flow.to, other: flow.from, ...common },
    ];
  }

  /** The policies that isolate a direction's subject: none when it is not a pod. */
  private policiesOf(ends: DirectionEnds): readonly NetworkPolicy[] {
    return ends.subject.kind === 'pod' ? this.isolatingPolicies(ends.subject.pod, ends.direction) : [];
  }

  /** The cluster policies whose subject is a direction's subject: none when it is not a pod. */
  private tiersOf(ends: DirectionEnds): TierPolicies {
    return ends.subject.kind === 'pod' ? this.tierPolicies(ends.subject.pod, ends.direction) : NO_TIERS;
  }

  /** The direction's cluster rules whose peers hold its other end. */
  private tierPeers(ends: DirectionEnds): TierPeers {
    const tiers = this.tiersOf(ends);
    return this.rememberPeers ? this.tierPeerMemo.peers(this.state, tiers, ends.direction, ends.other) : matchTierPeers(this.state, tiers, ends.direction, ends.other);
  }

  private outcome(input: DirectionInput): DirectionOutcome {
    if (!this.rememberPeers) return directionOutcome(this.state, this.tiersOf(input), this.policiesOf(input), input);
    return knownPeersOutcome(this.state, this.tierPeers(input), this.policiesOf(input), input);
  }

  /**
   * Whether the node exception (a pod and its own node always talk) stands:
   * it is NetworkPolicy's rule, so an Admin rule, or a Baseline rule for a pod
   * no NetworkPolicy isolates, decides before it. `podSide` is the tier that
   * decided the pod end's direction.
   */
  private static nodeExceptionHolds(podSide: DirectionTier | undefined): boolean {
    return podSide !== 'Admin' && podSide !== 'Baseline';
  }

  private static podSide<T>(flow: FlowEnds, egress: T, ingress: T): T {
    return flow.from.kind === 'pod' ? egress : ingress;
  }

  /** A pod's direction allowed by NetworkPolicy's rule that a pod and its own node always talk. */
  private static ownNodeVerdict(d: FlowVerdict['egress']): FlowVerdict['egress'] {
    const other = d.direction === 'egress' ? 'to' : 'from';
    const summary = `${d.pod ?? 'the pod'} ${d.direction} ${other} its own node: allowed, NetworkPolicy never cuts a pod off the node it runs on (kubelet probes, host traffic)`;
    const tier = d.tier !== undefined ? { tier: 'NetworkPolicy' as const } : {};
    return { ...d, ...tier, allowed: true, ownNode: true, misses: [], summary };
  }

  /** The verdict of a flow no exception denied, from its two directions' outcomes. */
  private static combined(flow: FlowEnds, exception: Decider | undefined, egress: DirectionOutcome, ingress: DirectionOutcome): boolean {
    if (exception === 'node' && PolicyEngine.nodeExceptionHolds(PolicyEngine.podSide(flow, egress, ingress).tier)) return true;
    return egress.allowed && ingress.allowed;
  }

  /** The verdict alone: the same evaluation as evaluate(), without a tracer. For matrices and benchmarks. */
  allows(asked: Flow): boolean {
    const flow = this.resolved(asked);
    const exception = this.exception(flow);
    if (exception === 'self' || exception === 'unknown-pod') return PolicyEngine.exceptionAllows(exception);
    const [eIn, iIn] = this.inputs(flow);
    return PolicyEngine.combined(flow, exception, this.outcome(eIn), this.outcome(iIn));
  }

  /**
   * allows() for one pair of ends at any protocol and port, for callers that
   * ask many (connection sets): the peers of every rule that can decide are
   * matched once (pair.ts), each question then checks ports only.
   */
  pair(from: Endpoint, to: Endpoint): PairVerdicts {
    const ends = this.resolvedEnds({ from, to });
    const exception = this.exception(ends);
    if (exception === 'self' || exception === 'unknown-pod') {
      const allowed = PolicyEngine.exceptionAllows(exception);
      return { allows: () => allowed, egress: undefined, ingress: undefined };
    }
    const peersOf = (e: DirectionEnds): DirectionPeers => matchDirectionPeers(this.state, this.tierPeers(e), this.policiesOf(e), e);
    const egress = peersOf({ direction: 'egress', subject: ends.from, other: ends.to });
    const ingress = peersOf({ direction: 'ingress', subject: ends.to, other: ends.from });
    return {
      allows: (protocol, port) => PolicyEngine.combined(ends, exception, peersOutcome(egress, protocol, port), peersOutcome(ingress, protocol, port)),
      egress, ingress,
    };
  }

  /** The verdict with its trace: both directions, what allowed, and why not. */
  evaluate(asked: Flow): FlowVerdict {
    const flow = this.resolved(asked);
    const [eIn, iIn] = this.inputs(flow);
    const egress = traceTiers(this.state, this.tiersOf(eIn), this.policiesOf(eIn), eIn);
    const ingress = traceTiers(this.state, this.tiersOf(iIn), this.policiesOf(iIn), iIn);
    const notes = this.notes(asked, [eIn, iIn], [egress, ingress]);
    let exception = this.exception(flow);
    let [eOut, iOut] = [egress, ingress];
    if (exception === 'node') {
      const podSide = PolicyEngine.podSide(flow, egress, ingress);
      if (!PolicyEngine.nodeExceptionHolds(podSide.tier)) exception = undefined;
      else if (podSide.pod !== undefined && !podSide.allowed) {
        // The pod's direction is NetworkPolicy's to decide, and NetworkPolicy never cuts a pod off its own node.
        const own = PolicyEngine.ownNodeVerdict(podSide);
        [eOut, iOut] = podSide === egress ? [own, ingress] : [egress, own];
      }
    }
    return {
      flow: {
        from: summarizeEndpoint(flow.from),
        to: summarizeEndpoint(flow.to),
        protocol: flow.protocol,
        ...(flow.port !== undefined ? { port: flow.port } : {}),
      },
      ...(notes.length > 0 && { notes }),
      allowed: exception !== undefined ? PolicyEngine.exceptionAllows(exception) : egress.allowed && ingress.allowed,
      decidedBy: exception ?? 'policy',
      egress: eOut,
      ingress: iOut,
    };
  }
}
