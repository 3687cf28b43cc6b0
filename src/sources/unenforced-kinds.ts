// Network policy kinds of other projects that nftpol
// recognises but does not enforce. Their objects are not modelled (like any
// unknown kind), but unlike a ConfigMap they are meant to change what traffic
// flows, so their presence is said at warning level (assemble-cluster.ts).
import { apiGroup, isRecord } from './raw.ts';

const UNENFORCED: Readonly<Record<string, readonly string[]>> = {
  // Calico: namespaced and cluster-wide policies (projectcalico.org/v3; crd.projectcalico.org/v1 as stored).
  'projectcalico.org': ['NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy'],
  'crd.projectcalico.org': ['NetworkPolicy', 'GlobalNetworkPolicy'],
  'cilium.io': ['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'],
};

/** "projectcalico.org NetworkPolicy" for an object of an unenforced kind, else undefined. */
export function unenforcedKind(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') return undefined;
  const group = apiGroup(value.apiVersion);
  return UNENFORCED[group]?.includes(value.kind) === true ? `${group} ${value.kind}` : undefined;
}
