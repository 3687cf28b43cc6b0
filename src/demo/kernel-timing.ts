// How long a step took to reach each node's kernel: from the moment the demo began writing
// the step into the folders to the moment the agent's apply returned, as its /status says
// (kernel.lastApply.at for a table it wrote; kernel.lastSync.at when the step left that
// node's table as it was, so nothing was written). Same machine, same clock. /status is
// another process's answer: read field by field.
import type { NodeAgentProcess } from '../lab/agent-process.ts';
import { isRecord } from '../sources/raw.ts';

export interface KernelArrival {
  readonly node: string;
  /**
   * replace: the whole table (the agent's first sync); delta: only what changed; unchanged:
   * this node's table stayed as it was; unknown: /status no longer says (another sync since).
   */
  readonly how: 'replace' | 'delta' | 'unchanged' | 'unknown';
  /** The script's size (replace and delta). */
  readonly bytes: number | null;
  /** From the start of the write to the agent's apply (or its sync that found nothing to change). */
  readonly ms: number;
  /** From the start of the write to the demo reading the revision in /status (includes its poll). */
  readonly seenMs: number;
}

interface At {
  readonly revision: string;
  readonly at: number;
}

function stamped(v: unknown): (At & { readonly rest: Record<string, unknown> }) | undefined {
  if (!isRecord(v) || typeof v.revision !== 'string' || typeof v.at !== 'string') return undefined;
  const at = Date.parse(v.at);
  return Number.isFinite(at) ? { revision: v.revision, at, rest: v } : undefined;
}

/** Reads the arrival of `revision` from a /status body; undefined when the body does not say. */
export function arrivalFrom(body: string, node: string, revision: string, writeStartedAt: number, seenAt: number): KernelArrival | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !isRecord(doc.kernel)) return undefined;
  const seenMs = Math.max(0, seenAt - writeStartedAt);
  const apply = stamped(doc.kernel.lastApply);
  if (apply?.revision === revision && (apply.rest.kind === 'replace' || apply.rest.kind === 'delta')) {
    const bytes = typeof apply.rest.bytes === 'number' ? apply.rest.bytes : null;
    return { node, how: apply.rest.kind, bytes, ms: Math.max(0, apply.at - writeStartedAt), seenMs };
  }
  const sync = stamped(doc.kernel.lastSync);
  if (sync?.revision === revision && sync.rest.result === 'unchanged') {
    return { node, how: 'unchanged', bytes: null, ms: Math.max(0, sync.at - writeStartedAt), seenMs };
  }
  return undefined;
}

/** Asks the agent (already at `revision`) when it got there. */
export async function kernelArrival(agent: NodeAgentProcess, revision: string, writeStartedAt: number, seenAt: number): Promise<KernelArrival> {
  const answer = await agent.get('/status');
  const arrival = answer.status === 200 ? arrivalFrom(answer.body, agent.node, revision, writeStartedAt, seenAt) : undefined;
  // Another sync came between the wait and this question: say what is known (when the demo
  // saw the revision) rather than invent how it got there.
  return arrival ?? { node: agent.node, how: 'unknown', bytes: null, ms: Math.max(0, seenAt - writeStartedAt), seenMs: Math.max(0, seenAt - writeStartedAt) };
}
