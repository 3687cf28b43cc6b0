// Which connection tracking entries an applied change revokes. The node's
// pod chains accept `ct state established,related` before any policy, so a
// connection the new table denies keeps flowing until its entry is gone; the
// agent deletes (src/dataplane/conntrack.ts) the entries this chooses:
//
//  - the entries of flows the engine now denies, where one end is a pod of
//    this node (its egress, or its ingress): the flow judged is the one the
//    forward hook sees (original source to reply source, on the reply's source
//    port: after DNAT, before SNAT);
//  - given who held this node's pod addresses before the change
//    (addressOwners), every entry of such an address whose owner changed
//    (another pod holds it now, or none does, or a pod of this node holds one
//    that no pod of it held before): a new pod reusing an address must not
//    inherit the old pod's connections, whatever the policies say.
//
// An address of the node itself that no object names (cni0's gateway, the
// source of the node's own connections to its pods) is judged as the node.
//
// With --keep-established only the second kind is chosen. Entries with no
// pod of this node at either end are never chosen. Pure: no
// I/O; one engine question per distinct flow, however many connections it has.
import { compactDeletion, type ConntrackDeletionRequest } from '../dataplane/conntrack-deletion.ts';
import type { ConntrackEntry } from '../dataplane/conntrack-listing.ts';
import { judgedFlow } from '../dataplane/conntrack-listing.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { Node, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { addressEndpoint, type Endpoint } from '../policy/endpoint.ts';

export type RevocationCause = 'denied' | 'address-owner-changed';

export interface Revocation {
  readonly entry: ConntrackEntry;
  readonly cause: RevocationCause;
  /** address-owner-changed: the address (every entry with it at a judged end goes). */
  readonly address?: string;
  /** What changed, in words, for the log: the flow and the side that denies it, or the address and its owners. */
  readonly reason: string;
}

export interface RevocationInput {
  /** This node's name: only entries with one of its pods at an end are judged. */
  readonly node: string;
  /** The engine of the state just applied. */
  readonly engine: PolicyEngine;
  /**
   * Who held this node's addresses before the change (addressOwners, taken
   * before the state moved); none on the first sync (owners are then not compared).
   */
  readonly previousOwners?: AddressOwners;
  readonly entries: readonly ConntrackEntry[];
  /**
   * The addresses of this node's own network namespace (dataplane's
   * localAddresses). The node reaches its pods from cni0's gateway address,
   * which is in the pod CIDR and no pod's: without these, a connection the
   * node opened to its pod would be judged as an unknown pod's and revoked at
   * every change, while the kernel (output hook) allows it.
   */
  readonly nodeAddresses?: readonly string[];
  /**
   * --keep-established: leave the connections of flows the policy now denies
   * (upstream's neutral behaviour); the entries of addresses whose owner
   * changed are still chosen, since no pod should inherit another's.
   */
  readonly keepEstablished?: boolean;
}

export function entriesToRevoke(input: RevocationInput): Revocation[] {
  const { node, engine, previousOwners } = input;
  const state = engine.state;
  const local = (pod: Pod | undefined): boolean => pod !== undefined && pod.nodeName === node;
  const endpoints = new Map<string, Endpoint>();
  const own = new Set(input.nodeAddresses ?? []);
  const thisNode = state.nodes.get(node);
  const endpointOf = (ip: string): Endpoint => {
    let e = endpoints.get(ip);
    if (e === undefined) endpoints.set(ip, (e = ownAddress(addressEndpoint(state, ip), own, thisNode)));
    return e;
  };
  const verdicts = new Map<string, string | undefined>();
  const revoked: Revocation[] = [];
  for (const entry of input.entries) {
    const flow = judgedFlow(entry);
    const owner = previousOwners === undefined ? undefined : ownerChange(node, previousOwners, state, [flow.from, flow.to]);
    if (owner !== undefined) {
      revoked.push({ entry, cause: 'address-owner-changed', address: owner.ip, reason: owner.reason });
      continue;
    }
    if (input.keepEstablished === true) continue;
    if (!local(state.podAt(flow.from)) && !local(state.podAt(flow.to))) continue;
    const key = `${flow.protocol} ${flow.from} ${flow.to} ${flow.port ?? ''}`;
    if (!verdicts.has(key)) {
      const asked = { from: endpointOf(flow.from), to: endpointOf(flow.to), protocol: flow.protocol, ...(flow.port !== undefined && { port: flow.port }) };
      verdicts.set(key, engine.allows(asked) ? undefined : deniedBecause(engine, asked));
    }
    const denied = verdicts.get(key);
    if (denied !== undefined) revoked.push({ entry, cause: 'denied', reason: denied });
  }
  return revoked;
}

