// Exposure: per workload (the matrix's rows: pods and workloads), who may
// reach it (which workloads, from which namespaces; from outside the
// cluster, through which ipBlocks, on which connections) and what it may
// reach outside the cluster; the widest exposed first.
//
// Every answer is an exact connection set from the engine
// (connection-set.ts). Outside the cluster is asked once per class of
// outside addresses that the policies' ipBlocks make (outside-classes.ts):
// the engine answers alike for every outside address of a class.
//
// The order, widest first (EXPOSURE_LEVELS):
//   outside-all       reachable from outside the cluster on every port and protocol
//   outside           reachable from outside on some connections
//   all-workloads     from every other workload of the cluster (no outside)
//   other-namespaces  from some workload of another namespace
//   own-namespace     only from workloads of its own namespace
//   none              from nothing
// Within a level: more outside connections first, then more namespaces,
// more workloads, the wider union of what workloads may open to it, more
// connections it may open to the outside, then by namespace and name.
import type { ClusterState } from '../model/cluster-state.ts';
import type { Direction, IPBlock, Pod } from '../model/types.ts';
import { clusterPolicyKey, podKey, policyKey } from '../model/types.ts';
import { cidrContains } from '../model/addresses.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { addressEndpoint, podEndpoint } from '../policy/endpoint.ts';
import { ConnectionSet, connectionSet, podConnectionSet } from './connection-set.ts';
import { matrixPods } from './matrix.ts';
import { outsideClasses, rangeCidrs, type OutsideClass } from './outside-classes.ts';

export const EXPOSURE_LEVELS = ['outside-all', 'outside', 'all-workloads', 'other-namespaces', 'own-namespace', 'none'] as const;
export type ExposureLevel = (typeof EXPOSURE_LEVELS)[number];

/** A workload that may open connections to the one reported. */
export interface WorkloadPeer {
  readonly workload: string;
  readonly connections: ConnectionSet;
}

/**
 * An ipBlock of a policy that isolates the workload, or a networks cidr of an
 * Accept rule of a cluster-wide policy whose subject it is (policy
 * "cnp/name", no excepts), naming the outside addresses of a group.
 */
export interface IpBlockRef {
  readonly policy: string;
  readonly cidr: string;
  readonly except: readonly string[];
}

/** Outside addresses the engine treats alike for this workload: the classes with the same connection set, joined. */
export interface OutsideGroup {
  readonly connections: ConnectionSet;
  /** The classes' addresses as cidrs (pod and node addresses among them are not outside, and not meant). */
  readonly addresses: readonly string[];
  /** The ipBlocks of the workload's isolating policies (this direction) that hold these addresses; empty when it is not isolated in this direction. */
  readonly ipBlocks: readonly IpBlockRef[];
}

export interface OutsideReach {
  /** Isolated in this direction by NetworkPolicy: false (and no clusterPolicies) means every outside address may connect on everything. */
  readonly isolated: boolean;
  // The two fields below are present only when cluster-wide policies apply (as in DirectionVerdict).
  /** The cluster-wide policies whose subject is the workload with rules in this direction, in evaluation order. */
  readonly clusterPolicies?: readonly string[];
  /**
   * The outside addresses (as cidrs) with no connection at all that the
   * groups' text would otherwise seem to open, e.g. a metadata address an
   * Admin Deny closes: when not isolated by NetworkPolicy, every such class;
   * when isolated, those an ipBlock of the isolating policies (or a networks
   * cidr of a cluster Accept rule) holds, which a group's "through" names.
   */
  readonly closed?: readonly string[];
  /** Union over the groups. */
  readonly connections: ConnectionSet;
  /** Widest first. */
  readonly groups: readonly OutsideGroup[];
}

export interface WorkloadExposure {
  /** "namespace/name", as the matrix names it. */
  readonly workload: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: Pod['kind'];
  readonly level: ExposureLevel;
  readonly ingress: {
    /** Union of what the workloads below may open to it. */
    readonly connections: ConnectionSet;
    /** True when every other workload of the cluster may reach it (and there is one). */
    readonly allWorkloads: boolean;
    /** The namespaces with a workload that may reach it, sorted. */
    readonly namespaces: readonly string[];
    readonly workloads: readonly WorkloadPeer[];
    readonly outside: OutsideReach;
  };
  readonly egress: {
    readonly outside: OutsideReach;
  };
}

