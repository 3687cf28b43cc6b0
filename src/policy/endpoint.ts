// The two ends of a flow. A flow's end is a pod (its policies apply), a node
// (a node address or a host-network pod: never isolated, matched only by
// ipBlock), or an external address.
import type { ClusterState } from '../model/cluster-state.ts';
import { participates } from '../model/cluster-state.ts';
import { familyOf, type IPFamily } from '../model/addresses.ts';
import type { Node, Pod } from '../model/types.ts';
import { podKey } from '../model/types.ts';

export type Endpoint =
  | { readonly kind: 'pod'; readonly ip: string; readonly pod: Pod }
  | { readonly kind: 'node'; readonly ip: string; readonly node?: Node; readonly hostPod?: Pod }
  /**
   * An address that is no known pod or node. `unknownPodOn` names the node
   * whose pod CIDR holds it: a pod nftpol does not know (yet), whose traffic
   * it fails closed on.
   */
  | { readonly kind: 'external'; readonly ip: string; readonly unknownPodOn?: string };

/** A pod's endpoint in the given family (its first address of that family). */
export function podEndpoint(pod: Pod, family?: IPFamily): Endpoint | undefined {
  const ip = family ? pod.ips.find((a) => familyOf(a) === family) : pod.ips[0];
  if (ip === undefined) return undefined;
  if (pod.hostNetwork) return { kind: 'node', ip, hostPod: pod };
  if (!participates(pod)) return undefined;
  return { kind: 'pod', ip, pod };
}

/** What an address is in this cluster: a pod's, a node's, or outside. */
export function addressEndpoint(state: ClusterState, ip: string): Endpoint {
  const pod = state.podAt(ip);
  if (pod) return { kind: 'pod', ip, pod };
  const onNode = state.nodeAt(ip);
  if (onNode) return { kind: 'node', ip, node: onNode.node, hostPod: onNode.hostPod };
  const owner = state.podCidrOwner(ip);
  return owner ? { kind: 'external', ip, unknownPodOn: owner } : { kind: 'external', ip };
}

/** The node an endpoint runs on, if known. */
export function endpointNodeName(e: Endpoint): string | undefined {
  if (e.kind === 'pod') return e.pod.nodeName;
  if (e.kind === 'node') return e.node?.name ?? e.hostPod?.nodeName;
  return e.unknownPodOn;
}

export function describeEndpoint(e: Endpoint): string {
  switch (e.kind) {
    case 'pod':
      return `pod ${podKey(e.pod)} (${e.ip})`;
    case 'node': {
      const name = endpointNodeName(e);
      const via = e.hostPod ? `host-network pod ${podKey(e.hostPod)} on ` : '';
      return `${via}node ${name ?? '?'} (${e.ip})`;
    }
    case 'external':
      return e.unknownPodOn ? `address ${e.ip} (in node ${e.unknownPodOn}'s pod CIDR, no known pod)` : `address ${e.ip}`;
  }
}
