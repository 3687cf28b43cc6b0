// One policy in one direction as an nft chain of accept rules. A rule of the
// policy becomes one accept rule per (peer, port) pair, so the rule count
// follows the policy's size, never the number of pods it matches: pods go
// into sets.
//
// Peers (ingress matches the source address, egress the destination):
//   no from/to            -> any address
//   selector peer         -> plain set of the matched pods' addresses, per family of the node
//   ipBlock               -> interval set of cidr minus except
// Ports:
//   no ports              -> any protocol and port
//   protocol only         -> meta l4proto P
//   port / port..endPort  -> meta l4proto P th dport N[-M]
//   named port            -> set of "destination address . protocol . port":
//     ingress: the local pods this policy selects (the destination);
//     egress:  the pods the peer matches (the destination is the peer), so
//              the set also carries the peer condition.
import { cidrFamily, familyOf, type IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, NetworkPolicy, Peer, Pod, PolicyPort } from '../model/types.ts';
import { policyKey } from '../model/types.ts';
import { peersField } from '../policy/direction.ts';
import { resolveNamedPort } from '../policy/port-match.ts';
import type { AddressPort, AllowRule, PeerMatch, PolicyChain, PortMatch } from './ir.ts';
import { ipBlockPrefixes } from './ipblock-prefixes.ts';
import { policyChainName } from './names.ts';
import { matchedPodAddresses } from './peer-addresses.ts';
import { setName, type SetRegistry } from './set-registry.ts';
import { formatSelector } from '../selectors/label-selector.ts';

interface Ctx {
  readonly state: ClusterState;
  readonly policy: NetworkPolicy;
  readonly key: string;
  readonly direction: Direction;
  /** Local pods this policy selects and isolates in this direction. */
  readonly localPods: readonly Pod[];
  /** The node's families (see nodeFamilies): rules and sets of another family could never match. */
  readonly families: readonly IPFamily[];
  readonly sets: SetRegistry;
}

function sortedUnique(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort();
}

function addressPortKey(e: AddressPort): string {
  return `${e.address} ${e.protocol} ${e.port}`;
}

function namedElements(pods: Iterable<[Pod, string]>, port: PolicyPort): AddressPort[] {
  const out = new Map<string, AddressPort>();
  for (const [pod, address] of pods) {
    const n = resolveNamedPort(pod, port.port as string, port.protocol);
    if (n === undefined) continue;
    const e = { address, protocol: port.protocol, port: n };
    out.set(addressPortKey(e), e);
  }
  return [...out.values()].sort((a, b) => (addressPortKey(a) < addressPortKey(b) ? -1 : 1));
}

/** What a selector peer selects: the namespace scope and both selectors. */
function peerSelection(policy: NetworkPolicy, peer: Peer | undefined): unknown {
  if (peer === undefined) return { any: true };
  if (peer.kind === 'ipBlock') return peer.ipBlock;
  return {
    namespace: peer.namespaceSelector === null ? policy.namespace : null,
    namespaceSelector: peer.namespaceSelector,
    podSelector: peer.podSelector,
  };
}

function describePeer(policy: NetworkPolicy, peer: Peer | undefined): string {
  if (peer === undefined) return 'all pods';
  if (peer.kind === 'ipBlock') return `${peer.ipBlock.cidr}${peer.ipBlock.except.length ? ` except ${peer.ipBlock.except.join(', ')}` : ''}`;
  const pods = peer.podSelector === null ? 'all pods' : `pods ${formatSelector(peer.podSelector)}`;
  const where = peer.namespaceSelector === null ? `namespace ${policy.namespace}` : `namespaces ${formatSelector(peer.namespaceSelector)}`;
  return `${pods} in ${where}`;
}

function ipBlockFamily(peer: Peer & { kind: 'ipBlock' }): IPFamily {
  return cidrFamily(peer.ipBlock.cidr);
}

/** The name of the set holding a peer's addresses (for an ipBlock, in its own family). */
export function peerSetName(policy: NetworkPolicy, peer: Peer, family: IPFamily): string {
  return setName(peer.kind === 'ipBlock' ? 'cidr' : 'pods', peerSelection(policy, peer), peer.kind === 'ipBlock' ? ipBlockFamily(peer) : family);
}

/** What a named-port set holds: ingress, the policy's local pods; egress, the peer's pods (all pods when undefined). */
function namedPortSelection(policy: NetworkPolicy, direction: Direction, peer: Peer | undefined, port: PolicyPort): unknown {
  const owner = direction === 'egress'
    ? { peer: peerSelection(policy, peer) }
    : { local: policy.namespace, podSelector: policy.podSelector };
  return { ...owner, name: port.port, protocol: port.protocol };
}

/** The name of the "address . protocol . port" set of a named port. */
export function namedPortSetName(policy: NetworkPolicy, direction: Direction, peer: Peer | undefined, port: PolicyPort, family: IPFamily): string {
  return setName('port', namedPortSelection(policy, direction, peer, port), family);
}

