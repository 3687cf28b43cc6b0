// The fake API server's vocabulary (fake-api-server.ts): the resources it
// serves, their kinds and API groups, the paths that name them, object keys
// and Status bodies, as the real API server has them.

export type FakeResource = 'namespaces' | 'pods' | 'networkpolicies' | 'nodes';

interface ResourceInfo {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespaced: boolean;
}

export const RESOURCES: Readonly<Record<FakeResource, ResourceInfo>> = {
  namespaces: { kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  pods: { kind: 'Pod', apiVersion: 'v1', namespaced: true },
  networkpolicies: { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', namespaced: true },
  nodes: { kind: 'Node', apiVersion: 'v1', namespaced: false },
};

export const KIND_TO_RESOURCE: Readonly<Record<string, FakeResource>> = {
  Namespace: 'namespaces', Pod: 'pods', NetworkPolicy: 'networkpolicies', Node: 'nodes',
};

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** What the path names: a resource, and a namespace for namespaced list/watch paths. */
export function route(pathname: string): { resource: FakeResource; namespace?: string } | undefined {
  const m = /^\/(?:api\/v1|apis\/networking\.k8s\.io\/v1)(?:\/namespaces\/([^/]+))?\/(namespaces|pods|networkpolicies|nodes)$/.exec(pathname);
  if (!m) return undefined;
  const resource = m[2] as FakeResource;
  const group = pathname.startsWith('/apis/') ? 'networking.k8s.io/v1' : 'v1';
  if (RESOURCES[resource].apiVersion !== group) return undefined;
  if (m[1] !== undefined && !RESOURCES[resource].namespaced) return undefined;
  return { resource, ...(m[1] !== undefined && { namespace: decodeURIComponent(m[1]) }) };
}

export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return typeof ns === 'string' && ns !== '' ? `${ns}/${String(obj.metadata?.name)}` : String(obj.metadata?.name);
}

export function status(code: number, reason: string, message: string): KubeObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
