// The cluster-wide policy resources of policy.networking.k8s.io, and whether
// the API server serves them. They are CustomResourceDefinitions, installed
// by the cluster's administrator or not at all, so the agent and live mode
// ask before they list: each version of the group has a discovery document
// (GET /apis/policy.networking.k8s.io/VERSION, an APIResourceList naming the
// resources it serves), which the API server answers 404 when no CRD serves
// that version. Discovery is open to every authenticated user (the default
// ClusterRole system:discovery), so it needs no grant of the agent's own.
//
// Each kind is read in the one version nftpol models (src/sources'
// cluster-dialect.ts): ClusterNetworkPolicy in v1alpha2 (network-policy-api
// v0.2.0), AdminNetworkPolicy and BaselineAdminNetworkPolicy in v1alpha1
// (v0.1.8). A cluster may serve both versions at once, and then all three are
// read.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { ClusterPolicyKind } from '../model/types.ts';
import { isRecord } from '../sources/raw.ts';
import { reason, statusCode } from './reflector.ts';

export const POLICY_GROUP = 'policy.networking.k8s.io';

export const CLUSTER_POLICY_RESOURCES = ['clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies'] as const;
export type ClusterPolicyResource = (typeof CLUSTER_POLICY_RESOURCES)[number];

export interface ClusterPolicyResourceType {
  readonly kind: ClusterPolicyKind;
  readonly version: string;
  /** group/version, as objects of it say apiVersion. */
  readonly apiVersion: string;
  /** The cluster-scoped collection: list and watch path. */
  readonly path: string;
}

function resourceType(resource: ClusterPolicyResource, kind: ClusterPolicyKind, version: string): ClusterPolicyResourceType {
  return { kind, version, apiVersion: `${POLICY_GROUP}/${version}`, path: `/apis/${POLICY_GROUP}/${version}/${resource}` };
}

export const CLUSTER_POLICY_TYPES: Readonly<Record<ClusterPolicyResource, ClusterPolicyResourceType>> = {
  clusternetworkpolicies: resourceType('clusternetworkpolicies', 'ClusterNetworkPolicy', 'v1alpha2'),
  adminnetworkpolicies: resourceType('adminnetworkpolicies', 'AdminNetworkPolicy', 'v1alpha1'),
  baselineadminnetworkpolicies: resourceType('baselineadminnetworkpolicies', 'BaselineAdminNetworkPolicy', 'v1alpha1'),
};

export function isClusterPolicyResource(resource: string): resource is ClusterPolicyResource {
  return (CLUSTER_POLICY_RESOURCES as readonly string[]).includes(resource);
}

/** "ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2)": how logs and messages name a resource. */
export function describeClusterPolicyResource(resource: ClusterPolicyResource): string {
  const t = CLUSTER_POLICY_TYPES[resource];
  return `${t.kind} (${t.apiVersion})`;
}

/** What discovery says of one resource: served, not served, or unknown (the request failed: why). */
export type Served =
  | { readonly served: true }
  | { readonly served: false }
  /** message: what could not be told and why; reason: just why (the request's failure). */
  | { readonly served: 'unknown'; readonly message: string; readonly reason: string };

/** The resource names a discovery document lists; throws when it is not an APIResourceList. */
function resourceNames(list: unknown): Set<string> {
  const resources = isRecord(list) ? list.resources : undefined;
  if (!Array.isArray(resources)) throw new Error('the discovery answer is not an APIResourceList (no resources)');
  return new Set(resources.flatMap((r: unknown) => (isRecord(r) && typeof r.name === 'string' ? [r.name] : [])));
}

/**
 * Asks the API server which of the three resources it serves: one request
 * per version of the group. A 404 is an answer (that version is not
 * served); any other failure leaves its resources unknown.
 */
export async function discoverClusterPolicies(kubeConfig: KubeConfig): Promise<Record<ClusterPolicyResource, Served>> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const versions = [...new Set(CLUSTER_POLICY_RESOURCES.map((r) => CLUSTER_POLICY_TYPES[r].version))];
  const answers = new Map(await Promise.all(versions.map(async (version): Promise<[string, Set<string> | Served]> => {
    try {
      return [version, resourceNames(await api.getAPIResources({ group: POLICY_GROUP, version }))];
    } catch (err) {
      if (statusCode(err) === 404) return [version, { served: false }];
      const why = reason(err);
      return [version, { served: 'unknown', message: `cannot tell whether the API server serves ${POLICY_GROUP}/${version}: ${why}`, reason: why }];
    }
  })));
  const out = {} as Record<ClusterPolicyResource, Served>;
  for (const resource of CLUSTER_POLICY_RESOURCES) {
    const answer = answers.get(CLUSTER_POLICY_TYPES[resource].version) as Set<string> | Served;
    out[resource] = answer instanceof Set ? { served: answer.has(resource) } : answer;
  }
  return out;
}

/** A custom-object list (plain JSON: the client types none of it) as a page of wire-form items; throws when it is not a list. */
export function customListPage(list: unknown): { readonly items: readonly unknown[]; readonly resourceVersion: string; readonly continueToken?: string } {
  if (!isRecord(list) || !Array.isArray(list.items)) throw new Error('the list answer is not a list (no items)');
  const meta = isRecord(list.metadata) ? list.metadata : {};
  const cont = meta.continue;
  return {
    items: list.items as unknown[],
    resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
    ...(typeof cont === 'string' && cont !== '' && { continueToken: cont }),
  };
}
