// The fake API server's vocabulary (fake-api-server.ts): the resources it
// serves, their kinds and API groups, the paths that name them, object keys
// and Status bodies, as the real API server has them.

export type FakeResource = 'namespaces' | 'pods' | 'networkpolicies' | 'nodes' | CustomResource;

/** The cluster-wide policies of policy.networking.k8s.io: CRDs, served only once installed (installCrd). */
export type CustomResource = 'clusternetworkpolicies' | 'adminnetworkpolicies' | 'baselineadminnetworkpolicies';
export const CUSTOM_RESOURCES: readonly CustomResource[] = ['clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies'];
export const POLICY_GROUP = 'policy.networking.k8s.io';

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
  clusternetworkpolicies: { kind: 'ClusterNetworkPolicy', apiVersion: `${POLICY_GROUP}/v1alpha2`, namespaced: false },
  adminnetworkpolicies: { kind: 'AdminNetworkPolicy', apiVersion: `${POLICY_GROUP}/v1alpha1`, namespaced: false },
  baselineadminnetworkpolicies: { kind: 'BaselineAdminNetworkPolicy', apiVersion: `${POLICY_GROUP}/v1alpha1`, namespaced: false },
};

export const KIND_TO_RESOURCE: Readonly<Record<string, FakeResource>> = {
  Namespace: 'namespaces', Pod: 'pods', NetworkPolicy: 'networkpolicies', Node: 'nodes',
  ClusterNetworkPolicy: 'clusternetworkpolicies', AdminNetworkPolicy: 'adminnetworkpolicies', BaselineAdminNetworkPolicy: 'baselineadminnetworkpolicies',
};

export function isCustomResource(r: FakeResource): r is CustomResource {
  return (CUSTOM_RESOURCES as readonly string[]).includes(r);
}

/**
 * A discovery document, GET /apis/policy.networking.k8s.io/VERSION: the
 * APIResourceList of the installed CRDs served in that version (with their
 * status subresources, as the API server lists them); undefined (404) when
 * none is.
 */
export function discoveryDocument(pathname: string, installed: ReadonlySet<CustomResource>): KubeObject | undefined {
  const m = /^\/apis\/policy\.networking\.k8s\.io\/(v[0-9a-z]+)\/?$/.exec(pathname);
  if (!m) return undefined;
  const groupVersion = `${POLICY_GROUP}/${m[1]}`;
  const served = CUSTOM_RESOURCES.filter((r) => installed.has(r) && RESOURCES[r].apiVersion === groupVersion);
  if (served.length === 0) return undefined;
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion,
    resources: served.flatMap((name) => [
      { name, singularName: RESOURCES[name].kind.toLowerCase(), namespaced: false, kind: RESOURCES[name].kind, verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'] },
      { name: `${name}/status`, singularName: '', namespaced: false, kind: RESOURCES[name].kind, verbs: ['get', 'patch', 'update'] },
    ]),
  };
}

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** What the path names: a resource, and a namespace for namespaced list/watch paths. */
export function route(pathname: string): { resource: FakeResource; namespace?: string } | undefined {
  const m = /^\/(api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(pathname);
  if (!m || !Object.hasOwn(RESOURCES, m[3] as string)) return undefined;
  const resource = m[3] as FakeResource;
  const group = (m[1] as string).replace(/^apis?\//, '');
  if (RESOURCES[resource].apiVersion !== group) return undefined;
  if (m[2] !== undefined && !RESOURCES[resource].namespaced) return undefined;
  return { resource, ...(m[2] !== undefined && { namespace: decodeURIComponent(m[2]) }) };
}

export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return typeof ns === 'string' && ns !== '' ? `${ns}/${String(obj.metadata?.name)}` : String(obj.metadata?.name);
}

export function status(code: number, reason: string, message: string): KubeObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
