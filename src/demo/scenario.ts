// The demo's scenario: a folder of manifests per step (demo/scenario/NN-name/ in the
// package), each the whole cluster as the agents' folders hold it after that step, so
// `policy-explain -f demo/scenario/02-allow-namespace matrix` answers for any step alone.
// What a step changes is the difference between its folder and the one before (files
// added, changed, removed), the way the agents see it; its title and words live here.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeMatrix, type MatrixResult } from '../explain/matrix.ts';
import { ClusterState } from '../model/cluster-state.ts';
import { formatProblem } from '../model/problems.ts';
import type { ClusterObjects } from '../model/types.ts';
import { folderChanges, type FolderFiles } from '../policytest/agent-folder.ts';
import { loadManifests, placeAndAddress } from '../sources/load-cluster.ts';
import { cellReason, type CellReason, type ExplainedCell } from './cell-reason.ts';

export interface DemoStepInfo {
  /** The step's folder under the scenario root, e.g. "01-default-deny". */
  readonly dir: string;
  readonly title: string;
  /** What the change does, in a sentence or two. */
  readonly says: string;
  /** A cell the change flips, explained in the engine's words at this step (not for step 0). */
  readonly explain?: ExplainedCell;
}

/** The steps in order; step 0 is the starting state the agents' first sync applies. */
export const DEMO_STEPS: readonly DemoStepInfo[] = [
  { dir: '00-start', title: 'start: no NetworkPolicy', says: 'Nothing selects any pod, so every pod may reach every other (Kubernetes\' default).' },
  {
    dir: '01-default-deny', title: 'default deny in shop',
    says: 'shop/default-deny selects every pod in shop for ingress and allows nothing: no pod reaches them any more.',
    explain: { from: 'monitoring/prometheus', to: 'shop/db' },
  },
  {
    dir: '02-allow-namespace', title: 'allow a namespace',
    says: 'shop/allow-from-monitoring: the shop pods labelled metrics=true (api, web) accept the pods of namespaces labelled team=monitoring.',
    explain: { from: 'monitoring/prometheus', to: 'shop/api' },
  },
  {
    dir: '03-label-change', title: 'a label change',
    says: 'Namespace dev gets the label team=monitoring: without any policy edit, dev/debug now reaches shop/api and shop/web.',
    explain: { from: 'dev/debug', to: 'shop/api' },
  },
  {
    dir: '04-delete-policy', title: 'delete a policy',
    says: 'shop/default-deny is deleted: shop/db, which no other policy selects, is open again; api and web stay isolated by allow-from-monitoring.',
    explain: { from: 'shop/api', to: 'shop/db' },
  },
  {
    dir: '05-admin-protect-namespace', title: 'cluster admin: protect a namespace (Admin tier)',
    says: 'ClusterNetworkPolicy protect-shop (tier Admin) denies every pod of namespace dev into shop. The Admin tier is decided before any '
      + 'NetworkPolicy, so shop/allow-from-monitoring, which still admits dev (its label), cannot reopen it.',
    explain: { from: 'dev/debug', to: 'shop/api' },
  },
  {
    dir: '06-baseline-default-deny', title: 'cluster admin: default deny (Baseline tier)',
    says: 'ClusterNetworkPolicy default-deny (tier Baseline) denies connections from pods to every pod that no NetworkPolicy isolates: '
      + 'debug, prometheus and db close; api and web keep what shop/allow-from-monitoring allows, since NetworkPolicy decides before Baseline.',
    explain: { from: 'monitoring/prometheus', to: 'shop/db' },
  },
  {
    dir: '07-namespace-opens', title: 'a namespace overrides the Baseline',
    says: 'shop\'s owners add shop/allow-api-to-db: NetworkPolicy now isolates shop/db and decides its ingress, so the Baseline deny no longer '
      + 'applies to it and shop/api reaches it (dev/debug still does not: the Admin tier comes first).',
    explain: { from: 'shop/api', to: 'shop/db' },
  },
];

/** The scenario folder shipped beside the code: <package>/demo/scenario (src/demo and dist/demo are both two levels down). */
export const DEFAULT_SCENARIO_ROOT = fileURLToPath(new URL('../../demo/scenario/', import.meta.url));

/** What the scenario cannot be run with: a folder missing or a manifest with errors. */
export class ScenarioError extends Error {}

export interface DemoStep extends DemoStepInfo {
  readonly index: number;
  /** File name to content: what the agents' folders hold after this step. */
  readonly files: FolderFiles;
  /** File names, relative to the step before (step 0: everything is added). */
  readonly change: { readonly added: readonly string[]; readonly changed: readonly string[]; readonly removed: readonly string[] };
  /** The cluster as the agent's file source reads the folder (placed and addressed). */
  readonly objects: ClusterObjects;
  /** The engine's matrix on each destination's declared container ports. */
  readonly expected: MatrixResult;
  /** The explained cell with its reason (null when the step names none). */
  readonly why: CellReason | null;
}

const MANIFEST = /\.(ya?ml|json)$/;

async function readStepFiles(dir: string): Promise<Map<string, Uint8Array>> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && MANIFEST.test(e.name)).map((e) => e.name).sort();
  } catch (err) {
    throw new ScenarioError(`cannot read the demo scenario folder ${dir}: ${(err as Error).message}`);
  }
  if (names.length === 0) throw new ScenarioError(`the demo scenario folder ${dir} holds no manifests`);
  return new Map(await Promise.all(names.map(async (n): Promise<[string, Uint8Array]> => [n, await readFile(path.join(dir, n))])));
}

/** Reads every step: its files, its change, its cluster and expected matrix. Throws ScenarioError on anything but a clean read. */
export async function loadScenario(root: string = DEFAULT_SCENARIO_ROOT, steps: readonly DemoStepInfo[] = DEMO_STEPS): Promise<DemoStep[]> {
  const out: DemoStep[] = [];
  let before: FolderFiles = new Map();
  for (const [index, info] of steps.entries()) {
    const dir = path.join(root, info.dir);
    const files = await readStepFiles(dir);
    // Read as the agent reads its folder: strict validation, and any problem refuses it
    // (an agent refuses a read with an error; a warning here would be a flaw of the demo).
    const loaded = await loadManifests([dir]);
    if (loaded.problems.length > 0) {
      throw new ScenarioError(`the demo scenario step ${info.dir} does not read cleanly:\n${loaded.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    }
    const objects = placeAndAddress(loaded.objects);
    const expected = computeMatrix(new ClusterState(objects), null, null);
    const { write, remove } = folderChanges(before, files);
    const change = { added: write.filter((f) => !before.has(f)), changed: write.filter((f) => before.has(f)), removed: remove };
    const why = info.explain === undefined ? null : cellReason(objects, expected, out[out.length - 1]?.expected, info.explain);
    if (typeof why === 'string') throw new ScenarioError(`the demo scenario step ${info.dir} explains a cell it cannot: ${why}`);
    out.push({ ...info, index, files, change, objects, expected, why });
    before = files;
  }
  return out;
}
