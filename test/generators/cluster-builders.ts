// Small builders for model objects, so a test reads like the YAML it stands
// for. They produce the normalized model (types.ts): namespaces carry
// kubernetes.io/metadata.name, ports carry their defaulted protocol, and
// policies carry their effective policyTypes, defaulted as upstream does
// (Ingress always, Egress when there are egress rules) unless given.
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { IPFamily } from '../../src/model/addresses.ts';
import type {
  ClusterObjects, ClusterPolicy, ContainerPort, IPBlock, LabelSelector, Labels, Namespace, NetworkPolicy, Node, Peer, Pod,
  PodPhase, PolicyPort, PolicyRule, PolicyType, Protocol, SelectorRequirement, SourceRef,
} from '../../src/model/types.ts';
import { PolicyEngine, type Flow } from '../../src/policy/engine.ts';
import { addressEndpoint, podEndpoint, type Endpoint } from '../../src/policy/endpoint.ts';
import type { FlowVerdict } from '../../src/policy/trace.ts';

// ---------------------------------------------------------------- selectors

/** A selector from matchLabels and requirements; `sel()` is `{}` (selects all). */
export function sel(matchLabels: Labels = {}, ...matchExpressions: SelectorRequirement[]): LabelSelector {
  return { matchLabels, matchExpressions };
}

/** matchExpressions only. */
export function expr(...matchExpressions: SelectorRequirement[]): LabelSelector {
  return { matchLabels: {}, matchExpressions };
}

export const ALL: LabelSelector = sel();

export function In(key: string, ...values: string[]): SelectorRequirement {
  return { key, operator: 'In', values };
}
export function NotIn(key: string, ...values: string[]): SelectorRequirement {
  return { key, operator: 'NotIn', values };
}
export function Exists(key: string): SelectorRequirement {
  return { key, operator: 'Exists', values: [] };
}
export function DoesNotExist(key: string): SelectorRequirement {
  return { key, operator: 'DoesNotExist', values: [] };
}

// ---------------------------------------------------------------- objects

export const NAME_LABEL = 'kubernetes.io/metadata.name';

/** A namespace; the API server's kubernetes.io/metadata.name label is added. */
export function ns(name: string, labels: Labels = {}): Namespace {
  return { name, labels: { ...labels, [NAME_LABEL]: name } };
}

/** A container port; protocol defaults to TCP. */
export function cport(name: string | undefined, port: number, protocol: Protocol = 'TCP'): ContainerPort {
  return name === undefined ? { port, protocol } : { name, port, protocol };
}

export interface PodOptions {
  /** Pod addresses; omitted = a fresh unique IPv4 address from 10.244.0.0/16. [] = no address yet. */
  ips?: readonly string[];
  ports?: readonly ContainerPort[];
  node?: string;
  hostNetwork?: boolean;
  phase?: PodPhase;
  kind?: Pod['kind'];
}

let nextPodAddress = 1;
/** A fresh address from 10.244.0.0/16, never handed out twice in one process. */
export function freshPodIp(): string {
  const n = nextPodAddress++;
  return `10.244.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`;
}

/** A pod from "namespace/name". Running, with one fresh IPv4 address unless told otherwise. */
export function pod(ref: string, labels: Labels = {}, opts: PodOptions = {}): Pod {
  const [namespace, name] = splitRef(ref);
  return {
    namespace,
    name,
    kind: opts.kind ?? 'Pod',
    labels,
    ips: opts.ips ?? [freshPodIp()],
    ...(opts.node !== undefined ? { nodeName: opts.node } : {}),
    hostNetwork: opts.hostNetwork ?? false,
    phase: opts.phase ?? 'Running',
    ports: opts.ports ?? [],
  };
}

export function node(name: string, addresses: readonly string[], podCIDRs: readonly string[] = []): Node {
  return { name, addresses, podCIDRs };
}

// ---------------------------------------------------------------- peers, ports, rules

/** `- podSelector: ...` (no namespaceSelector): pods of the policy's namespace. */
export function podPeer(podSelector: LabelSelector): Peer {
  return { kind: 'pods', podSelector, namespaceSelector: null };
}
/** `- namespaceSelector: ...` (no podSelector): every pod of the matching namespaces. */
export function nsPeer(namespaceSelector: LabelSelector): Peer {
  return { kind: 'pods', podSelector: null, namespaceSelector };
}
/** One peer with both selectors: pods matching podSelector IN namespaces matching namespaceSelector. */
export function andPeer(namespaceSelector: LabelSelector, podSelector: LabelSelector): Peer {
  return { kind: 'pods', podSelector, namespaceSelector };
}
export function ipBlock(cidr: string, ...except: string[]): Peer {
  const block: IPBlock = { cidr, except };
  return { kind: 'ipBlock', ipBlock: block };
}

export interface PortSpec {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}
/** A NetworkPolicyPort; an omitted protocol is defaulted to TCP and marked so. */
export function pport(spec: PortSpec = {}): PolicyPort {
  return {
    protocol: spec.protocol ?? 'TCP',
    protocolDefaulted: spec.protocol === undefined,
    ...(spec.port !== undefined ? { port: spec.port } : {}),
    ...(spec.endPort !== undefined ? { endPort: spec.endPort } : {}),
  };
}
export const tcp = (port?: number | string, endPort?: number): PolicyPort =>
  pport({ protocol: 'TCP', ...(port !== undefined ? { port } : {}), ...(endPort !== undefined ? { endPort } : {}) });
