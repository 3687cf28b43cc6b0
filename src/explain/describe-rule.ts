// NetworkPolicy rules in words: "pods app=api in namespaces team=shop",
// "any address in 10.0.0.0/8 except 10.1.0.0/16", "TCP 5432".
import type { LabelSelector, NetworkPolicy, Peer, PolicyPort, PolicyRule } from '../model/types.ts';
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