/**
 * One alternative peer of a rule, per family. Its set is registered only when
 * a rule uses it (an egress rule whose ports are all named carries the peer
 * in its named-port sets instead).
 */
interface PeerAlternative {
  readonly index: number | null;
  /** Absent for "any peer". */
  readonly family?: IPFamily;
  readonly peer?: Peer;
  match(): PeerMatch;
}

/** A thunk that computes its value on the first call only (a set name costs a hash). */
function once<T>(f: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= f());
}

function peerAlternatives(ctx: Ctx, peers: readonly Peer[]): PeerAlternative[] {
  if (peers.length === 0) return [{ index: null, match: () => ({ kind: 'any' }) }];
  return peers.flatMap((peer, j): PeerAlternative[] => {
    const selection = peerSelection(ctx.policy, peer);
    const comment = describePeer(ctx.policy, peer);
    if (peer.kind === 'ipBlock') {
      const family = ipBlockFamily(peer);
      if (!ctx.families.includes(family)) return [];
      const match = once((): PeerMatch => ({
        kind: 'set', family,
        set: ctx.sets.name('cidr', selection, family, () => ({ type: 'prefix', elements: ipBlockPrefixes(peer.ipBlock), comment })),
      }));
      return [{ index: j, family, peer, match }];
    }
    return ctx.families.map((family) => ({
      index: j, family, peer,
      match: once((): PeerMatch => ({
        kind: 'set', family,
        set: ctx.sets.name('pods', selection, family, () => {
          const addrs = [...matchedPodAddresses(ctx.state, ctx.policy, peer, family)].map(([, ip]) => ip);
          return { type: 'address', elements: sortedUnique(addrs), comment };
        }),
      })),
    }));
  });
}

/** The addresses of the family the local pods hold (an address two pods claim is its holder's). */
function localAddresses(state: ClusterState, pods: readonly Pod[], family: IPFamily): [Pod, string][] {
  return pods.flatMap((p) => p.ips.filter((ip) => familyOf(ip) === family && state.podAt(ip) === p).map((ip): [Pod, string] => [p, ip]));
}

function compileRule(ctx: Ctx, ruleIndex: number, peers: readonly Peer[], ports: readonly PolicyPort[]): AllowRule[] {
  const rules: AllowRule[] = [];
  const f = peersField(ctx.direction);
  const portList: (PolicyPort | undefined)[] = ports.length === 0 ? [undefined] : [...ports];
  for (const alt of peerAlternatives(ctx, peers)) {
    const { index: peerIndex, peer: peerObj } = alt;
    portList.forEach((port, k) => {
      const comment = `${ctx.key} ${ctx.direction}[${ruleIndex}]${peerIndex === null ? '' : ` ${f}[${peerIndex}]`}${port ? ` ports[${k}]` : ''}`;
      if (!port) return void rules.push({ peer: alt.match(), port: { kind: 'any' }, comment });
      if (typeof port.port !== 'string') {
        const pm: PortMatch = port.port === undefined
          ? { kind: 'protocol', protocol: port.protocol }
          : { kind: 'range', protocol: port.protocol, from: port.port, to: port.endPort ?? port.port };
        return void rules.push({ peer: alt.match(), port: pm, comment });
      }
      const families = alt.family !== undefined ? [alt.family] : ctx.families;
      for (const family of families) {
        // Ingress: the destination is a local pod the policy selects, whatever
        // the peer. Egress: the destination is a pod the peer selects.
        const egress = ctx.direction === 'egress';
        const selection = namedPortSelection(ctx.policy, ctx.direction, peerObj, port);
        const who = egress ? describePeer(ctx.policy, peerObj) : `local pods ${formatSelector(ctx.policy.podSelector)} in namespace ${ctx.policy.namespace}`;
        const set = ctx.sets.name('port', selection, family, () => {
          const owners = egress ? matchedPodAddresses(ctx.state, ctx.policy, peerObj, family) : localAddresses(ctx.state, ctx.localPods, family);
          return { type: 'address-port', elements: namedElements(owners, port), comment: `${who}: port ${port.port}/${port.protocol}` };
        });
        // Egress: the named-port set holds only peer pods, so it is the peer condition too.
        rules.push({ peer: egress ? { kind: 'any' } : alt.match(), port: { kind: 'named', set, family }, comment });
      }
    });
  }
  return rules;
}

/**
 * The accept rules of one policy in one direction, for the node's families
 * only; its sets go into the node's registry.
 */
export function compilePolicyChain(
  state: ClusterState, policy: NetworkPolicy, direction: Direction, localPods: readonly Pod[],
  families: readonly IPFamily[], sets: SetRegistry,
): PolicyChain {
  const key = policyKey(policy);
  const ctx: Ctx = { state, policy, key, direction, localPods, families, sets };
  const rules = policy[direction].flatMap((r, i) => compileRule(ctx, i, r.peers, r.ports));
  return { name: policyChainName(key, direction), policy: key, direction, rules, ...(policy.failClosed === true && { failClosed: true }) };
}
