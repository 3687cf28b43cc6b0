// A case's flow over a chosen address family (`nftpol test --family ipv4|ipv6`).
// Without a family, a case between two named ends is decided on IPv4 when both
// have it, else IPv6 (flow-spec.ts, as policy-explain does). With one, a pod
// reference means the pod's address of that family (a host-network pod's is its
// node's), `node:NAME` the node's InternalIP of that family, and an `ip:`
// address must be of that family: an end that cannot take part in the chosen
// family is an input error naming the case's field, so a run that says "IPv6"
// never quietly decides a case on IPv4, nor leaves it out.
import { familyOf, type IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import { podKey } from '../model/types.ts';
import { addressEndpoint, podEndpoint, type Endpoint } from '../policy/endpoint.ts';
import type { Flow } from '../policy/engine.ts';
import { flowBetween, FlowSpecError, lookupEndpoint, resolveFlow, type FlowSpec } from '../policy/flow-spec.ts';

/** How the command line and reports name a family. */
export type FamilyName = 'ipv4' | 'ipv6';
export const FAMILY_NAMES: readonly FamilyName[] = ['ipv4', 'ipv6'];

export function familyFromName(name: FamilyName): IPFamily {
  return name === 'ipv4' ? 4 : 6;
}

export function familyName(family: IPFamily): FamilyName {
  return family === 4 ? 'ipv4' : 'ipv6';
}

function why(family: IPFamily): string {
  return `the run decides cases over IPv${family} only`;
}

/** One end of a case in the family, or a FlowSpecError on that end. */
export function endpointInFamily(state: ClusterState, spec: string, end: 'from' | 'to', family: IPFamily): Endpoint {
  const ref = lookupEndpoint(state, spec, end);
  if (ref.kind === 'address') {
    // An explicit address means itself: it is not translated to the other family.
    const own = familyOf(ref.ip);
    if (own !== family) throw new FlowSpecError(end, `${spec} is an IPv${own} address; ${why(family)}`);
    return addressEndpoint(state, ref.ip);
  }
  if (ref.kind === 'node') {
    const ip = ref.node.addresses.find((a) => familyOf(a) === family);
    if (ip === undefined) throw new FlowSpecError(end, `${spec}: node ${ref.node.name} has no IPv${family} address; ${why(family)}`);
    return { kind: 'node', ip, node: ref.node };
  }
  const e = podEndpoint(ref.pod, family);
  if (!e) throw new FlowSpecError(end, `${spec}: ${ref.pod.kind} ${podKey(ref.pod)} has no IPv${family} address; ${why(family)}`);
  return e;
}

/** The case's flow; over `family` when given, else as flow-spec.ts picks it. */
export function resolveFlowInFamily(state: ClusterState, spec: FlowSpec, family: IPFamily | undefined): Flow {
  if (family === undefined) return resolveFlow(state, spec);
  const from = endpointInFamily(state, spec.from, 'from', family);
  const to = endpointInFamily(state, spec.to, 'to', family);
  // Ports do not depend on the family: the same rules as resolveFlow's.
  return flowBetween(from, to, spec);
}
