// ClusterState: the model objects plus the indexes the engine needs, so that a
// question about one pod or namespace does not scan the whole cluster.
import { cidrContains } from './addresses.ts';
import type { ClusterObjects, Namespace, NetworkPolicy, Node, Pod } from './types.ts';
import { podKey } from './types.ts';

/**
 * Pods that take part in policy: they have an address, are not finished
 * (Succeeded/Failed pods hold no connections), and are not host-network
 * (those are node addresses, matched only by ipBlock).
 */
export function participates(pod: Pod): boolean {
  return pod.ips.length > 0 && pod.phase !== 'Succeeded' && pod.phase !== 'Failed' && !pod.hostNetwork;
}

/**
 * Of two participating pods claiming one address, the one that holds it: the
 * one created last (newest metadata.creationTimestamp; a pod with one is newer
 * than a pod without), since the older must be gone or going and the address
 * was handed to the newer. Equal (or no) timestamps, as in manifests: the
 * greater namespace/name. The agent, the engine, the compiled rules and
 * explain all follow this one rule (through ClusterState.podAt).
 */
export function holdsAddressOver(a: Pod, b: Pod): boolean {
  const ta = a.createdAt ?? '';
  const tb = b.createdAt ?? '';
  if (ta !== tb) return ta > tb;
  return podKey(a) > podKey(b);
}

/** Two or more participating pods claiming one address, and the one that holds it. */
export interface SharedAddress {
  readonly ip: string;
  readonly holder: Pod;
  /** Every claimant, the holder included, by key. */
  readonly claimants: readonly Pod[];
}

export class ClusterState {
  readonly namespaces: ReadonlyMap<string, Namespace>;
  readonly nodes: ReadonlyMap<string, Node>;
  /** All pods (and workloads standing for pods) by "namespace/name". */
  readonly pods: ReadonlyMap<string, Pod>;
  readonly policies: readonly NetworkPolicy[];
  private readonly policiesByNs = new Map<string, NetworkPolicy[]>();
  private readonly podsByNs = new Map<string, Pod[]>();
  private readonly podsByNode = new Map<string, Pod[]>();
  /** Participating pods by address; host-network pods by address separately. */
  private readonly podByIp = new Map<string, Pod>();
  /** Addresses more than one participating pod claims: every claimant. */
  private readonly claimantsByIp = new Map<string, Pod[]>();
  private readonly hostPodByIp = new Map<string, Pod>();
  private readonly nodeByIp = new Map<string, Node>();

  constructor(objects: ClusterObjects) {
    this.namespaces = new Map(objects.namespaces.map((n) => [n.name, n]));
    this.nodes = new Map(objects.nodes.map((n) => [n.name, n]));
    this.pods = new Map(objects.pods.map((p) => [podKey(p), p]));
    this.policies = objects.policies;
    for (const pol of objects.policies) push(this.policiesByNs, pol.namespace, pol);
    for (const pod of objects.pods) {
      if (participates(pod)) {
        push(this.podsByNs, pod.namespace, pod);
        if (pod.nodeName !== undefined) push(this.podsByNode, pod.nodeName, pod);
        // Two running pods should never share an address; if they do, one
        // holds it (holdsAddressOver), for the engine and the compiled rules alike.
        for (const ip of pod.ips) {
          const held = this.podByIp.get(ip);
          if (held) push(this.claimantsByIp, ip, ...(this.claimantsByIp.has(ip) ? [] : [held]), pod);
          if (!held || holdsAddressOver(pod, held)) this.podByIp.set(ip, pod);
        }
      } else if (pod.hostNetwork) {
        for (const ip of pod.ips) this.hostPodByIp.set(ip, pod);
      }
    }
    for (const node of objects.nodes) for (const ip of node.addresses) this.nodeByIp.set(ip, node);
  }

  /** Declared namespaces and those only pods name (a pod may arrive before its namespace). */
  namespaceNames(): string[] {
    return [...new Set([...this.namespaces.keys(), ...this.podsByNs.keys()])];
  }

  namespaceLabels(name: string): Namespace['labels'] {
    return this.namespaces.get(name)?.labels ?? { 'kubernetes.io/metadata.name': name };
  }

  policiesIn(namespace: string): readonly NetworkPolicy[] {
    return this.policiesByNs.get(namespace) ?? [];
  }

  /** Participating pods of a namespace. */
  podsIn(namespace: string): readonly Pod[] {
    return this.podsByNs.get(namespace) ?? [];
  }

  /** Every participating pod. */
  *participatingPods(): Iterable<Pod> {
    for (const list of this.podsByNs.values()) yield* list;
  }

  /** The node whose pod CIDR holds the address, if any. */
  podCidrOwner(ip: string): string | undefined {
    for (const node of this.nodes.values()) if (node.podCIDRs.some((c) => cidrContains(c, ip))) return node.name;
    return undefined;
  }

  /** Participating pods that run on a node. */
  podsOn(node: string): readonly Pod[] {
    return this.podsByNode.get(node) ?? [];
  }

  /** The participating pod that holds an address (see holdsAddressOver). */
  podAt(ip: string): Pod | undefined {
    return this.podByIp.get(ip);
  }

  /** Whether any address is claimed by two or more participating pods (almost never). */
  hasSharedAddresses(): boolean {
    return this.claimantsByIp.size > 0;
  }

  /** Addresses two or more participating pods claim, sorted by address text. */
  sharedAddresses(): SharedAddress[] {
    return [...this.claimantsByIp].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ip, pods]) => ({
      ip, holder: this.podByIp.get(ip) as Pod, claimants: [...pods].sort((x, y) => (podKey(x) < podKey(y) ? -1 : 1)),
    }));
  }

  /** The shared addresses a pod claims (empty for almost every pod). */
  sharedAddressesOf(pod: Pod): SharedAddress[] {
    if (this.claimantsByIp.size === 0) return [];
    return pod.ips.filter((ip) => this.claimantsByIp.get(ip)?.includes(pod)).map((ip) => ({
      ip, holder: this.podByIp.get(ip) as Pod, claimants: [...(this.claimantsByIp.get(ip) as Pod[])].sort((x, y) => (podKey(x) < podKey(y) ? -1 : 1)),
    }));
  }

  /** The node an address belongs to: a node address, or a host-network pod's address. */
  nodeAt(ip: string): { node?: Node; hostPod?: Pod } | undefined {
    const node = this.nodeByIp.get(ip);
    const hostPod = this.hostPodByIp.get(ip);
    if (!node && !hostPod) return undefined;
    const viaPod = hostPod?.nodeName ? this.nodes.get(hostPod.nodeName) : undefined;
    return { node: node ?? viaPod, hostPod };
  }
}

function push<V>(m: Map<string, V[]>, k: string, ...vs: V[]): void {
  const list = m.get(k);
  if (list) list.push(...vs);
  else m.set(k, [...vs]);
}