export interface ExposureReport {
  /** The namespace the workloads were narrowed to (sources are every namespace's). */
  readonly namespace: string | null;
  readonly workloads: readonly WorkloadExposure[];
}

/** Questions an exposure report asks at most: one connection set per (workload, other workload or outside class). Past this, refused. */
export const MAX_EXPOSURE_PAIRS = 250_000;

/** How many connection sets a report would ask for. */
export function exposurePairs(state: ClusterState, namespace: string | null): number {
  const targets = matrixPods(state, namespace).length;
  const sources = matrixPods(state, null).length;
  return targets * (sources + 2 * outsideClasses(state).length);
}

/** Wider first: every connection, then more ports, then other protocols. */
function widerFirst(a: ConnectionSet, b: ConnectionSet): number {
  return Number(b.isAll()) - Number(a.isAll()) || b.portCount() - a.portCount() || Number(b.has('ICMP')) - Number(a.has('ICMP'));
}

/** The ipBlocks of the pod's isolating policies in a direction that hold an address. */
function ipBlocksHolding(engine: PolicyEngine, pod: Pod, direction: Direction, ip: string): IpBlockRef[] {
  const out: IpBlockRef[] = [];
  for (const policy of engine.isolatingPolicies(pod, direction)) {
    for (const rule of policy[direction]) {
      for (const peer of rule.peers) {
        if (peer.kind !== 'ipBlock' || !inBlock(peer.ipBlock, ip)) continue;
        const ref = { policy: policyKey(policy), cidr: peer.ipBlock.cidr, except: peer.ipBlock.except };
        if (!out.some((r) => r.policy === ref.policy && r.cidr === ref.cidr && r.except.join() === ref.except.join())) out.push(ref);
      }
    }
  }
  // Cluster policies: the networks of their Accept rules (networks peers are
  // egress only); the Baseline tier's only for a pod NetworkPolicy does not
  // isolate, as the Baseline tier never decides for one it does.
  const tiers = engine.tierPolicies(pod, direction);
  const baseline = engine.isIsolated(pod, direction) ? [] : tiers.baseline;
  for (const policy of [...tiers.admin, ...baseline]) {
    for (const rule of policy[direction]) {
      if (rule.action !== 'Accept') continue;
      for (const peer of rule.peers) {
        if (peer.kind !== 'networks') continue;
        for (const cidr of peer.cidrs) {
          const ref = { policy: clusterPolicyKey(policy), cidr, except: [] };
          if (cidrContains(cidr, ip) && !out.some((r) => r.policy === ref.policy && r.cidr === cidr)) out.push(ref);
        }
      }
    }
  }
  return out;
}

function inBlock(block: IPBlock, ip: string): boolean {
  return cidrContains(block.cidr, ip) && !block.except.some((e) => cidrContains(e, ip));
}

/** What outside addresses may open to the pod (ingress), or the pod to them (egress), per class, grouped by connection set. */
export function outsideReach(engine: PolicyEngine, pod: Pod, direction: Direction, classes: readonly OutsideClass[]): OutsideReach {
  const groups = new Map<string, { connections: ConnectionSet; addresses: string[]; ipBlocks: IpBlockRef[] }>();
  const tiers = engine.tierPolicies(pod, direction);
  const isolated = engine.isIsolated(pod, direction);
  const closed: string[] = [];
  for (const c of classes) {
    const own = podEndpoint(pod, c.family);
    const outside = addressEndpoint(engine.state, c.representative);
    if (own?.kind !== 'pod' || outside.kind !== 'external' || outside.unknownPodOn !== undefined) continue;
    const set = direction === 'ingress' ? connectionSet(engine, outside, own) : connectionSet(engine, own, outside);
    if (set.isEmpty()) {
      // A cluster tier may cut an address out of an ipBlock the NetworkPolicy
      // opens (an Admin Deny of 169.254.169.254/32 under an egress rule to
      // 0.0.0.0/0): the block alone would overstate what the pod may reach.
      if (tiers.admin.length + tiers.baseline.length > 0 && (!isolated || ipBlocksHolding(engine, pod, direction, c.representative).length > 0)) {
        closed.push(...rangeCidrs(c.first, c.last));
      }
      continue;
    }
    const key = set.format();
    const g = groups.get(key) ?? { connections: set, addresses: [], ipBlocks: [] };
    groups.set(key, g);
    g.addresses.push(...rangeCidrs(c.first, c.last));
    for (const ref of ipBlocksHolding(engine, pod, direction, c.representative)) {
      if (!g.ipBlocks.some((r) => r.policy === ref.policy && r.cidr === ref.cidr && r.except.join() === ref.except.join())) g.ipBlocks.push(ref);
    }
  }
  const list = [...groups.values()].sort((a, b) => widerFirst(a.connections, b.connections));
  const clusterPolicies = [...tiers.admin, ...tiers.baseline].map(clusterPolicyKey);
  return {
    isolated,
    ...(clusterPolicies.length > 0 && { clusterPolicies, closed }),
    connections: list.reduce((u, g) => u.union(g.connections), ConnectionSet.NONE),
    groups: list,
  };
}

