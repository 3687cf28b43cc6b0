// A mix of cluster-wide policies over a bench cluster's labels, for the
// benches that measure the tiers beside NetworkPolicy alone (engine-tiers,
// agent): N-1 policies, ClusterNetworkPolicy (70% Admin, 30% Baseline) and
// every fifth an AdminNetworkPolicy, then the BaselineAdminNetworkPolicy
// `default`. Subjects select namespaces by team, or pods by namespace env and
// pod tier; ingress rules 1–4 of namespaces / pods / one named namespace
// peers; egress rules 1–4 of namespaces, pods, networks (the pod network, the
// metadata address, one node's pod /24) and nodes peers; every action
// (Accept, Deny, Pass); no ports, a port, a range, a named port, or UDP+TCP
// 53. Deterministic for a seed.
import type { ClusterPolicy, ClusterRule, LabelSelector } from '../src/model/types.ts';
import { ALL, sel } from '../test/generators/cluster-builders.ts';
import {
  accept, anp, banp, cnp, deny, namedPort, networks, nodesPeer, nsPeerOf, nsSubject, pass, podsPeerOf, podsSubject, portOf,
} from '../test/generators/cluster-policies.ts';
import { prng } from './bench.ts';

/** The labels and addresses of the cluster the policies are written for. */
export interface PolicyVocabulary {
  /** Namespaces carry team=t0..t{teams-1}. */
  readonly teams: number;
  /** Pods carry tier=one of these; namespaces env=one of envs. */
  readonly tiers: readonly string[];
  readonly envs: readonly string[];
  /** The name of namespace i (0..namespaces-1), selected by kubernetes.io/metadata.name. */
  readonly namespace: (i: number) => string;
  readonly namespaces: number;
  /** The pod network, and node i's pod /24 (i from 0 to 19). */
  readonly podNetwork: string;
  readonly nodeSubnet: (i: number) => string;
  /** The nodes an egress `nodes` peer selects. */
  readonly nodeSelector: LabelSelector;
  /** A container port name the destination pods declare. */
  readonly portName: string;
}

export function clusterPolicyMix(v: PolicyVocabulary, count: number, seed = 7): ClusterPolicy[] {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const team = (): LabelSelector => sel({ team: `t${Math.floor(random() * v.teams)}` });
  const tier = (): LabelSelector => sel({ tier: pick(v.tiers) });
  const ports = (): ClusterRule['ports'] => pick([[], [portOf('TCP', 80)], [portOf('TCP', 8000, 9000)], [namedPort(v.portName)], [portOf('UDP', 53), portOf('TCP', 53)]]);
  const ingressRule = (): ClusterRule => {
    const peers = [pick([nsPeerOf(team()), podsPeerOf(team(), tier()), nsPeerOf(sel({ 'kubernetes.io/metadata.name': v.namespace(Math.floor(random() * v.namespaces)) }))])];
    return pick([accept, deny, pass])(peers, ports());
  };
  const egressRule = (): ClusterRule => {
    const peers = [pick([nsPeerOf(team()), podsPeerOf(ALL, tier()), networks(v.podNetwork), networks('169.254.169.254/32'), nodesPeer(v.nodeSelector), networks(v.nodeSubnet(Math.floor(random() * 20)))])];
    // Node and network peers: every port, or HTTPS.
    const p = peers[0]?.kind === 'networks' || peers[0]?.kind === 'nodes' ? pick([[], [portOf('TCP', 443)]]) : ports();
    return pick([accept, deny, pass])(peers, p);
  };
  const rules = (make: () => ClusterRule): ClusterRule[] => Array.from({ length: 1 + Math.floor(random() * 4) }, make);
  const out: ClusterPolicy[] = [];
  for (let i = 0; i < count - 1; i++) {
    const subject = random() < 0.5 ? nsSubject(team()) : podsSubject(sel({ env: pick(v.envs) }), tier());
    const o = { priority: Math.floor(random() * 1000), subject, ingress: rules(ingressRule), egress: rules(egressRule) };
    out.push(i % 5 === 4 ? anp(`anp-${i}`, o) : cnp(`cnp-${i}`, { ...o, tier: random() < 0.7 ? 'Admin' : 'Baseline' }));
  }
  // The baseline: namespaces isolated from each other, no egress, where nothing above decided.
  out.push(banp({ subject: nsSubject(ALL), ingress: [deny([nsPeerOf(ALL)])], egress: [deny([networks('0.0.0.0/0')])] }));
  return out;
}
