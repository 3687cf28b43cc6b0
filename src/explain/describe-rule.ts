// NetworkPolicy rules in words: "pods app=api in namespaces team=shop",
// "any address in 10.0.0.0/8 except 10.1.0.0/16", "TCP 5432"; and the rules
// of cluster-wide policies: "Deny from every pod in namespaces team=dev".
import type {
  ClusterPeer, ClusterPodSelection, ClusterPolicy, ClusterPort, ClusterRule, Direction, LabelSelector, NetworkPolicy, Peer, PolicyPort, PolicyRule,
} from '../model/types.ts';
import { actionWord } from '../model/types.ts';
import { formatSelector, isEmptySelector } from '../selectors/label-selector.ts';

const NAME_LABEL = 'kubernetes.io/metadata.name';

export function describePeer(policy: Pick<NetworkPolicy, 'namespace'>, peer: Peer): string {
  if (peer.kind === 'ipBlock') {
    const { cidr, except } = peer.ipBlock;
    return `any address in ${cidr}${except.length > 0 ? ` except ${except.join(', ')}` : ''}`;
  }
  const pods = peer.podSelector === null || isEmptySelector(peer.podSelector) ? 'all pods' : `pods ${formatSelector(peer.podSelector)}`;
  if (peer.namespaceSelector === null) return `${pods} in namespace ${policy.namespace}`;
  if (isEmptySelector(peer.namespaceSelector)) return `${pods} in all namespaces`;
  const byName = namespaceByName(peer.namespaceSelector);
  if (byName !== undefined) return `${pods} in namespace ${byName}`;
  return `${pods} in namespaces ${formatSelector(peer.namespaceSelector)}`;
}

/** The namespace a selector names by kubernetes.io/metadata.name alone, if it does. */
function namespaceByName(sel: LabelSelector): string | undefined {
  const keys = Object.keys(sel.matchLabels);
  return sel.matchExpressions.length === 0 && keys.length === 1 && keys[0] === NAME_LABEL ? sel.matchLabels[NAME_LABEL] : undefined;
}

export function describePort(p: PolicyPort): string {
  if (p.port === undefined) return `all ${p.protocol} ports`;
  if (typeof p.port === 'string') return `${p.protocol} port named ${p.port}`;
  return p.endPort !== undefined ? `${p.protocol} ${p.port}-${p.endPort}` : `${p.protocol} ${p.port}`;
}

/** Each peer in words; a rule without peers admits every peer. */
export function describePeers(policy: Pick<NetworkPolicy, 'namespace'>, rule: PolicyRule): string[] {
  return rule.peers.length === 0 ? ['any peer (every pod, node and outside address)'] : rule.peers.map((p) => describePeer(policy, p));
}

/** Each port entry in words; a rule without ports admits every port and protocol. */
export function describePorts(rule: PolicyRule): string[] {
  return rule.ports.length === 0 ? ['any port and protocol'] : rule.ports.map(describePort);
}

/** One line for a rule: "pods app=api in namespace shop on TCP 5432". */
export function describeRule(policy: Pick<NetworkPolicy, 'namespace'>, rule: PolicyRule): string {
  const ports = rule.ports.length === 0 ? 'on any port' : `on ${describePorts(rule).join(', ')}`;
  return `${describePeers(policy, rule).join('; or ')} ${ports}`;
}

// ---------------------------------------------------------------- cluster-wide policy rules

/** A cluster policy's subject or pod peer in words: "pods app=db in namespaces team=shop", "every pod in all namespaces". */
export function describeClusterSelection(sel: ClusterPodSelection): string {
  const namespaces = isEmptySelector(sel.namespaceSelector) ? 'all namespaces'
    : namespaceByName(sel.namespaceSelector) !== undefined ? `namespace ${namespaceByName(sel.namespaceSelector) ?? ''}`
      : `namespaces ${formatSelector(sel.namespaceSelector)}`;
  if (sel.kind === 'namespaces') return `every pod in ${namespaces}`;
  const pods = isEmptySelector(sel.podSelector) ? 'all pods' : `pods ${formatSelector(sel.podSelector)}`;
  return `${pods} in ${namespaces}`;
}

/** One peer of a cluster rule in words; domainNames say that nftpol does not enforce them. */
export function describeClusterPeer(peer: ClusterPeer): string {
  switch (peer.kind) {
    case 'namespaces':
    case 'pods':
      return describeClusterSelection(peer);
    case 'nodes':
      return isEmptySelector(peer.nodeSelector) ? 'every node' : `nodes ${formatSelector(peer.nodeSelector)}`;
    case 'networks':
      return `any address in ${peer.cidrs.join(', ')}`;
    case 'domainNames':
      return `domain names ${peer.domainNames.join(', ')} (NOT ENFORCED by nftpol: matches nothing)`;
  }
}

export function describeClusterPort(p: ClusterPort): string {
  if (p.kind === 'named') return `port named ${p.name}`;
  return p.endPort !== undefined ? `${p.protocol} ${p.port}-${p.endPort}` : `${p.protocol} ${p.port}`;
}

/** A cluster rule without its action: "from every pod in namespaces team=dev on any port and protocol" ("matches nothing": an Accept rule failing closed). */
export function describeClusterRuleTarget(direction: Direction, rule: ClusterRule): string {
  if (rule.peers.length === 0) return 'matches nothing';
  const peers = rule.peers.map(describeClusterPeer).join('; or ');
  const ports = rule.ports.length === 0 ? 'on any port and protocol' : `on ${rule.ports.map(describeClusterPort).join(', ')}`;
  return `${direction === 'ingress' ? 'from' : 'to'} ${peers} ${ports}`;
}

/**
 * One line for a cluster rule, its action as the policy's API writes it:
 * "Deny from every pod in namespaces team=dev on any port", "Allow to …" for
 * an AdminNetworkPolicy.
 */
export function describeClusterRule(policy: Pick<ClusterPolicy, 'kind'>, direction: Direction, rule: ClusterRule): string {
  // A rule without peers is only ever one failing closed (ClusterRule): say so even without the flag.
  const closed = rule.failClosed === true || rule.peers.length === 0 ? ' (the rule has errors in the input: failing closed)' : '';
  return `${actionWord(policy, rule.action)}${rule.peers.length === 0 ? ':' : ''} ${describeClusterRuleTarget(direction, rule)}${closed}`;
}
