// The golden renders: every policies-examples/ scenario, loaded by the
// sources as `nftpol render` loads it (addresses assigned, pods without a
// node spread over node-1 and node-2 when the scenario has no Node objects),
// rendered for every node that placement knows: node-1 and node-2, plus any
// node a pod names (ipv6 pins its pods to pool-edge-5 and pool-admin).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileNode } from '../../../src/compile/compile-node.ts';
import { knownNodes, placePods } from '../../../src/sources/placement.ts';
import { ClusterState } from '../../../src/model/cluster-state.ts';
import { formatProblem } from '../../../src/model/problems.ts';
import { renderReplaceScript } from '../../../src/nft/render-table.ts';
import { PolicyEngine } from '../../../src/policy/engine.ts';
import { assignPodAddresses, loadManifests } from '../../../src/sources/load-cluster.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const EXAMPLES_DIR = path.join(REPO, 'policies-examples');
export const GOLDEN_DIR = fileURLToPath(new URL('./', import.meta.url));
/** The nodes pods are spread over when a scenario has no Node objects. */
export const DEFAULT_NODES = ['node-1', 'node-2'] as const;

export interface GoldenRender {
  readonly scenario: string;
  readonly node: string;
  /** "<scenario>.<node>.nft" in GOLDEN_DIR. */
  readonly file: string;
  readonly script: string;
}

/** Scenario folders: policies-examples/<name>/manifests. */
export function scenarioNames(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((name) => {
      try {
        return statSync(path.join(EXAMPLES_DIR, name, 'manifests')).isDirectory();
      } catch {
        return false;
      }
    })
    .sort();
}

export async function renderScenario(scenario: string): Promise<GoldenRender[]> {
  // Relative to the repository, as a reviewer would type it.
  const loaded = await loadManifests([path.join('policies-examples', scenario, 'manifests')], { cwd: REPO });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(`${scenario}: ${errors.map(formatProblem).join('; ')}`);
  const extra = loaded.objects.nodes.length === 0 ? DEFAULT_NODES : [];
  // Placed first, then addressed, as loadCluster and `nftpol render` do: a pod gets an address in its node's pod CIDR.
  const objects = assignPodAddresses(placePods(loaded.objects, extra));
  const engine = new PolicyEngine(new ClusterState(objects));
  return knownNodes(objects, extra).map((node) => ({
    scenario,
    node,
    file: `${scenario}.${node}.nft`,
    script: renderReplaceScript(compileNode(engine, node)),
  }));
}

export async function renderAllScenarios(): Promise<GoldenRender[]> {
  return (await Promise.all(scenarioNames().map(renderScenario))).flat();
}

/** The golden files present on disk. */
export function goldenFiles(): string[] {
  return readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.nft')).sort();
}
