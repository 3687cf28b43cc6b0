// The reference model (reference-model.ts) with cluster-wide policy, read
// naively from the network-policy-api types and docs/cluster-network-policy.md:
// no indexes, no memo, nothing shared with src/policy. Per direction of a pod:
// the Admin tier's first matching rule (policies by priority, then name, then
// ClusterNetworkPolicy before AdminNetworkPolicy), Pass on; NetworkPolicy if it
// isolates; the Baseline tier likewise; allow. A pod and its own node always
// talk unless an Admin rule (or a Baseline rule, for a pod NetworkPolicy does
// not isolate) decided the pod's direction.
import ipaddr from 'ipaddr.js';
import type { ClusterPeer, ClusterPolicy, ClusterPort, ClusterRuleAction, ClusterTier, Direction, Pod } from '../../src/model/types.ts';
import { ReferenceModel, refSelects, type AddressFlow } from './reference-model.ts';

type End = ReturnType<ReferenceModel['end']>;
export type RefTier = 'Admin' | 'NetworkPolicy' | 'Baseline' | 'default';

function inCidr(ip: string, cidr: string): boolean {
  const a = ipaddr.parse(ip);
  const [net, bits] = ipaddr.parseCIDR(cidr);
  return a.kind() === net.kind() && a.match(net, bits);
}

const KIND_ORDER = ['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'];

export class TieredReference extends ReferenceModel {
  private pickPods(sel: ClusterPolicy['subject'], pod: Pod): boolean {
    if (pod.hostNetwork) return false;
    if (!refSelects(sel.namespaceSelector, this.namespaceLabels(pod.namespace))) return false;
    return sel.kind === 'namespaces' || refSelects(sel.podSelector, pod.labels);
  }

  private clusterPeerOk(peer: ClusterPeer, other: End): boolean {
    switch (peer.kind) {
      case 'namespaces':
      case 'pods':
        return other.kind === 'pod' && this.pickPods(peer, other.pod);
      case 'nodes': {
        if (other.kind !== 'node' || other.nodeName === undefined) return false;
        const labels = this.objects.nodes.find((n) => n.name === other.nodeName)?.labels ?? {};
        return refSelects(peer.nodeSelector, labels);
      }
      case 'networks':
        return peer.cidrs.some((c) => inCidr(other.ip, c));
      case 'domainNames':
        return false;
    }
  }

  private clusterPortOk(port: ClusterPort, flow: AddressFlow, dst: End): boolean {
    if (port.kind === 'named') {
      if (dst.kind !== 'pod') return false;
      const c = dst.pod.ports.find((p) => p.name === port.name && p.protocol === flow.protocol);
      return c !== undefined && c.port === flow.port;
    }
    return port.protocol === flow.protocol && flow.port !== undefined && flow.port >= port.port && flow.port <= (port.endPort ?? port.port);
  }

  /** The action of the tier's first rule that matches, or undefined. */
  tierAction(tier: ClusterTier, pod: Pod, other: End, direction: Direction, flow: AddressFlow, dst: End): ClusterRuleAction | undefined {
    const policies = (this.objects.clusterPolicies ?? [])
      .filter((p) => p.tier === tier && this.pickPods(p.subject, pod))
      .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
    for (const p of policies) {
      for (const r of p[direction]) {
        const peer = r.peers.some((x) => this.clusterPeerOk(x, other));
        const port = r.ports.length === 0 || r.ports.some((x) => this.clusterPortOk(x, flow, dst));
        if (peer && port) return r.action;
      }
    }
    return undefined;
  }

  /** The verdict of one direction and the step that decided it. */
  tiered(subject: End, other: End, direction: Direction, flow: AddressFlow, dst: End): { allowed: boolean; tier: RefTier } {
    if (subject.kind !== 'pod') return { allowed: true, tier: 'default' };
    const admin = this.tierAction('Admin', subject.pod, other, direction, flow, dst);
    if (admin === 'Accept' || admin === 'Deny') return { allowed: admin === 'Accept', tier: 'Admin' };
    const np = this.direction(subject, other, direction, flow, dst);
    if (np.isolated) return { allowed: np.allowed, tier: 'NetworkPolicy' };
    const baseline = this.tierAction('Baseline', subject.pod, other, direction, flow, dst);
    if (baseline === 'Accept' || baseline === 'Deny') return { allowed: baseline === 'Accept', tier: 'Baseline' };
    return { allowed: true, tier: 'default' };
  }

  override allows(flow: AddressFlow): boolean {
    const src = this.end(flow.from);
    const dst = this.end(flow.to);
    if (src.kind === 'pod' && dst.kind === 'pod' && src.pod === dst.pod) return true;
    const egress = this.tiered(src, dst, 'egress', flow, dst);
    const ingress = this.tiered(dst, src, 'ingress', flow, dst);
    const podEnd = src.kind === 'pod' ? src : dst.kind === 'pod' ? dst : undefined;
    const nodeEnd = src.kind === 'node' ? src : dst.kind === 'node' ? dst : undefined;
    if (podEnd && nodeEnd && podEnd.pod.nodeName !== undefined && podEnd.pod.nodeName === nodeEnd.nodeName) {
      const podSide = podEnd === src ? egress : ingress;
      if (podSide.tier !== 'Admin' && podSide.tier !== 'Baseline') return true;
    }
    return egress.allowed && ingress.allowed;
  }
}