/**
 * An address of the node's own network namespace that the cluster state
 * does not know (cni0's gateway: neither a pod's nor a Node address) is the
 * node: what it sends its pods takes the output hook, where only the cluster
 * tiers judge it, never the pod CIDR's fail-closed drop of the forward hook.
 */
function ownAddress(e: Endpoint, own: ReadonlySet<string>, node: Node | undefined): Endpoint {
  if (e.kind !== 'external' || !own.has(e.ip)) return e;
  return { kind: 'node', ip: e.ip, ...(node !== undefined && { node }) };
}

/**
 * Who holds each address of a node's pods: address to "namespace/name" of
 * its holder (ClusterState.podAt). The agent's cluster state moves in place,
 * so this is taken before a change, for the sweep after it.
 */
export type AddressOwners = ReadonlyMap<string, string>;

export function addressOwners(node: string, state: ClusterState): AddressOwners {
  const owners = new Map<string, string>();
  for (const pod of state.podsOn(node)) {
    for (const ip of pod.ips) {
      const holder = state.podAt(ip);
      if (holder !== undefined) owners.set(ip, podKey(holder));
    }
  }
  return owners;
}

/**
 * The addresses of this node's pods (before or now) whose owner changed:
 * cheap (the node's pods only), so the agent can skip listing conntrack after
 * a change that neither rewrote the table nor moved an address (a table
 * unchanged means no local pod's verdict changed).
 */
export function addressesWithNewOwner(node: string, before: AddressOwners, now: ClusterState): string[] {
  const ips = new Set([...before.keys(), ...now.podsOn(node).flatMap((p) => p.ips)]);
  return [...ips].filter((ip) => ownerChange(node, before, now, [ip]) !== undefined).sort();
}

/**
 * What to hand to ConntrackTable.delete for the revocations of a listing:
 * the addresses whose owner changed, whole; the denied flows in as few lines
 * as the listing allows (compactDeletion: a pod that now denies all its
 * ingress is one line, not one per peer and port).
 */
export function deletionRequest(revocations: readonly Revocation[], listed: readonly ConntrackEntry[]): ConntrackDeletionRequest {
  const addresses = [...new Set(revocations.flatMap((r) => (r.address === undefined ? [] : [r.address])))];
  const denied = revocations.filter((r) => r.address === undefined).map((r) => r.entry);
  return { addresses, ...compactDeletion(denied, listed, new Set(revocations.map((r) => r.entry))) };
}

/** The first address of a local pod (before or now) among ips whose owner changed, and how, if any. */
function ownerChange(node: string, before: AddressOwners, now: ClusterState, ips: readonly string[]): { ip: string; reason: string } | undefined {
  for (const ip of ips) {
    const wasKey = before.get(ip);
    const is = now.podAt(ip);
    if (wasKey === undefined && is?.nodeName !== node) continue; // not this node's address, before or now
    const isKey = is === undefined ? undefined : podKey(is);
    if (wasKey === isKey) continue;
    const reason = isKey === undefined ? `address ${ip} was ${wasKey} and is no pod's now`
      : wasKey === undefined ? `address ${ip} was held by no pod of ${node} and is ${isKey} now` : `address ${ip} was ${wasKey} and is ${isKey} now`;
    return { ip, reason };
  }
  return undefined;
}

/** The denied flow and the side that denies it, in words. */
function deniedBecause(engine: PolicyEngine, asked: Parameters<PolicyEngine['evaluate']>[0]): string {
  const v = engine.evaluate(asked);
  const name = (s: typeof v.flow.from): string => (s.pod !== undefined ? `${s.pod} (${s.ip})` : s.ip);
  const flow = `${name(v.flow.from)} -> ${name(v.flow.to)} ${v.flow.port !== undefined ? `${v.flow.port}/` : ''}${v.flow.protocol}`;
  if (v.decidedBy === 'unknown-pod') return `${flow} now denied: an address in a pod CIDR that no known pod holds`;
  const sides = [...(v.egress.allowed ? [] : [`egress of ${v.egress.pod ?? v.flow.from.ip}`]), ...(v.ingress.allowed ? [] : [`ingress of ${v.ingress.pod ?? v.flow.to.ip}`])];
  return `${flow} now denied by the ${sides.join(' and ')}`;
}
