// Many decoded objects -> ClusterObjects: normalize each, then settle what
// only the whole set can tell.
//  - Duplicates of one kind are an error that names both places (the input
//    is refused; the first definition is what is assembled). A Pod and a workload
//    (or two workloads of different kinds) may share a namespace/name, as in
//    a cluster: both stay, the Pod (else the first) keeps the key
//    "namespace/name", the others are keyed by kind too ("deploy/shop/api"),
//    with a warning that says how to name each.
//  - Workloads whose pods are also in the input (a snapshot of a cluster has
//    the Deployment, its ReplicaSet and its Pods) stand for nothing more: the
//    real pods do. A workload is dropped when some object names it as its
//    controller, which removes the Deployment above a ReplicaSet and the
//    ReplicaSet above its Pods.
//  - Namespaces that pods or policies use but nobody declares are created with
//    only the kubernetes.io/metadata.name label, as the server would have them.
//  - Pod CIDRs must not overlap, on one node or across nodes: the API
//    server's IPAM never hands out overlapping ones, nft refuses a node's set
//    of overlapping intervals, and an address in two nodes' CIDRs would have
//    two owners. In input order, a pod CIDR that overlaps an earlier one is
//    an error naming both nodes and both CIDRs, and is dropped from its node
//    (the first keeps it, as with duplicates).
//  - Two running pods claiming one address (a stale Pod in a snapshot, a
//    hand-written manifest) is a warning on each pod that does not hold it,
//    naming the address and both pods: ClusterState gives the address to one
//    (holdsAddressOver: the newest, else the greater namespace/name) and
//    everything (rules, explain, test) follows that one.
//  - A NetworkPolicy with errors stays, failing closed (DESIGN invariant 4):
//    marked failClosed and stripped of its rules, it isolates the pods it
//    selects (every pod of its namespace when its podSelector is unreadable,
//    see normalize-policy.ts) in its policyTypes and allows nothing: the
//    author's intent is unknown, so no rule of it may open anything.
//  - Cluster-wide policies (ClusterNetworkPolicy, AdminNetworkPolicy,
//    BaselineAdminNetworkPolicy) come out of normalizeObject already in their
//    fail-closed form when they have errors (normalize-cluster-policy.ts);
//    duplicates are keyed by kind and name (names of different kinds may
//    repeat), as for every kind.
//  - Objects of kinds nftpol knows but does not enforce (Calico's and
//    Cilium's policies) get one warning per kind with a count: their rules
//    have no effect here, which a reader must not miss.
import { overlapsWithEarlier } from '../model/addresses.ts';
import { holdsAddressOver, participates } from '../model/cluster-state.ts';
import { namespaceLabels } from './normalize-namespace.ts';
import type { ModelObject, NormalizeOptions, RawObject } from './normalize-object.ts';
import { unenforcedKind } from './unenforced-kinds.ts';
import { normalizeEnforced } from './fail-closed.ts';
import { formatSourceRef, ProblemList } from '../model/problems.ts';
import type { SourceProblem } from '../model/problems.ts';
import type { ClusterObjects, ClusterPolicy, Namespace, NetworkPolicy, Node, Pod, SourceRef } from '../model/types.ts';
import { podKey } from '../model/types.ts';

export interface AssembleResult {
  readonly objects: ClusterObjects;
  readonly problems: readonly SourceProblem[];
}

/** A normalized object and where it came from. */
export type LocatedObject = { readonly object: ModelObject; readonly source: SourceRef; readonly line?: number };
type Located = LocatedObject;

export function assembleCluster(raws: readonly RawObject[], opts: NormalizeOptions = {}): AssembleResult {
  const problems: SourceProblem[] = [];
  const normalized: Located[] = [];
  for (const raw of raws) {
    const r = normalizeEnforced(raw, opts);
    problems.push(...r.problems);
    const object = r.object;
    if (object) normalized.push({ object, source: raw.source, ...(raw.line !== undefined && { line: raw.line }) });
  }
  problems.push(...unenforcedKindWarnings(raws));
  return assembleNormalized(normalized, problems);
}

/**
 * Nodes alone through the one cross-object step that concerns them
 * (overlapping pod CIDRs are left out): the nodes assembleNormalized gives
 * for the same nodes, in the same order. The agent's kubernetes source uses
 * it when only nodes changed.
 */
export function assembleNodes(nodes: readonly LocatedObject[], problems: SourceProblem[] = []): Node[] {
  return dropOverlappingPodCidrs(nodes, problems).flatMap((l) => (l.object.type === 'node' ? [l.object.value] : []));
}

/**
 * The cross-object steps alone, for objects normalized already (the cluster
 * watch normalizes each as it arrives); `problems` collects what they find,
 * after any the caller put there first.
 */
