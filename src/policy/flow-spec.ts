// Turns what a user writes ("shop/api", "deploy/api", "ip:203.0.113.9",
// "node:node-1", "80", "http/UDP") into a Flow the engine evaluates. Pod and
// workload names are read by find-pod.ts; a named port is looked up on the
// destination pod, for the flow's protocol.
import { familyOf, parseIp, type IPFamily } from '../model/addresses.ts';
import type { ClusterState } from '../model/cluster-state.ts';
import { participates } from '../model/cluster-state.ts';
import type { Node, Pod } from '../model/types.ts';
import { podKey, PROTOCOLS } from '../model/types.ts';
import { addressEndpoint, podEndpoint, type Endpoint } from './endpoint.ts';
import type { Flow } from './engine.ts';
import { DEFAULT_NAMESPACE, findPod, PodNameError } from './find-pod.ts';
import { resolveNamedPort } from './port-match.ts';

/** Which part of a flow spec is wrong: one end, the port (or protocol), or the pair. */
export type FlowSpecPart = 'from' | 'to' | 'port' | 'pair';

/** A flow spec that names nothing or contradicts itself; `part` says where, as data. */
export class FlowSpecError extends Error {
  readonly part: FlowSpecPart;
  constructor(part: FlowSpecPart, message: string) {
    super(message);
    this.part = part;
  }
}

export interface FlowSpec {
  readonly from: string;
  readonly to: string;
  /** A number, a container-port name, either optionally followed by /PROTOCOL. */
  readonly port?: string | number;
  readonly protocol?: string;
  /** Where a pod name without a namespace is (kubectl's -n); "default" when absent. */
  readonly namespace?: string;
}

type EndpointRef = { kind: 'pod'; pod: Pod } | { kind: 'node'; node: Node } | { kind: 'address'; ip: string };

function stripPrefix(spec: string, prefix: string): string | undefined {
  return spec.startsWith(prefix) ? spec.slice(prefix.length) : undefined;
}

/**
 * Finds what an endpoint string names, before an address family is chosen.
 * `namespace` is where a pod name without one is (kubectl's -n; "default").
 */
export function lookupEndpoint(state: ClusterState, spec: string, end: 'from' | 'to' = 'to', namespace: string = DEFAULT_NAMESPACE): EndpointRef {
  // Addresses are compared as the model stores them: canonical text (RFC 5952 for IPv6).
  const explicit = stripPrefix(spec, 'ip:');
  const parsed = parseIp(explicit ?? spec);
  if (explicit !== undefined && !parsed.ok) throw new FlowSpecError(end, `${spec}: ${parsed.message}`);
  if (parsed.ok) return { kind: 'address', ip: parsed.ip };
  const nodeName = stripPrefix(spec, 'node:');
  if (nodeName !== undefined) {
    const node = state.nodes.get(nodeName);
    if (!node) throw new FlowSpecError(end, `${spec}: no Node named ${nodeName}`);
    if (node.addresses.length === 0) throw new FlowSpecError(end, `${spec}: node ${nodeName} has no address`);
    // The node itself, not a host-network pod that shares its address.
    return { kind: 'node', node };
  }
  let pod: Pod;
  try {
    pod = findPod(state, spec, namespace);
  } catch (err) {
    if (err instanceof PodNameError) throw new FlowSpecError(end, err.message);
    throw err;
  }
  const key = podKey(pod);
  if (pod.ips.length === 0) throw new FlowSpecError(end, `${spec}: ${pod.kind} ${key} has no IP address, so it takes no part in policy`);
  if (!pod.hostNetwork && !participates(pod)) throw new FlowSpecError(end, `${spec}: pod ${key} is ${pod.phase}, so it takes no part in policy`);
  return { kind: 'pod', pod };
}

function addressesOf(ref: EndpointRef): readonly string[] {
  return ref.kind === 'address' ? [ref.ip] : ref.kind === 'node' ? ref.node.addresses : ref.pod.ips;
}

function families(ref: EndpointRef): IPFamily[] {
  return [...new Set(addressesOf(ref).map(familyOf))];
}

function toEndpoint(state: ClusterState, ref: EndpointRef, family: IPFamily): Endpoint {
  if (ref.kind === 'address') return addressEndpoint(state, ref.ip);
  if (ref.kind === 'node') {
    const ip = ref.node.addresses.find((a) => familyOf(a) === family);
    if (ip === undefined) throw new FlowSpecError('pair', `node ${ref.node.name} has no IPv${family} address`);
    return { kind: 'node', ip, node: ref.node };
  }
  const e = podEndpoint(ref.pod, family);
  if (!e) throw new FlowSpecError('pair', `${ref.pod.namespace}/${ref.pod.name} has no IPv${family} address`);
  return e;
}

/** Both ends in one address family: IPv4 when both ends have it, else IPv6. */
export function resolveEndpoints(state: ClusterState, from: string, to: string, namespace: string = DEFAULT_NAMESPACE): [Endpoint, Endpoint] {
  const a = lookupEndpoint(state, from, 'from', namespace);
  const b = lookupEndpoint(state, to, 'to', namespace);
  const fb = families(b);
  const common = families(a).filter((f) => fb.includes(f)).sort();
  const family = common[0];
  if (family === undefined) throw new FlowSpecError('pair', `${from} and ${to} share no address family`);
  return [toEndpoint(state, a, family), toEndpoint(state, b, family)];
}

/** Splits "80/UDP" or "http" into port and protocol; protocol defaults to TCP. */
export function parsePortSpec(port: string | number | undefined, protocol?: string): { port?: string | number; protocol: string } {
  let proto = protocol?.toUpperCase();
  let p: string | number | undefined = port;
  if (typeof p === 'string' && p.includes('/')) {
    const [num, pr] = p.split('/', 2) as [string, string];
    if (proto && proto !== pr.toUpperCase()) throw new FlowSpecError('port', `port ${p} contradicts protocol ${protocol}`);
    proto = pr.toUpperCase();
    p = num;
  }
  if (typeof p === 'string' && /^\d+$/.test(p)) p = Number(p);
  if (typeof p === 'number' && (!Number.isInteger(p) || p < 1 || p > 65535)) throw new FlowSpecError('port', `port ${p} is out of range 1-65535`);
  proto ??= 'TCP';
  const portless = !(PROTOCOLS as readonly string[]).includes(proto);
  if (portless && p !== undefined) throw new FlowSpecError('port', `protocol ${proto} has no ports`);
  if (!portless && p === undefined) throw new FlowSpecError('port', `a ${proto} flow needs a port`);
  return { ...(p !== undefined ? { port: p } : {}), protocol: proto };
}

export function resolveFlow(state: ClusterState, spec: FlowSpec): Flow {
  const [from, to] = resolveEndpoints(state, spec.from, spec.to, spec.namespace);
  return flowBetween(from, to, spec);
}

/** The flow between two resolved ends, its protocol and port read from the spec (a named port is the destination pod's). */
export function flowBetween(from: Endpoint, to: Endpoint, spec: Pick<FlowSpec, 'to' | 'port' | 'protocol'>): Flow {
  const { port, protocol } = parsePortSpec(spec.port, spec.protocol);
  if (typeof port === 'string') {
    if (to.kind !== 'pod') throw new FlowSpecError('port', `port name ${port} needs a pod destination; ${spec.to} is not a pod`);
    const n = resolveNamedPort(to.pod, port, protocol);
    if (n === undefined) throw new FlowSpecError('port', `${spec.to} has no ${protocol} container port named ${port}`);
    return { from, to, protocol, port: n };
  }
  return { from, to, protocol, ...(port !== undefined ? { port } : {}) };
}
