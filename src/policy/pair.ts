// One pair of ends asked about many ports: a connection set asks the engine
// once per port class of TCP, UDP and SCTP, and once for the protocols
// without ports, about the same two ends. A rule's peers never depend on the
// port, so for each direction the peers of every rule that can apply (the
// subject's Admin and Baseline policies, its isolating NetworkPolicies) are
// matched against the other end once (the cluster rules' through the
// engine's memo, tier-peers.ts; the NetworkPolicy rules' here); each
// question after that checks only the ports of the rules whose peers hold
// the other end, in the same order as directionOutcome (tiers.ts). A rule
// matches when a peer and a port both do, whichever is checked first, so the
// answers are allows()'s. allows() itself asks one question per pair: it
// uses the remembered cluster rules the same way, and NetworkPolicy's rules
// as direction.ts walks them (knownPeersOutcome).
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, NetworkPolicy, Pod, PolicyRule } from '../model/types.ts';
import { destinationPod, directionAllows, type DirectionEnds, type DirectionInput } from './direction.ts';
import { rulePeersMatch } from './peer-match.ts';
import { portsMatch } from './port-match.ts';
import { firstByPorts, NO_TIER_PEERS, type TierPeers } from './tier-peers.ts';
import { NOT_A_POD_OUTCOME, outcomeOfSteps, type DirectionOutcome, type TierSteps } from './tiers.ts';

/** One direction of a pair: the rules whose peers hold the other end, each tier's in evaluation order. */
export interface DirectionPeers extends TierPeers {
  readonly direction: Direction;
  /** Whether the subject is a pod (no policy applies to any other end). */
  readonly podSubject: boolean;
  /** The pod named ports resolve on: the destination. */
  readonly dstPod: Pod | undefined;
  /** Whether NetworkPolicies isolate the subject in this direction. */
  readonly isolated: boolean;
  /** The isolating NetworkPolicies' rules whose peers hold the other end (a rule without peers holds every end). */
  readonly networkPolicy: readonly PolicyRule[];
}

/** Matches the peers of the isolating NetworkPolicies' rules against the direction's other end, once; `tierPeers` are the cluster rules' (tier-peers.ts). */
export function matchDirectionPeers(
  state: ClusterState, tierPeers: TierPeers, isolating: readonly NetworkPolicy[], ends: DirectionEnds,
): DirectionPeers {
  const { direction, other } = ends;
  const podSubject = ends.subject.kind === 'pod';
  return {
    ...(podSubject ? tierPeers : NO_TIER_PEERS),
    direction, podSubject, dstPod: destinationPod(ends),
    isolated: podSubject && isolating.length > 0,
    networkPolicy: podSubject
      ? isolating.flatMap((policy) => policy[direction].filter((rule) => rulePeersMatch(state, policy, rule, other)))
      : [],
  };
}

interface PortQuestion {
  readonly peers: DirectionPeers;
  readonly protocol: string;
  readonly port: number | undefined;
}

/** The steps answered from the peers matched beforehand: ports only. */
const PORTS_ONLY: TierSteps<PortQuestion> = {
  tier: ({ peers, protocol, port }, tier) => firstByPorts(peers[tier], protocol, port, peers.dstPod),
  isolated: (q) => q.peers.isolated,
  networkPolicyAllows: ({ peers, protocol, port }) => peers.networkPolicy.some((rule) => portsMatch(rule.ports, protocol, port, peers.dstPod)),
};

/** The direction's verdict for one protocol and port, as directionOutcome gives it for the pair. */
export function peersOutcome(peers: DirectionPeers, protocol: string, port: number | undefined): DirectionOutcome {
  if (!peers.podSubject) return NOT_A_POD_OUTCOME;
  return outcomeOfSteps(PORTS_ONLY, { peers, protocol, port });
}

interface FlowQuestion {
  readonly state: ClusterState;
  readonly tierPeers: TierPeers;
  readonly isolating: readonly NetworkPolicy[];
  readonly input: DirectionInput;
}

/** The steps of allows(): the cluster rules' peers matched beforehand (tier-peers.ts), then their ports; NetworkPolicy rule by rule. */
const TIER_PEERS_KNOWN: TierSteps<FlowQuestion> = {
  tier: ({ tierPeers, input }, tier) => firstByPorts(tierPeers[tier], input.protocol, input.port, destinationPod(input)),
  isolated: (q) => q.isolating.length > 0,
  networkPolicyAllows: (q) => directionAllows(q.state, q.isolating, q.input),
};

/** The verdict of one direction, as directionOutcome gives it, from the cluster rules whose peers hold the other end. */
export function knownPeersOutcome(state: ClusterState, tierPeers: TierPeers, isolating: readonly NetworkPolicy[], input: DirectionInput): DirectionOutcome {
  if (input.subject.kind !== 'pod') return NOT_A_POD_OUTCOME;
  return outcomeOfSteps(TIER_PEERS_KNOWN, { state, tierPeers, isolating, input });
}