export function assembleNormalized(normalized: readonly LocatedObject[], problems: SourceProblem[] = []): AssembleResult {
  const kept = dropOverlappingPodCidrs(
    keyClashingPodsByKind(dropDuplicates(dropControlledWorkloads(normalized, problems), problems), problems), problems);
  const namespaces: Namespace[] = [];
  const pods: Pod[] = [];
  const policies: NetworkPolicy[] = [];
  const nodes: Node[] = [];
  const clusterPolicies: ClusterPolicy[] = [];
  for (const { object } of kept) {
    if (object.type === 'namespace') namespaces.push(object.value);
    else if (object.type === 'pod') pods.push(object.value);
    else if (object.type === 'policy') policies.push(object.value);
    else if (object.type === 'clusterPolicy') clusterPolicies.push(object.value);
    else nodes.push(object.value);
  }
  addImplicitNamespaces(namespaces, [...pods, ...policies], problems);
  warnSharedAddresses(kept, problems);
  return { objects: { namespaces, pods, policies, nodes, ...(clusterPolicies.length > 0 && { clusterPolicies }) }, problems };
}

function unenforcedKindWarnings(raws: readonly RawObject[]): SourceProblem[] {
  const byKind = new Map<string, RawObject[]>();
  for (const raw of raws) {
    const kind = unenforcedKind(raw.value);
    if (kind !== undefined) byKind.set(kind, [...(byKind.get(kind) ?? []), raw]);
  }
  return [...byKind].map(([kind, found]): SourceProblem => {
    const first = found[0] as RawObject;
    const n = found.length;
    return {
      severity: 'warning', file: first.source.file, document: first.source.document, ...(first.line !== undefined && { line: first.line }),
      message: `${n} ${kind} object${n === 1 ? '' : 's'} (first here) ${n === 1 ? 'is' : 'are'} not enforced by nftpol: ` +
        `${n === 1 ? 'its' : 'their'} rules have no effect on its verdicts, rulesets or tests`,
    };
  });
}

function kindOf(o: ModelObject): string {
  if (o.type === 'pod' || o.type === 'clusterPolicy') return o.value.kind;
  return { namespace: 'Namespace', policy: 'NetworkPolicy', node: 'Node' }[o.type];
}

function namespaceOf(o: ModelObject): string | undefined {
  return o.type === 'pod' || o.type === 'policy' ? o.value.namespace : undefined;
}

function contextOf(l: Located): ConstructorParameters<typeof ProblemList>[0] {
  const namespace = namespaceOf(l.object);
  return { source: l.source, kind: kindOf(l.object), name: l.object.value.name, ...(namespace !== undefined && { namespace }) };
}

/** Problems about a whole object point at the line where it starts. */
function atLine(l: Located, items: readonly SourceProblem[]): SourceProblem[] {
  return items.map((pr) => (l.line === undefined ? pr : { ...pr, line: l.line }));
}

function dropControlledWorkloads(all: readonly Located[], problems: SourceProblem[]): Located[] {
  const controllers = new Map<string, string>();
  for (const { object } of all) {
    if (object.type === 'pod' && object.owner) {
      controllers.set(`${object.value.namespace}/${object.owner.kind}/${object.owner.name}`, `${object.value.kind} ${object.value.name}`);
    }
  }
  return all.filter((l) => {
    const o = l.object;
    if (o.type !== 'pod' || o.value.kind === 'Pod') return true;
    const child = controllers.get(`${o.value.namespace}/${o.value.kind}/${o.value.name}`);
    if (child === undefined) return true;
    const p = new ProblemList(contextOf(l));
    p.debug(undefined, `stands for no pods of its own: the ${child} it controls is in the input`);
    problems.push(...atLine(l, p.items));
    return false;
  });
}

