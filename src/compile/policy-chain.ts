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
import { cidrFamily, type IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, NetworkPolicy, Peer, PolicyPort } from '../model/types.ts';
import { policyKey } from '../model/types.ts';
import { peersField } from '../policy/direction.ts';
import type { AllowRule, PeerMatch, PolicyChain, PortMatch } from './ir.ts';
import { ipBlockPrefixes } from './ipblock-prefixes.ts';
import { policyChainName } from './names.ts';
import { egressNamedPortSource, ingressNamedPortSource, peerPodsSource } from './set-sources.ts';
import { setName, type SetRegistry } from './set-registry.ts';
import { formatSelector } from '../selectors/label-selector.ts';

interface Ctx {
  readonly state: ClusterState;
  readonly policy: NetworkPolicy;
  readonly key: string;
  readonly direction: Direction;
  /** The node compiled for (an ingress named port resolves on its pods). */
  readonly node: string;
  /** The node's families (see nodeFamilies): rules and sets of another family could never match. */
  readonly families: readonly IPFamily[];
  readonly sets: SetRegistry;
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
        set: ctx.sets.name('pods', selection, family, () => peerPodsSource(ctx.state, ctx.policy, peer, family, comment)),
      })),
    }));
  });
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
        const setComment = `${who}: port ${port.port}/${port.protocol}`;
        const set = ctx.sets.name('port', selection, family, () => (egress
          ? egressNamedPortSource(ctx.state, ctx.policy, peerObj, port, family, setComment)
          : ingressNamedPortSource(ctx.state, ctx.policy, ctx.node, port, family, setComment)));
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
  state: ClusterState, policy: NetworkPolicy, direction: Direction, node: string,
  families: readonly IPFamily[], sets: SetRegistry,
): PolicyChain {
  const key = policyKey(policy);
  const ctx: Ctx = { state, policy, key, direction, node, families, sets };
  const rules = policy[direction].flatMap((r, i) => compileRule(ctx, i, r.peers, r.ports));
  return { name: policyChainName(key, direction), policy: key, direction, rules, ...(policy.failClosed === true && { failClosed: true }) };
}
