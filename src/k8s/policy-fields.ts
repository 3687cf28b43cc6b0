// The subset of a watched object that the engine reads. A watch keeps every
// object of its kind in memory for as long as it runs; a Pod as the API
// serves it carries its whole spec (env, volumes, probes, images) and status
// (conditions, container statuses), most of it irrelevant to policy. Keeping
// only what the normalizers in src/sources read makes memory follow the
// policy-relevant size of the cluster.
//
// The subset stays in wire form, field names as the API spells them, so the
// same normalizers (and their validation) apply: a field of the wrong type is
// copied as it is, for the normalizer to report. Whatever is not a mapping
// where a mapping is expected is kept whole for the same reason.
import type { ClusterPolicyKind } from '../model/types.ts';
import { isRecord, type RawRecord } from '../sources/raw.ts';

/** Fields of metadata the engine reads (ownerReferences for workloads, creationTimestamp for address ownership). */
const METADATA_FIELDS = ['name', 'namespace', 'labels', 'uid', 'resourceVersion', 'ownerReferences', 'creationTimestamp'];
const POD_SPEC_FIELDS = ['nodeName', 'hostNetwork', 'containers', 'initContainers'];
/** A container's name is kept with its ports: port names must be unique per pod, and messages name the container. */
const CONTAINER_FIELDS = ['name', 'ports'];
const POD_STATUS_FIELDS = ['phase', 'podIP', 'podIPs'];
const NODE_SPEC_FIELDS = ['podCIDR', 'podCIDRs'];
const NODE_STATUS_FIELDS = ['addresses'];

function pick(value: unknown, fields: readonly string[]): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (value[f] !== undefined) out[f] = value[f];
  return out;
}

function pickEach(value: unknown, fields: readonly string[]): unknown {
  return Array.isArray(value) ? value.map((item) => pick(item, fields)) : value;
}

function podSpec(spec: unknown): unknown {
  const out = pick(spec, POD_SPEC_FIELDS);
  if (!isRecord(out)) return out;
  const withContainers: Record<string, unknown> = { ...out };
  for (const key of ['containers', 'initContainers']) if (out[key] !== undefined) withContainers[key] = pickEach(out[key], CONTAINER_FIELDS);
  return withContainers;
}

/** Kinds this module knows how to cut down; any other kind is kept whole. */
export type WatchedKind = 'Namespace' | 'Pod' | 'NetworkPolicy' | 'Node' | ClusterPolicyKind;

/** The policy-relevant subset of `obj` (apiVersion and kind are kept). */
export function policyFields(kind: WatchedKind, obj: RawRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of ['apiVersion', 'kind']) if (obj[f] !== undefined) out[f] = obj[f];
  if (obj.metadata !== undefined) out.metadata = pick(obj.metadata, METADATA_FIELDS);
  switch (kind) {
    case 'Namespace':
      break;
    case 'Pod':
      if (obj.spec !== undefined) out.spec = podSpec(obj.spec);
      if (obj.status !== undefined) out.status = pick(obj.status, POD_STATUS_FIELDS);
      break;
    case 'NetworkPolicy':
    case 'ClusterNetworkPolicy':
    case 'AdminNetworkPolicy':
    case 'BaselineAdminNetworkPolicy':
      // All of a policy's spec is policy: kept whole, so an unknown field in it still reaches the schema check.
      // (A cluster-wide policy's status, conditions its controller writes, is not read.)
      if (obj.spec !== undefined) out.spec = obj.spec;
      break;
    case 'Node':
      // metadata.labels (kept above) is what cluster-wide policies' nodes peers select on.
      if (obj.spec !== undefined) out.spec = pick(obj.spec, NODE_SPEC_FIELDS);
      if (obj.status !== undefined) out.status = pick(obj.status, NODE_STATUS_FIELDS);
      break;
  }
  return out;
}
