// The example workflow of docs/ci.md, read as GitHub Actions reads it: YAML with
// `on:` events and jobs whose steps each run a script or use an action.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

export const WORKFLOW = fileURLToPath(new URL('../../docs/examples/policy-review.yml', import.meta.url));

export interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly if?: string;
}

interface Workflow {
  readonly name?: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The workflow file, checked for the structure GitHub Actions requires before it is used. */
export async function readWorkflow(): Promise<Workflow> {
  const doc: unknown = load(await readFile(WORKFLOW, 'utf8'));
  if (!isRecord(doc)) throw new Error('the workflow is not a YAML mapping');
  if (!isRecord(doc.on)) throw new Error('no `on:` mapping of events');
  if (!isRecord(doc.jobs) || Object.keys(doc.jobs).length === 0) throw new Error('no `jobs:`');
  for (const [id, job] of Object.entries(doc.jobs)) {
    if (!isRecord(job) || typeof job['runs-on'] !== 'string') throw new Error(`job ${id}: no runs-on`);
    if (!Array.isArray(job.steps) || job.steps.length === 0) throw new Error(`job ${id}: no steps`);
    for (const [i, step] of (job.steps as unknown[]).entries()) {
      // A step either runs a script or uses an action, never both.
      if (!isRecord(step) || (typeof step.run === 'string') === (typeof step.uses === 'string')) throw new Error(`job ${id} step ${i}: needs exactly one of run and uses`);
    }
  }
  return doc as unknown as Workflow;
}

export async function workflowSteps(): Promise<Step[]> {
  return Object.values((await readWorkflow()).jobs).flatMap((j) => j.steps);
}
