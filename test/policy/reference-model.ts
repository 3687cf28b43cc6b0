// A second, deliberately naive reading of the upstream NetworkPolicy rules,
// written from the API reference rather than from src/policy: no indexes, no
// memo, nothing shared with the engine but the model types and ipaddr.js.
// Property tests compare the engine against it on random clusters.
import ipaddr from 'ipaddr.js';
import type { ClusterObjects, Direction, LabelSelector, Labels, NetworkPolicy, Pod, PolicyPort } from '../../src/model/types.ts';

export interface AddressFlow {
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port?: number;
}

type End =
  | { kind: 'pod'; ip: string; pod: Pod }
  | { kind: 'node'; ip: string; nodeName: string | undefined }
  | { kind: 'external'; ip: string };

const own = (labels: Labels, key: string): boolean => Object.prototype.hasOwnProperty.call(labels, key);

export function refSelects(sel: LabelSelector, labels: Labels): boolean {
  const okLabels = Object.keys(sel.matchLabels).every((k) => own(labels, k) && labels[k] === sel.matchLabels[k]);
  const okExprs = sel.matchExpressions.every((r) => {
    const present = own(labels, r.key);
    const value = present ? labels[r.key] : undefined;
    if (r.operator === 'Exists') return present;
    if (r.operator === 'DoesNotExist') return !present;
    if (r.operator === 'In') return present && r.values.some((v) => v === value);
    return !present || r.values.every((v) => v !== value); // NotIn
  });
  return okLabels && okExprs;
}

function inCidr(ip: string, cidr: string): boolean {
  const a = ipaddr.parse(ip);
  const [net, bits] = ipaddr.parseCIDR(cidr);
  return a.kind() === net.kind() && a.match(net, bits);
}

/** A pod that holds its addresses: has one, is not finished, is not host-network. */
export function refParticipates(p: Pod): boolean {
  return p.ips.length > 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed' && !p.hostNetwork;
}

export class ReferenceModel {
  readonly objects: ClusterObjects;

  constructor(objects: ClusterObjects) {
    this.objects = objects;
  }

  /** What an address is: a participating pod's, a node's (or host-network pod's), or outside. */
  end(ip: string): End {
    const pod = this.objects.pods.find((p) => refParticipates(p) && p.ips.includes(ip));
    if (pod) return { kind: 'pod', ip, pod };
    const node = this.objects.nodes.find((n) => n.addresses.includes(ip));
    if (node) return { kind: 'node', ip, nodeName: node.name };
    const host = this.objects.pods.filter((p) => p.hostNetwork && p.ips.includes(ip)).at(-1);
    if (host) return { kind: 'node', ip, nodeName: host.nodeName };
    return { kind: 'external', ip };
  }

  namespaceLabels(name: string): Labels {
    return this.objects.namespaces.find((n) => n.name === name)?.labels ?? { 'kubernetes.io/metadata.name': name };
  }

  /** The policies that select the pod and name the direction in their policyTypes. */
  isolating(pod: Pod, direction: Direction): NetworkPolicy[] {
    if (pod.hostNetwork) return [];
    const type = direction === 'ingress' ? 'Ingress' : 'Egress';
    return this.objects.policies.filter((p) => p.namespace === pod.namespace && p.policyTypes.includes(type) && refSelects(p.podSelector, pod.labels));
  }

  private peerOk(policy: NetworkPolicy, peers: NetworkPolicy['ingress'][number]['peers'], other: End): boolean {
    if (peers.length === 0) return true;
    return peers.some((peer) => {
      if (peer.kind === 'ipBlock') {
        return inCidr(other.ip, peer.ipBlock.cidr) && !peer.ipBlock.except.some((e) => inCidr(other.ip, e));
      }
      if (other.kind !== 'pod') return false;
      const nsOk = peer.namespaceSelector === null
        ? other.pod.namespace === policy.namespace
        : refSelects(peer.namespaceSelector, this.namespaceLabels(other.pod.namespace));
      const podOk = peer.podSelector === null || refSelects(peer.podSelector, other.pod.labels);
      return nsOk && podOk;
    });
  }

  private portOk(ports: readonly PolicyPort[], flow: AddressFlow, dst: End): boolean {
    if (ports.length === 0) return true;
    return ports.some((pp) => {
      if (pp.protocol !== flow.protocol) return false;
      if (pp.port === undefined) return true;
      if (flow.port === undefined) return false;
      if (typeof pp.port === 'number') {
        const hi = pp.endPort ?? pp.port;
        return flow.port >= pp.port && flow.port <= hi;
      }
      if (dst.kind !== 'pod') return false;
      const named = dst.pod.ports.filter((c) => c.name === pp.port && c.protocol === flow.protocol);
      return named.length > 0 && named[0]!.port === flow.port;
    });
  }

  /**
   * Every rule of every policy isolating the subject in the direction, in
   * order, with whether its peers and whether its ports admit the flow.
   */
  rules(subject: End, other: End, direction: Direction, flow: AddressFlow, dst: End): { policy: string; rule: number; peerOk: boolean; portOk: boolean }[] {
    if (subject.kind !== 'pod') return [];
    return this.isolating(subject.pod, direction).flatMap((p) => p[direction].map((r, rule) => ({
      policy: `${p.namespace}/${p.name}`, rule, peerOk: this.peerOk(p, r.peers, other), portOk: this.portOk(r.ports, flow, dst),
    })));
  }

  /** Isolated in the direction, and whether some rule of an isolating policy allows. */
  direction(subject: End, other: End, direction: Direction, flow: AddressFlow, dst: End): { isolated: boolean; allowed: boolean } {
    if (subject.kind !== 'pod') return { isolated: false, allowed: true };
    const policies = this.isolating(subject.pod, direction);
    if (policies.length === 0) return { isolated: false, allowed: true };
    const allowed = policies.some((p) => p[direction].some((r) => this.peerOk(p, r.peers, other) && this.portOk(r.ports, flow, dst)));
    return { isolated: true, allowed };
  }

  allows(flow: AddressFlow): boolean {
    const src = this.end(flow.from);
    const dst = this.end(flow.to);
    if (src.kind === 'pod' && dst.kind === 'pod' && src.pod === dst.pod) return true;
    const podEnd = src.kind === 'pod' ? src : dst.kind === 'pod' ? dst : undefined;
    const nodeEnd = src.kind === 'node' ? src : dst.kind === 'node' ? dst : undefined;
    if (podEnd && nodeEnd && podEnd.pod.nodeName !== undefined && podEnd.pod.nodeName === nodeEnd.nodeName) return true;
    return this.direction(src, dst, 'egress', flow, dst).allowed && this.direction(dst, src, 'ingress', flow, dst).allowed;
  }
}
