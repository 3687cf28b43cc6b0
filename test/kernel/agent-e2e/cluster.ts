// The cluster of the agent end-to-end test: a lab world of two canal-style
// nodes with pods, the same world as API objects (Namespaces, Nodes with their
// pod CIDRs, Pods with their lab addresses and nodeName), and the engine's
// verdicts for whatever the fake API server holds, for the flows between the
// lab's pods.
//
// The lab's pods are network namespaces with fixed addresses; the API server's
// Pods are what the agents believe is at those addresses. They start out the
// same (lab id = namespace/name), and a test may tell the server otherwise: a
// lab pod the server does not know is an address in a node's pod CIDR without
// a pod (fail closed), and a Pod re-created under another name at a lab pod's
// address is what that address now is. So the expected verdict of a flow is
// the engine's for the addresses at its two ends, as the kernel sees them.
import type { Flow, ProbeResult, WorldSpec } from '../../../src/lab/index.ts';
import { ClusterState } from '../../../src/model/cluster-state.ts';
import { addressEndpoint } from '../../../src/policy/endpoint.ts';
import { PolicyEngine } from '../../../src/policy/engine.ts';
import { assembleCluster } from '../../../src/sources/assemble-cluster.ts';
import type { KubeObject } from '../../k8s/fake-api-server.ts';

export const NODES = [
  { name: 'node-1', podCIDR: '10.244.1.0/24' },
  { name: 'node-2', podCIDR: '10.244.2.0/24' },
] as const;
export type NodeName = (typeof NODES)[number]['name'];

/** Ports every lab pod serves, with the container-port names its Pod gives them. */
export const PORTS = { http: 80, metrics: 81 } as const;

interface LabPod {
  readonly id: string;
  readonly node: NodeName;
  readonly ip: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Not in the API server at the start: an address in its node's pod CIDR that no known pod holds. */
  readonly late?: boolean;
}

/** Lab pods, split over both nodes so every policy is enforced on the same node and across the overlay. */
export const LAB_PODS: readonly LabPod[] = [
  { id: 'x/a', node: 'node-1', ip: '10.244.1.10', labels: { app: 'db' } },
  { id: 'x/b', node: 'node-1', ip: '10.244.1.11', labels: { app: 'api' } },
  { id: 'x/c', node: 'node-2', ip: '10.244.2.10', labels: { app: 'web' } },
  { id: 'y/a', node: 'node-2', ip: '10.244.2.11', labels: { app: 'api' } },
  { id: 'y/b', node: 'node-1', ip: '10.244.1.12', labels: { app: 'web' } },
  { id: 'x/d', node: 'node-2', ip: '10.244.2.12', labels: { app: 'api' }, late: true },
];

export function labPod(id: string): LabPod {
  const p = LAB_PODS.find((q) => q.id === id);
  if (p === undefined) throw new Error(`no lab pod ${id}`);
  return p;
}

export function worldSpec(): WorldSpec {
  return {
    nodes: NODES.map((n) => ({ name: n.name, podCIDRs: [n.podCIDR] })),
    pods: LAB_PODS.map((p) => ({ id: p.id, node: p.node, ips: [p.ip], tcpPorts: Object.values(PORTS), udpPorts: [] })),
  };
}

export const namespaceObject = (name: string, labels: Readonly<Record<string, string>> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
});

export const nodeObject = (name: string, podCIDR: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR, podCIDRs: [podCIDR] },
});

/** A running Pod at `ip` on `node`, serving the lab's ports under their names. */
export function podObject(id: string, node: string, ip: string, labels: Readonly<Record<string, string>>): KubeObject {
  const [namespace, name] = id.split('/') as [string, string];
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { namespace, name, labels: { ...labels } },
    spec: {
      nodeName: node,
      containers: [{ name: 'srv', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', ports: Object.entries(PORTS).map(([n, containerPort]) => ({ name: n, containerPort })) }],
    },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

/** The API objects of the world at the start: its namespaces, nodes, and every lab pod but the late ones. */
export function initialObjects(): KubeObject[] {
  const namespaces = [...new Set(LAB_PODS.map((p) => p.id.split('/')[0] as string))];
  return [
    ...namespaces.map((ns) => namespaceObject(ns)),
    ...NODES.map((n) => nodeObject(n.name, n.podCIDR)),
    ...LAB_PODS.filter((p) => p.late !== true).map((p) => podObject(p.id, p.node, p.ip, p.labels)),
  ];
}

/** Every TCP flow between two lab pods, on every port they serve. */
export function podFlows(): Flow[] {
  return LAB_PODS.flatMap((from) => LAB_PODS.filter((to) => to !== from).flatMap((to) =>
    Object.values(PORTS).map((port): Flow => ({ from: from.id, to: to.ip, protocol: 'TCP', port }))));
}

export type Verdict = 'allow' | 'deny';

/** "x/b -> x/a:80": a flow as the tests name it (the target by its lab id). */
export function flowName(f: Flow): string {
  const to = LAB_PODS.find((p) => p.ip === f.to)?.id ?? f.to;
  return `${f.from} -> ${to}:${f.port}`;
}

/**
 * The engine's verdict for each flow, for the objects as the server holds
 * them (assembled as manifests are: a policy with errors fails closed).
 * Throws when the objects themselves are refused: a test must not compare
 * the kernel with an oracle that gave up.
 */
export function engineVerdicts(objects: readonly KubeObject[], flows: readonly Flow[]): Map<string, Verdict> {
  const assembled = assembleCluster(objects.map((value, document) => ({ source: { file: 'fake-api-server', document }, value })));
  const engine = new PolicyEngine(new ClusterState(assembled.objects));
  const out = new Map<string, Verdict>();
  for (const f of flows) {
    const from = addressEndpoint(engine.state, labPod(f.from).ip);
    const to = addressEndpoint(engine.state, f.to);
    out.set(flowName(f), engine.allows({ from, to, protocol: f.protocol, port: f.port }) ? 'allow' : 'deny');
  }
  return out;
}

/** Flows where the kernel's answer is not the engine's, one line each ("x/b -> x/a:80: kernel deny (timeout), engine allow"). */
export function disagreements(results: readonly ProbeResult[], expected: ReadonlyMap<string, Verdict>): string[] {
  return results.flatMap((r) => {
    const want = expected.get(flowName(r));
    if (want === r.verdict) return [];
    return [`${flowName(r)}: kernel ${r.verdict}${r.verdict === 'deny' ? ` (${r.reason})` : ''}, engine ${want ?? 'no verdict'}`];
  });
}
