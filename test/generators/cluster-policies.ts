// Builders for cluster-wide policies (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy as the model holds them), so a test reads like
// the YAML: cnp('deny-imds', { tier: 'Admin', priority: 10, subject: nsSubject(ALL),
// egress: [deny([networks('169.254.169.254/32')])] }).
import type {
  ClusterPeer, ClusterPodSelection, ClusterPolicy, ClusterPolicyKind, ClusterPort, ClusterRule, ClusterRuleAction, ClusterTier,
  LabelSelector, Protocol,
} from '../../src/model/types.ts';

export function nsSubject(namespaceSelector: LabelSelector): ClusterPodSelection {
  return { kind: 'namespaces', namespaceSelector };
}
export function podsSubject(namespaceSelector: LabelSelector, podSelector: LabelSelector): ClusterPodSelection {
  return { kind: 'pods', namespaceSelector, podSelector };
}

export const nsPeerOf = nsSubject;
export const podsPeerOf = podsSubject;
export function nodesPeer(nodeSelector: LabelSelector): ClusterPeer {
  return { kind: 'nodes', nodeSelector };
}
export function networks(...cidrs: string[]): ClusterPeer {
  return { kind: 'networks', cidrs };
}
export function domainNames(...names: string[]): ClusterPeer {
  return { kind: 'domainNames', domainNames: names };
}

export function portOf(protocol: Protocol, port: number, endPort?: number): ClusterPort {
  return { kind: 'number', protocol, port, ...(endPort !== undefined && { endPort }) };
}
export function namedPort(name: string): ClusterPort {
  return { kind: 'named', name };
}

function ruleOf(action: ClusterRuleAction, peers: readonly ClusterPeer[], ports: readonly ClusterPort[], name?: string): ClusterRule {
  return { action, peers, ports, ...(name !== undefined && { name }) };
}
export const accept = (peers: readonly ClusterPeer[], ports: readonly ClusterPort[] = [], name?: string): ClusterRule => ruleOf('Accept', peers, ports, name);
export const deny = (peers: readonly ClusterPeer[], ports: readonly ClusterPort[] = [], name?: string): ClusterRule => ruleOf('Deny', peers, ports, name);
export const pass = (peers: readonly ClusterPeer[], ports: readonly ClusterPort[] = [], name?: string): ClusterRule => ruleOf('Pass', peers, ports, name);

export interface ClusterPolicyOptions {
  tier?: ClusterTier;
  priority?: number;
  subject: ClusterPodSelection;
  ingress?: readonly ClusterRule[];
  egress?: readonly ClusterRule[];
}

function clusterPolicyOf(kind: ClusterPolicyKind, name: string, tier: ClusterTier, o: ClusterPolicyOptions): ClusterPolicy {
  return { kind, name, tier, priority: o.priority ?? 0, subject: o.subject, ingress: o.ingress ?? [], egress: o.egress ?? [] };
}

/** A ClusterNetworkPolicy (v1alpha2); tier Admin unless told. */
export function cnp(name: string, o: ClusterPolicyOptions): ClusterPolicy {
  return clusterPolicyOf('ClusterNetworkPolicy', name, o.tier ?? 'Admin', o);
}
/** An AdminNetworkPolicy (v1alpha1). */
export function anp(name: string, o: Omit<ClusterPolicyOptions, 'tier'>): ClusterPolicy {
  return clusterPolicyOf('AdminNetworkPolicy', name, 'Admin', o);
}
/** The BaselineAdminNetworkPolicy singleton "default" (v1alpha1), priority 0. */
export function banp(o: Omit<ClusterPolicyOptions, 'tier' | 'priority'>): ClusterPolicy {
  return clusterPolicyOf('BaselineAdminNetworkPolicy', 'default', 'Baseline', { ...o, priority: 0 });
}