function levelOf(e: Omit<WorkloadExposure, 'level'>): ExposureLevel {
  const outside = e.ingress.outside.connections;
  if (outside.isAll()) return 'outside-all';
  if (!outside.isEmpty()) return 'outside';
  if (e.ingress.allWorkloads) return 'all-workloads';
  if (e.ingress.namespaces.some((n) => n !== e.namespace)) return 'other-namespaces';
  return e.ingress.workloads.length > 0 ? 'own-namespace' : 'none';
}

/** The report's order (see the head of this file); exported for tests. */
export function byExposure(a: WorkloadExposure, b: WorkloadExposure): number {
  return EXPOSURE_LEVELS.indexOf(a.level) - EXPOSURE_LEVELS.indexOf(b.level)
    || widerFirst(a.ingress.outside.connections, b.ingress.outside.connections)
    || b.ingress.namespaces.length - a.ingress.namespaces.length
    || b.ingress.workloads.length - a.ingress.workloads.length
    || widerFirst(a.ingress.connections, b.ingress.connections)
    || widerFirst(a.egress.outside.connections, b.egress.outside.connections)
    || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0)
    || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** One workload's exposure; `others`: every workload of the cluster that could reach it. */
export function workloadExposure(engine: PolicyEngine, pod: Pod, others: readonly Pod[], classes: readonly OutsideClass[]): WorkloadExposure {
  const workloads: WorkloadPeer[] = [];
  const reaching = new Set<string>();
  let candidates = 0;
  for (const from of others) {
    if (from === pod) continue;
    candidates++;
    const set = podConnectionSet(engine, from, pod);
    if (set === undefined || set.isEmpty()) continue;
    workloads.push({ workload: podKey(from), connections: set });
    reaching.add(from.namespace);
  }
  const namespaces = [...reaching].sort();
  const base = {
    workload: podKey(pod), namespace: pod.namespace, name: pod.name, kind: pod.kind,
    ingress: {
      connections: workloads.reduce((u, w) => u.union(w.connections), ConnectionSet.NONE),
      allWorkloads: candidates > 0 && workloads.length === candidates,
      namespaces,
      workloads,
      outside: outsideReach(engine, pod, 'ingress', classes),
    },
    egress: { outside: outsideReach(engine, pod, 'egress', classes) },
  };
  const { ingress, egress, ...who } = base;
  return { ...who, level: levelOf(base), ingress, egress };
}

/** Every workload's exposure (of one namespace, when given), widest first. */
export function computeExposure(state: ClusterState, namespace: string | null): ExposureReport {
  const engine = new PolicyEngine(state);
  const classes = outsideClasses(state);
  const all = matrixPods(state, null);
  const targets = namespace === null ? all : all.filter((p) => p.namespace === namespace);
  const workloads = targets.map((p) => workloadExposure(engine, p, all, classes)).sort(byExposure);
  return { namespace, workloads };
}

/** Whether an address is outside the cluster, as the engine sees it. */
export function isOutside(state: ClusterState, ip: string): boolean {
  const e = addressEndpoint(state, ip);
  return e.kind === 'external' && e.unknownPodOn === undefined;
}
