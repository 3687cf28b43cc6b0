// Waiting for the lab's agents: each state of a test is probed only once every agent says,
// through /status, that the kernel holds the revision of the folder as written for it (the
// files source's digest). The wait is a poll of that answer, never a sleep that hopes: it
// ends when the answer is the revision, and fails at once when the agent has died or has
// refused the folder (bad input does not fix itself), or after a bounded time, with the
// agent's last log lines.
import type { AgentStatus } from '../agent/agent.ts';
import type { NodeAgentProcess } from '../lab/agent-process.ts';
import { isRecord } from '../sources/raw.ts';
import { VerdictSourceUnavailableError } from './verdict-source.ts';

/** How long every agent of a state has to reach its revision, by default. */
export const DEFAULT_REVISION_TIMEOUT_MS = 30_000;
/** Pause between two /status questions to one agent: only so the poll does not spin. */
const POLL_MS = 20;

/** The agent dataplane could not decide: an agent died, refused its folder or never got there. */
export class AgentDataplaneError extends VerdictSourceUnavailableError {}

/** The part of /status the wait reads, checked field by field (it is another process's output). */
export interface StatusView {
  readonly kernelRevision: string | null;
  /** The last good revision the source read. */
  readonly sourceRevision: string | null;
  readonly rejected: { readonly revision: string; readonly problems: readonly string[] } | null;
  readonly lastSync: { readonly result: string; readonly revision: string; readonly error?: string; readonly cause?: string } | null;
  /** The last script the agent wrote: `replace` (the whole table) or `delta`, and for which revision. */
  readonly lastApply: { readonly kind: string; readonly revision: string } | null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads /status's body; undefined when it is not the agent's status (not JSON, fields missing or of other types). */
export function readStatus(body: string): StatusView | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  // The shape checked here is AgentStatus's (src/agent/agent.ts), field by field.
  const status = doc as Partial<Record<keyof AgentStatus, unknown>>;
  if (!isRecord(status) || !isRecord(status.kernel) || !isRecord(status.source)) return undefined;
  const { revision } = status.kernel;
  if (revision !== null && typeof revision !== 'string') return undefined;
  const sourceRevision = typeof status.source.revision === 'string' ? status.source.revision : null;
  const rej = status.source.rejected;
  const rejected = isRecord(rej) && typeof rej.revision === 'string'
    ? { revision: rej.revision, problems: Array.isArray(rej.problems) ? rej.problems.filter((p): p is string => typeof p === 'string') : [] }
    : null;
  const ls = status.kernel.lastSync;
  const lastSync = isRecord(ls) && typeof ls.result === 'string' && typeof ls.revision === 'string'
    ? { result: ls.result, revision: ls.revision, ...(str(ls.error) !== undefined && { error: str(ls.error) as string }), ...(str(ls.cause) !== undefined && { cause: str(ls.cause) as string }) }
    : null;
  const la = status.kernel.lastApply;
  const lastApply = isRecord(la) && typeof la.kind === 'string' && typeof la.revision === 'string' ? { kind: la.kind, revision: la.revision } : null;
  return { kernelRevision: revision, sourceRevision, rejected, lastSync, lastApply };
}

function logTail(agent: NodeAgentProcess): string {
  const lines = agent.lastLines();
  return lines.length === 0 ? '(it wrote no log line)' : lines.map((l) => `    ${l}`).join('\n');
}

function exitText(agent: NodeAgentProcess): string {
  const e = agent.exitStatus;
  if (!e) return '';
  return e.signal !== null ? `was killed by ${e.signal}` : e.code === null ? 'could not be run' : `exited with code ${e.code}`;
}

/** What `what` waits for, for messages: "the first table" or "the state after steps[0]". */
export interface WaitFor {
  readonly revision: string;
  /** The world, for messages (test file and state). */
  readonly what: string;
  readonly timeoutMs: number;
}

/** Resolves with its status once `agent` reports `revision` in the kernel; throws AgentDataplaneError otherwise. */
export async function untilAtRevision(agent: NodeAgentProcess, wait: WaitFor): Promise<StatusView> {
  const deadline = Date.now() + wait.timeoutMs;
  const where = `the agent of node ${agent.node}`;
  let last: StatusView | undefined;
  let lastError: string;
  for (;;) {
    if (agent.exitStatus) {
      throw new AgentDataplaneError(
        `${where} ${exitText(agent)} before its table reached revision ${wait.revision} (${wait.what}); command: ${agent.argv.join(' ')}\n  its last log lines:\n${logTail(agent)}`,
      );
    }
    try {
      const answer = await agent.get('/status');
      last = answer.status === 200 ? readStatus(answer.body) : undefined;
      lastError = last ? '' : `/status answered ${answer.status}`;
    } catch (err) {
      // Not listening yet (the relay or the agent is starting): ask again.
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (last?.kernelRevision === wait.revision) return last;
    if (last?.rejected?.revision === wait.revision) {
      throw new AgentDataplaneError(
        `${where} refused its folder at revision ${wait.revision} (${wait.what}):\n${last.rejected.problems.map((p) => `    ${p}`).join('\n')}\n` +
          '  (the agent reads manifests with strict validation; a test run with --validate=warn or ignore may hold what it refuses)',
      );
    }
    if (last?.lastSync?.result === 'failed' && last.lastSync.revision === wait.revision && last.lastSync.cause === 'unknown_node') {
      throw new AgentDataplaneError(`${where} cannot enforce revision ${wait.revision} (${wait.what}): ${last.lastSync.error ?? 'unknown node'}`);
    }
    if (Date.now() > deadline) {
      // Which side is behind: the source (the folder's change not read: a missed watch event
      // waits for the periodic rescan) or the kernel (the sync failing or slow).
      const unread = last && last.sourceRevision !== wait.revision ? `; its source has not read the folder as written (it holds revision ${last.sourceRevision ?? 'none'})` : '';
      const at = last ? `its kernel is at revision ${last.kernelRevision ?? 'none'}${unread}${last.lastSync?.error !== undefined ? `, its last sync failed: ${last.lastSync.error}` : ''}` : `its status could not be read (${lastError})`;
      throw new AgentDataplaneError(
        `${where} did not reach revision ${wait.revision} (${wait.what}) within ${wait.timeoutMs} ms: ${at}\n  its last log lines:\n${logTail(agent)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
