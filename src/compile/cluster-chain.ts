// One cluster-wide policy in one direction as the rules of its chain, in the
// policy's rule order (the first matching rule decides, so order is kept):
// a rule becomes one nft rule per (peer, port) alternative, all with the
// rule's action, so a rule's alternatives together match what it matches.
// The chain grows with the policy's rules, never with the pods it selects:
// pods go into sets.
//
// Peers (ingress matches the source address, egress the destination):
//   namespaces / pods  -> plain set of the selected pods' addresses, per family of the node
//   nodes              -> plain set of the matching nodes' addresses (and host-network pods')
//   networks           -> interval set of the CIDRs of the family
//   domainNames        -> nothing: not enforced, the peer matches nothing
// Ports:
//   none               -> any protocol and port (ICMP included)
//   port / range       -> meta l4proto P th dport N[-M]
//   named port         -> set of "destination address . protocol . port":
//     ingress: this node's subject pods (the destination), beside the peer match;
//     egress:  the peer's pods, which carries the peer condition too; for a
//              networks peer, every pod's, beside the networks match; a nodes
//              peer never matches a named port (it resolves on pods only).
// Actions: Accept -> accept, Deny -> drop, Pass -> leave the tier (the renderer
// says how: src/nft/render-tiers.ts).
import type { IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import type { ClusterPeer, ClusterPodSelection, ClusterPolicy, ClusterPort, ClusterRuleAction, Direction } from '../model/types.ts';
import { clusterPolicyKey } from '../model/types.ts';
import { formatSelector } from '../selectors/label-selector.ts';
import {
  networkPrefixes, nodeAddressesSource, peerNamedPortSource, peerPodsSource, subjectNamedPortSource, subjectSource,
} from './cluster-set-sources.ts';
import type { ClusterPolicyChain, ClusterRuleIR, ClusterVerdict, PeerMatch, PortMatch } from './ir.ts';
import { clusterChainName } from './names.ts';
import type { SetRegistry } from './set-registry.ts';

export interface ClusterChainContext {
  readonly state: ClusterState;
  /** The node compiled for: subjects and ingress named ports are its pods. */
  readonly node: string;
  readonly families: readonly IPFamily[];
  readonly sets: SetRegistry;
  /** Every address a nodes peer may match (node addresses, host-network pods'). */
  readonly nodeAddresses: () => Iterable<string>;
}

const VERDICT: Readonly<Record<ClusterRuleAction, ClusterVerdict>> = { Accept: 'accept', Deny: 'drop', Pass: 'return' };

export function describeSelection(sel: ClusterPodSelection): string {
  const where = `namespaces ${formatSelector(sel.namespaceSelector)}`;
  return sel.kind === 'namespaces' ? `pods in ${where}` : `pods ${formatSelector(sel.podSelector)} in ${where}`;
}

/** The node's pods a policy's subject selects, per family: the chain's first rules send others on. */
export function subjectSets(ctx: ClusterChainContext, policy: ClusterPolicy): { family: IPFamily; set: string }[] {
  // Shared by every policy with the same subject, so it names the selection, not the policy.
  const comment = `subject ${describeSelection(policy.subject)} on ${ctx.node}`;
  return ctx.families.map((family) => ({
    family,
    set: ctx.sets.name('subj', { subject: policy.subject, node: ctx.node }, family, () => subjectSource(ctx.state, policy.subject, ctx.node, family, comment)),
  }));
}

/** One peer of a rule, per family: its address match, and what a named port is matched against. */
interface Alternative {
  readonly index: number;
  readonly family: IPFamily;
  readonly peer: ClusterPeer;
  match(): PeerMatch;
}

function alternatives(ctx: ClusterChainContext, peers: readonly ClusterPeer[]): Alternative[] {
  return peers.flatMap((peer, index): Alternative[] => ctx.families.flatMap((family): Alternative[] => {
    switch (peer.kind) {
      case 'namespaces':
      case 'pods': {
        const comment = describeSelection(peer);
        return [{ index, family, peer, match: () => ({ kind: 'set', family, set: ctx.sets.name('pods', { cluster: peer }, family, () => peerPodsSource(ctx.state, peer, family, comment)) }) }];
      }
      case 'nodes': {
        const comment = `nodes ${formatSelector(peer.nodeSelector)}`;
        return [{ index, family, peer, match: () => ({ kind: 'set', family, set: ctx.sets.name('node', { nodes: peer.nodeSelector }, family, () => nodeAddressesSource(ctx.state, peer, family, ctx.nodeAddresses, comment)) }) }];
      }
      case 'networks': {
        const prefixes = networkPrefixes(peer.cidrs, family);
        if (prefixes.length === 0) return [];
        const comment = `networks ${prefixes.join(', ')}`;
        return [{ index, family, peer, match: () => ({ kind: 'set', family, set: ctx.sets.name('cidr', { networks: prefixes }, family, () => ({ type: 'prefix', elements: prefixes, comment })) }) }];
      }
      case 'domainNames':
        return [];
    }
  }));
}

/** The match of a named port for one alternative, with the peer match to go beside it (none when the set carries the peer). */
function namedPort(ctx: ClusterChainContext, policy: ClusterPolicy, direction: Direction, alt: Alternative, name: string): { peer: PeerMatch; port: PortMatch } | undefined {
  const { family, peer } = alt;
  if (direction === 'ingress') {
    const comment = `subject ${describeSelection(policy.subject)} on ${ctx.node}: port ${name}`;
    const set = ctx.sets.name('port', { clusterSubject: policy.subject, node: ctx.node, name }, family,
      () => subjectNamedPortSource(ctx.state, policy.subject, ctx.node, name, family, comment));
    return { peer: alt.match(), port: { kind: 'named', set, family } };
  }
  if (peer.kind === 'namespaces' || peer.kind === 'pods') {
    const set = ctx.sets.name('port', { clusterPeer: peer, name }, family, () => peerNamedPortSource(ctx.state, peer, name, family, `${describeSelection(peer)}: port ${name}`));
    return { peer: { kind: 'any' }, port: { kind: 'named', set, family } };
  }
  if (peer.kind === 'networks') {
    const set = ctx.sets.name('port', { clusterPeer: 'all pods', name }, family, () => peerNamedPortSource(ctx.state, undefined, name, family, `all pods: port ${name}`));
    return { peer: alt.match(), port: { kind: 'named', set, family } };
  }
  return undefined; // nodes: a named port resolves on pods only
}

function portMatch(port: ClusterPort & { kind: 'number' }): PortMatch {
  return { kind: 'range', protocol: port.protocol, from: port.port, to: port.endPort ?? port.port };
}

/** The rules of one cluster policy in one direction, for the node's families; its sets go into the node's registry. */
export function compileClusterChain(ctx: ClusterChainContext, policy: ClusterPolicy, direction: Direction): ClusterPolicyChain {
  const key = clusterPolicyKey(policy);
  const peersField = direction === 'ingress' ? 'from' : 'to';
  const portsField = policy.kind === 'ClusterNetworkPolicy' ? 'protocols' : 'ports';
  const rules: ClusterRuleIR[] = [];
  policy[direction].forEach((rule, i) => {
    const verdict = VERDICT[rule.action];
    const head = `${key} spec.${direction}[${i}]${rule.name !== undefined ? ` (${rule.name})` : ''}`;
    for (const alt of alternatives(ctx, rule.peers)) {
      const where = `${head} ${peersField}[${alt.index}]`;
      if (rule.ports.length === 0) {
        rules.push({ peer: alt.match(), port: { kind: 'any' }, verdict, comment: where });
        continue;
      }
      rule.ports.forEach((port, k) => {
        const comment = `${where} ${portsField}[${k}]`;
        if (port.kind === 'number') return void rules.push({ peer: alt.match(), port: portMatch(port), verdict, comment });
        const named = namedPort(ctx, policy, direction, alt, port.name);
        if (named !== undefined) rules.push({ ...named, verdict, comment });
      });
    }
  });
  return {
    name: clusterChainName(key, direction), policy: key, tier: policy.tier, priority: policy.priority, direction,
    subjects: subjectSets(ctx, policy), rules, ...(policy.failClosed === true && { failClosed: true as const }),
  };
}
