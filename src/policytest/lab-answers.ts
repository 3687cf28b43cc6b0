// The cases of one world answered on a lab network whose node tables are in
// force, the same way whoever put them there (nftpol itself: kernel-verdicts;
// the agents: agent-verdicts): each distinct flow is probed once with real
// packets; a case with no probe (SCTP: no sockets in this kernel) is answered
// by reading the node tables as the kernel walks them.
import type { NodeIR } from '../compile/ir.ts';
import type { ProbeResult } from '../lab/probe.ts';
import type { World } from '../lab/world.ts';
import { RulesetVerdicts } from '../nft/ir-verdict.ts';
import { failClosedNote, labEnd, type LabProbe, type PlacedWorld } from './kernel-layout.ts';
import type { FlowAnswer, FlowQuestion } from './verdict-source.ts';

export interface ProbeSettings {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly concurrency: number;
}

export interface LabAnswers {
  readonly answers: FlowAnswer[];
  /** Distinct flows probed. */
  readonly probed: number;
  /** Cases answered by reading the tables. */
  readonly ruleLevel: number;
  readonly probeMs: number;
}

function probeDetail(r: ProbeResult, timeoutMs: number): string {
  if (r.verdict === 'allow') return `${r.protocol} answered by ${r.reply ?? r.target} in ${r.ms} ms`;
  const tries = r.attempts === 1 ? '1 try' : `${r.attempts} tries`;
  if (r.reason === 'timeout') return `${r.protocol}: no answer within ${timeoutMs} ms (${tries})`;
  return `${r.protocol}: ${r.reason} (${tries})`;
}

const withNote = (detail: string, note: string | undefined): string => (note === undefined ? detail : `${detail}; note: ${note}`);

/**
 * `probes[i]` is case i's probe (labProbe), undefined when it has none;
 * `tables` the node tables in force, read only if a case has no probe;
 * `ruleLevel` says what such an answer was read from.
 */
export async function answerOnLab(
  world: World, placed: PlacedWorld, cases: readonly FlowQuestion[], probes: readonly (LabProbe | undefined)[],
  settings: ProbeSettings, tables: () => ReadonlyMap<string, NodeIR>, ruleLevel: string,
): Promise<LabAnswers> {
  const t0 = performance.now();
  // Each distinct flow once.
  const unique = new Map<string, LabProbe>();
  for (const p of probes) if (p) unique.set(JSON.stringify(p), p);
  const list = [...unique.values()];
  const results = await world.probeAll(
    list.map((p) => ({ from: p.from, source: p.source, to: p.to, protocol: p.protocol, port: p.port })),
    { timeoutMs: settings.timeoutMs, retries: settings.retries, concurrency: settings.concurrency },
  );
  const byKey = new Map(list.map((p, i) => [JSON.stringify(p), results[i] as ProbeResult]));
  const probeMs = performance.now() - t0;

  let rules: RulesetVerdicts | undefined;
  let read = 0;
  const answers = cases.map((c, i): FlowAnswer => {
    const probe = probes[i];
    if (probe) {
      const r = byKey.get(JSON.stringify(probe)) as ProbeResult;
      const note = r.verdict === 'deny' ? failClosedNote(placed, c.flow) : undefined;
      return { allowed: r.verdict === 'allow', checkedBy: 'kernel', detail: withNote(probeDetail(r, settings.timeoutMs), note) };
    }
    rules ??= new RulesetVerdicts(tables());
    read++;
    const from = labEnd(placed, c.flow.from);
    const to = labEnd(placed, c.flow.to);
    const allowed = rules.allows({
      src: c.flow.from.ip,
      dst: c.flow.to.ip,
      ...(from.node !== undefined && { srcNode: from.node }),
      ...(to.node !== undefined && { dstNode: to.node }),
      protocol: c.flow.protocol,
      ...(c.flow.port !== undefined && { port: c.flow.port }),
    });
    return { allowed, checkedBy: 'rules', detail: withNote(ruleLevel, allowed ? undefined : failClosedNote(placed, c.flow)) };
  });
  return { answers, probed: list.length, ruleLevel: read, probeMs };
}
