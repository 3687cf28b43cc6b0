// One policy in one direction as an nft chain of accept rules. A rule of the
// policy becomes one accept rule per (peer, port) pair, so the rule count
// follows the policy's size, never the number of pods it matches: pods go
// into sets.
//
// Peers (ingress matches the source address, egress the destination):
//   no from/to            -> any address
//   selector peer         -> plain set of the matched pods' addresses, per family
//   ipBlock               -> interval set of cidr minus except
// Ports:
//   no ports              -> any protocol and port
//   protocol only         -> meta l4proto P
//   port / port..endPort  -> meta l4proto P th dport N[-M]
//   named port            -> set of "destination address . protocol . port":
//     ingress: the local pods this policy selects (the destination);
//     egress:  the pods the peer matches (the destination is the peer), so
//              the set also carries the peer condition.
import type { IPFamily } from '../model/addresses.ts';
import { familyOf } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, NetworkPolicy, Peer, Pod, PolicyPort } from '../model/types.ts';
import { policyKey } from '../model/types.ts';
import { peersField } from '../policy/direction.ts';
import { resolveNamedPort } from '../policy/port-match.ts';
import type { AddressPort, AllowRule, NamedSet, PeerMatch, PolicyChain, PortMatch } from './ir.ts';
import { ipBlockPrefixes } from './ipblock-prefixes.ts';
import { namedPortSetName, peerSetName, policyChainName } from './names.ts';
import { matchedPodAddresses } from './peer-addresses.ts';

const FAMILIES: readonly IPFamily[] = [4, 6];

export interface CompiledPolicyChain {
  readonly chain: PolicyChain;
  readonly sets: NamedSet[];
}

interface Ctx {
  readonly state: ClusterState;
  readonly policy: NetworkPolicy;
  readonly key: string;
  readonly direction: Direction;
  /** Local pods this policy selects and isolates in this direction. */
  readonly localPods: readonly Pod[];
  readonly sets: NamedSet[];
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

/** The peer alternatives of a rule: [peer index or null, match] per family. */
function peerMatchesOf(ctx: Ctx, ruleIndex: number, peers: readonly Peer[]): [number | null, PeerMatch, Peer | undefined][] {
  if (peers.length === 0) return [[null, { kind: 'any' }, undefined]];
  const out: [number | null, PeerMatch, Peer | undefined][] = [];
  peers.forEach((peer, j) => {
    if (peer.kind === 'ipBlock') {
      const family = familyOf(peer.ipBlock.cidr.split('/')[0] as string);
      const set = peerSetName(ctx.key, ctx.direction, ruleIndex, j, family);
      ctx.sets.push({ name: set, family, type: 'prefix', elements: ipBlockPrefixes(peer.ipBlock) });
      out.push([j, { kind: 'set', set, family }, peer]);
      return;
    }
    for (const family of FAMILIES) {
      const set = peerSetName(ctx.key, ctx.direction, ruleIndex, j, family);
      const addrs = [...matchedPodAddresses(ctx.state, ctx.policy, peer, family)].map(([, ip]) => ip);
      ctx.sets.push({ name: set, family, type: 'address', elements: sortedUnique(addrs) });
      out.push([j, { kind: 'set', set, family }, peer]);
    }
  });
  return out;
}

function localAddresses(pods: readonly Pod[], family: IPFamily): [Pod, string][] {
  return pods.flatMap((p) => p.ips.filter((ip) => familyOf(ip) === family).map((ip): [Pod, string] => [p, ip]));
}

function compileRule(ctx: Ctx, ruleIndex: number, peers: readonly Peer[], ports: readonly PolicyPort[]): AllowRule[] {
  const rules: AllowRule[] = [];
  const f = peersField(ctx.direction);
  const portList: (PolicyPort | undefined)[] = ports.length === 0 ? [undefined] : [...ports];
  for (const [peerIndex, peer, peerObj] of peerMatchesOf(ctx, ruleIndex, peers)) {
    portList.forEach((port, k) => {
      const comment = `${ctx.key} ${ctx.direction}[${ruleIndex}]${peerIndex === null ? '' : ` ${f}[${peerIndex}]`}${port ? ` ports[${k}]` : ''}`;
      if (!port) return void rules.push({ peer, port: { kind: 'any' }, comment });
      if (typeof port.port !== 'string') {
        const pm: PortMatch = port.port === undefined
          ? { kind: 'protocol', protocol: port.protocol }
          : { kind: 'range', protocol: port.protocol, from: port.port, to: port.endPort ?? port.port };
        return void rules.push({ peer, port: pm, comment });
      }
      const families = peer.kind === 'set' ? [peer.family] : FAMILIES;
      for (const family of families) {
        // Ingress: the destination is the selected local pod whatever the peer,
        // so one set per rule port serves every peer of the rule.
        const egress = ctx.direction === 'egress';
        const set = namedPortSetName(ctx.key, ctx.direction, ruleIndex, egress ? peerIndex : null, k, family);
        if (!ctx.sets.some((s) => s.name === set)) {
          const owners = egress ? matchedPodAddresses(ctx.state, ctx.policy, peerObj, family) : localAddresses(ctx.localPods, family);
          ctx.sets.push({ name: set, family, type: 'address-port', elements: namedElements(owners, port) });
        }
        // Egress: the named-port set holds only peer pods, so it is the peer condition too.
        rules.push({ peer: egress ? { kind: 'any' } : peer, port: { kind: 'named', set, family }, comment });
      }
    });
  }
  return rules;
}

export function compilePolicyChain(
  state: ClusterState, policy: NetworkPolicy, direction: Direction, localPods: readonly Pod[],
): CompiledPolicyChain {
  const key = policyKey(policy);
  const ctx: Ctx = { state, policy, key, direction, localPods, sets: [] };
  const rules = policy[direction].flatMap((r, i) => compileRule(ctx, i, r.peers, r.ports));
  return { chain: { name: policyChainName(key, direction), policy: key, direction, rules }, sets: ctx.sets };
}