function dropDuplicates(all: readonly Located[], problems: SourceProblem[]): Located[] {
  const seen = new Map<string, Located>();
  return all.filter((l) => {
    const ns = namespaceOf(l.object);
    const key = `${kindOf(l.object)}:${ns === undefined ? '' : `${ns}/`}${l.object.value.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, l);
      return true;
    }
    const p = new ProblemList(contextOf(l));
    p.error(undefined, `duplicate ${kindOf(first.object)}: also defined at ${formatSourceRef(first.source)}${first.line === undefined ? '' : ` (line ${first.line})`}; an object may be defined once, so the input is refused`);
    problems.push(...atLine(l, p.items));
    return false;
  });
}

/** Pods and workloads sharing a namespace/name: the Pod (else the first) keeps it, the others are keyed by kind. */
function keyClashingPodsByKind(all: readonly Located[], problems: SourceProblem[]): Located[] {
  const holders = new Map<string, Located>();
  for (const l of all) {
    if (l.object.type !== 'pod') continue;
    const key = `${l.object.value.namespace}/${l.object.value.name}`;
    const held = holders.get(key);
    if (!held || (l.object.value.kind === 'Pod' && kindOf(held.object) !== 'Pod')) holders.set(key, l);
  }
  return all.map((l) => {
    const o = l.object;
    if (o.type !== 'pod') return l;
    const plain = `${o.value.namespace}/${o.value.name}`;
    const holder = holders.get(plain) as Located;
    if (holder === l) return l;
    const value: Pod = { ...o.value, keyedByKind: true };
    const p = new ProblemList(contextOf(l));
    p.warn(undefined, `has the same namespace/name as ${kindOf(holder.object)} at ${formatSourceRef(holder.source)}; ` +
      `${plain} names the ${kindOf(holder.object)}, write ${podKey(value)} for this ${o.value.kind}`);
    problems.push(...atLine(l, p.items));
    return { ...l, object: { ...o, value } };
  });
}

function dropOverlappingPodCidrs(all: readonly Located[], problems: SourceProblem[]): Located[] {
  const claims = all.flatMap((l) => (l.object.type === 'node' ? l.object.value.podCIDRs.map((cidr) => ({ l, cidr })) : []));
  const overlapped = overlapsWithEarlier(claims.map((c) => c.cidr));
  const ownerOf = new Map<string, Located>();
  const dropped = new Map<Located, Set<string>>();
  claims.forEach(({ l, cidr }, i) => {
    const earlier = overlapped[i];
    if (earlier === undefined) {
      ownerOf.set(cidr, l);
      return;
    }
    const owner = ownerOf.get(earlier) as Located;
    const why = owner === l
      ? 'of this Node; the API server never gives a node overlapping pod CIDRs, and nft would refuse its table'
      : `of Node ${owner.object.value.name} (${formatSourceRef(owner.source)}); the API server never gives nodes overlapping pod CIDRs, ` +
        'and an address in both would belong to two nodes';
    const p = new ProblemList(contextOf(l));
    p.error(undefined, `pod CIDR ${cidr} overlaps pod CIDR ${earlier} ${why}; ${cidr} is ignored`);
    problems.push(...atLine(l, p.items));
    dropped.set(l, (dropped.get(l) ?? new Set()).add(cidr));
  });
  return all.map((l) => {
    const gone = dropped.get(l);
    if (!gone || l.object.type !== 'node') return l;
    const node = l.object.value;
    return { ...l, object: { type: 'node', value: { ...node, podCIDRs: node.podCIDRs.filter((c) => !gone.has(c)) } } };
  });
}

function warnSharedAddresses(all: readonly Located[], problems: SourceProblem[]): void {
  const claims = new Map<string, Located[]>();
  for (const l of all) {
    if (l.object.type !== 'pod' || !participates(l.object.value)) continue;
    for (const ip of l.object.value.ips) {
      const list = claims.get(ip);
      if (list) list.push(l);
      else claims.set(ip, [l]);
    }
  }
  for (const [ip, claimants] of claims) {
    if (claimants.length < 2) continue;
    const podOf = (l: Located): Pod => l.object.value as Pod;
    const holder = claimants.reduce((a, b) => (holdsAddressOver(podOf(b), podOf(a)) ? b : a));
    const h = podOf(holder);
    const why = h.createdAt !== undefined ? `created last (${h.createdAt})` : 'no newer creationTimestamp, greatest namespace/name';
    for (const l of claimants) {
      if (l === holder) continue;
      const p = new ProblemList(contextOf(l));
      p.warn(undefined, `address ${ip} is also claimed by ${h.kind} ${podKey(h)} (${formatSourceRef(holder.source)}), which holds it (${why}): ` +
        `traffic of ${ip} is ${podKey(h)}'s, this pod's policies do not apply to it; two running pods never share an address in a healthy cluster`);
      problems.push(...atLine(l, p.items));
    }
  }
}

function addImplicitNamespaces(namespaces: Namespace[], users: readonly (Pod | NetworkPolicy)[], problems: SourceProblem[]): void {
  const declared = new Set(namespaces.map((n) => n.name));
  for (const u of users) {
    if (declared.has(u.namespace)) continue;
    declared.add(u.namespace);
    namespaces.push({ name: u.namespace, labels: namespaceLabels(u.namespace) });
    const user = 'kind' in u ? u.kind : 'NetworkPolicy';
    const p = new ProblemList({ source: u.source ?? { file: 'cluster', document: 0 }, kind: 'Namespace', name: u.namespace });
    p.debug(undefined, `not declared; assumed to exist with only the label kubernetes.io/metadata.name (used by ${user} ${u.namespace}/${u.name})`);
    problems.push(...p.items);
  }
}