export const udp = (port?: number | string, endPort?: number): PolicyPort =>
  pport({ protocol: 'UDP', ...(port !== undefined ? { port } : {}), ...(endPort !== undefined ? { endPort } : {}) });
export const sctp = (port?: number | string, endPort?: number): PolicyPort =>
  pport({ protocol: 'SCTP', ...(port !== undefined ? { port } : {}), ...(endPort !== undefined ? { endPort } : {}) });

/** A rule: no peers = from/to everyone; no ports = every port and protocol. */
export function rule(peers: readonly Peer[] = [], ports: readonly PolicyPort[] = []): PolicyRule {
  return { peers, ports };
}

export interface PolicyOptions {
  /** spec.podSelector; default {} (every pod of the namespace). */
  podSelector?: LabelSelector;
  ingress?: readonly PolicyRule[];
  egress?: readonly PolicyRule[];
  /** Explicit policyTypes; omitted = upstream's default. */
  policyTypes?: readonly PolicyType[];
  source?: SourceRef;
}

/** Upstream defaulting of spec.policyTypes: Ingress, plus Egress when egress rules exist. */
export function defaultPolicyTypes(egress: readonly PolicyRule[]): PolicyType[] {
  return egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** A NetworkPolicy from "namespace/name". */
export function policy(ref: string, opts: PolicyOptions = {}): NetworkPolicy {
  const [namespace, name] = splitRef(ref);
  const ingress = opts.ingress ?? [];
  const egress = opts.egress ?? [];
  return {
    namespace,
    name,
    podSelector: opts.podSelector ?? ALL,
    policyTypes: opts.policyTypes ?? defaultPolicyTypes(egress),
    policyTypesDefaulted: opts.policyTypes === undefined,
    ingress,
    egress,
    ...(opts.source ? { source: opts.source } : {}),
  };
}

/** Default deny for the given directions, for the pods podSelector picks (default: all). */
export function denyAll(ref: string, types: readonly PolicyType[] = ['Ingress', 'Egress'], podSelector: LabelSelector = ALL): NetworkPolicy {
  return policy(ref, { podSelector, policyTypes: types });
}

// ---------------------------------------------------------------- clusters and flows

export interface ClusterSpec {
  namespaces?: readonly Namespace[];
  pods?: readonly Pod[];
  policies?: readonly NetworkPolicy[];
  nodes?: readonly Node[];
  /** Cluster-wide policies (test/generators/cluster-policies.ts builds them). */
  clusterPolicies?: readonly ClusterPolicy[];
}

/**
 * The model objects; a namespace named by a pod or policy but not listed is
 * added with no labels besides its name label.
 */
export function objects(spec: ClusterSpec): ClusterObjects {
  const namespaces = [...(spec.namespaces ?? [])];
  const known = new Set(namespaces.map((n) => n.name));
  for (const o of [...(spec.pods ?? []), ...(spec.policies ?? [])]) {
    if (!known.has(o.namespace)) {
      known.add(o.namespace);
      namespaces.push(ns(o.namespace));
    }
  }
  return {
    namespaces, pods: spec.pods ?? [], policies: spec.policies ?? [], nodes: spec.nodes ?? [],
    ...(spec.clusterPolicies !== undefined && { clusterPolicies: spec.clusterPolicies }),
  };
}

/** What a flow's end is written as: "ns/name" (a pod; ":6" suffix = its IPv6 address) or an IP. */
export type EndRef = string;

/**
 * A cluster with its engine and short ways to ask about flows between pods
 * (by "ns/name") and addresses.
 */
export class World {
  readonly objects: ClusterObjects;
  readonly state: ClusterState;
  readonly engine: PolicyEngine;

  constructor(spec: ClusterSpec) {
    this.objects = objects(spec);
    this.state = new ClusterState(this.objects);
    this.engine = new PolicyEngine(this.state);
  }

  pod(ref: string): Pod {
    const p = this.state.pods.get(ref);
    if (!p) throw new Error(`no pod ${ref} in this world`);
    return p;
  }

  /**
   * The endpoint for "ns/name" (first address), "ns/name@6" / "ns/name@4"
   * (the address of that family), or a bare IP (what that address is in
   * the cluster).
   */
  endpoint(ref: EndRef): Endpoint {
    if (!ref.includes('/')) return addressEndpoint(this.state, ref);
    const [key, fam] = ref.split('@') as [string, string | undefined];
    const family = fam === undefined ? undefined : (Number(fam) as IPFamily);
    const e = podEndpoint(this.pod(key), family);
    if (!e) throw new Error(`pod ${ref} has no endpoint (no address, or finished)`);
    return e;
  }

  flow(from: EndRef, to: EndRef, protocol = 'TCP', port?: number): Flow {
    return { from: this.endpoint(from), to: this.endpoint(to), protocol, ...(port !== undefined ? { port } : {}) };
  }

  allows(from: EndRef, to: EndRef, protocol = 'TCP', port?: number): boolean {
    return this.engine.allows(this.flow(from, to, protocol, port));
  }

  evaluate(from: EndRef, to: EndRef, protocol = 'TCP', port?: number): FlowVerdict {
    return this.engine.evaluate(this.flow(from, to, protocol, port));
  }
}

export function world(spec: ClusterSpec): World {
  return new World(spec);
}

function splitRef(ref: string): [string, string] {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) throw new Error(`expected "namespace/name", got "${ref}"`);
  return [ref.slice(0, i), ref.slice(i + 1)];
}
