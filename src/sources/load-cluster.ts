// Manifest mode: paths -> ClusterObjects plus every problem found on the way.
// Objects with errors are still returned in their fail-closed form (see
// normalizePolicy); callers that must not run on bad input (the CLI) check
// for problems of severity "error" and stop.
import type { NormalizeOptions } from './normalize-object.ts';
import { assembleCluster } from './assemble-cluster.ts';
import type { SourceProblem } from '../model/problems.ts';
import type { ClusterObjects } from '../model/types.ts';
import type { ReadManifestsOptions } from './manifest-files.ts';
import { readManifests } from './manifest-files.ts';

import { assignPodAddresses } from './assign-addresses.ts';
import { placePods } from './placement.ts';

export { assignPodAddresses } from './assign-addresses.ts';

/**
 * Manifests rarely say where pods run or what addresses they have: pods
 * without spec.nodeName are spread over the known nodes, then those without
 * addresses get them from their node's pod CIDR. Every command, the agent's
 * file source and `nftpol test` see the same placement and addresses.
 */
export function placeAndAddress(objects: ClusterObjects): ClusterObjects {
  return assignPodAddresses(placePods(objects));
}

export interface LoadOptions extends ReadManifestsOptions, NormalizeOptions {}

export interface LoadResult {
  readonly objects: ClusterObjects;
  readonly problems: readonly SourceProblem[];
}

export async function loadManifests(paths: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const read = await readManifests(paths, opts);
  const assembled = assembleCluster(read.documents, opts);
  return { objects: assembled.objects, problems: [...read.problems, ...assembled.problems] };
}

/** True when any problem is an error (the input should not be trusted as is). */
export function hasErrors(problems: readonly SourceProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
