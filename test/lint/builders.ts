// Plain model objects for lint tests, built the way the sources normalize
// them (namespace labels include kubernetes.io/metadata.name, policyTypes are
// effective), with only what a test cares about spelled out.
import type {
  ClusterObjects, ContainerPort, LabelSelector, Labels, Namespace, NetworkPolicy, Peer, Pod, PolicyPort, PolicyRule, PolicyType, Protocol,
} from '../../src/model/types.ts';
import { lintCluster, type LintFinding } from '../../src/lint/lint-cluster.ts';

export function sel(matchLabels: Labels = {}): LabelSelector {
  return { matchLabels, matchExpressions: [] };
}

export function ns(name: string, labels: Labels = {}): Namespace {
  return { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } };
}

export function pod(id: string, labels: Labels, opts: { ips?: string[]; ports?: ContainerPort[]; kind?: Pod['kind']; hostNetwork?: boolean } = {}): Pod {
  const [namespace, name] = id.split('/') as [string, string];
  return {
    namespace, name, kind: opts.kind ?? 'Pod', labels, ips: opts.ips ?? [], hostNetwork: opts.hostNetwork ?? false, phase: 'Running',
    ports: opts.ports ?? [],
  };
}

export function pods(podSelector: LabelSelector | null, namespaceSelector: LabelSelector | null = null): Peer {
  return { kind: 'pods', podSelector, namespaceSelector };
}

export function ipBlock(cidr: string, except: string[] = []): Peer {
  return { kind: 'ipBlock', ipBlock: { cidr, except } };
}

export function port(p: number | string | undefined, protocol?: Protocol): PolicyPort {
  return { protocol: protocol ?? 'TCP', protocolDefaulted: protocol === undefined, ...(p !== undefined ? { port: p } : {}) };
}

export function rule(peers: Peer[] = [], ports: PolicyPort[] = []): PolicyRule {
  return { peers, ports };
}

export function policy(
  id: string, podSelector: LabelSelector,
  spec: { ingress?: PolicyRule[]; egress?: PolicyRule[]; policyTypes?: PolicyType[] },
): NetworkPolicy {
  const [namespace, name] = id.split('/') as [string, string];
  const ingress = spec.ingress ?? [];
  const egress = spec.egress ?? [];
  // Effective policyTypes as upstream defaults them: Ingress, plus Egress when there are egress rules.
  const defaulted: PolicyType[] = egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  return {
    namespace, name, podSelector, ingress, egress,
    policyTypes: spec.policyTypes ?? defaulted, policyTypesDefaulted: spec.policyTypes === undefined,
  };
}

export function cluster(parts: Partial<ClusterObjects>): ClusterObjects {
  return {
    namespaces: parts.namespaces ?? [], pods: parts.pods ?? [], policies: parts.policies ?? [], nodes: parts.nodes ?? [],
    ...(parts.clusterPolicies !== undefined && { clusterPolicies: parts.clusterPolicies }),
  };
}

/** Findings of one check only, so each test sees just what it is about. */
export function findings(objects: Partial<ClusterObjects>, id: string): LintFinding[] {
  return lintCluster(cluster(objects)).filter((f) => f.id === id);
}
