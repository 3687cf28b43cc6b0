// What answers "is this flow allowed?" for a test run: a verdict source. The
// model asks the policy engine; the kernel (real nftables in network
// namespaces, kernel-verdicts.ts) and the agent (one `nftpol agent` process per
// lab node, agent-verdicts.ts) answer behind the same interface, so the same
// PolicyTests check that the kernel agrees with the model. The command
// line picks one by the name its --dataplane option takes; whoever runs the
// tests passes the sources it offers in explicitly (no registry).
import type { LabTopology } from '../lab/spec.ts';
import type { Flow } from '../policy/engine.ts';
import type { TestWorld } from './load-test-world.ts';

export type VerdictSourceName = 'model' | 'kernel' | 'agent';
const VERDICT_SOURCE_NAMES: readonly VerdictSourceName[] = ['model', 'kernel', 'agent'];

/** One flow to decide. */
export interface FlowQuestion {
  readonly flow: Flow;
}

/**
 * What decided a flow: `model` the policy engine; `kernel` real packets through the
 * applied nftables rulesets; `rules` the applied rulesets read for the flow (flows the
 * kernel cannot send, such as SCTP here).
 */
export type CheckedBy = 'model' | 'kernel' | 'rules';

export interface FlowAnswer {
  readonly allowed: boolean;
  /** Default: the dataplane's own kind (`model` for the model, `kernel` for the kernel). */
  readonly checkedBy?: CheckedBy;
  /** How it was decided, in a few words ("TCP: no answer within 1000 ms, 2 attempts"). */
  readonly detail?: string;
}

/** One world and every flow a run asks of it. */
export interface WorldQuestions {
  readonly world: TestWorld;
  readonly cases: readonly FlowQuestion[];
}

export interface VerdictSource {
  readonly name: VerdictSourceName;
  /**
   * Called once before any verdicts, with every world of the run and its flows, so a
   * dataplane can check what it needs (throwing VerdictSourceUnavailableError) and plan ahead
   * (the kernel dataplane builds one network for worlds that share pods and nodes).
   */
  prepare?(worlds: readonly WorldQuestions[]): Promise<void>;
  /** The verdict of each flow in one world, in order. */
  verdicts(world: TestWorld, cases: readonly FlowQuestion[]): Promise<readonly FlowAnswer[]>;
  /** Called once at the end of a run, also when it failed: release what prepare and verdicts built. */
  close?(): Promise<void>;
}

/** The policy engine's verdicts: one PolicyEngine per world (its memo serves every case). */
export const modelVerdicts: VerdictSource = {
  name: 'model',
  verdicts(world, cases) {
    const engine = world.engine;
    return Promise.resolve(cases.map((c) => ({ allowed: engine.allows(c.flow), checkedBy: 'model' as const })));
  },
};

/** A verdict source that cannot run here (not root, a tool missing, an unknown name). */
export class VerdictSourceUnavailableError extends Error {}

/** What the command line tells the chosen source: the lab dataplanes' topology. */
export interface VerdictSourceOptions {
  /** How the lab wires pods (kernel and agent dataplanes): `bridge` (flannel) or `routed` (kindnet, Calico, ptp). */
  readonly topology?: LabTopology;
}

/** The verdict sources a caller offers, by name; each made only when chosen. */
export type VerdictSources = Readonly<Partial<Record<VerdictSourceName, (options: VerdictSourceOptions) => VerdictSource>>>;

export function chooseVerdictSource(sources: VerdictSources, name: string, options: VerdictSourceOptions = {}): VerdictSource {
  const create = (VERDICT_SOURCE_NAMES as readonly string[]).includes(name) ? sources[name as VerdictSourceName] : undefined;
  if (!create) {
    if ((VERDICT_SOURCE_NAMES as readonly string[]).includes(name)) throw new VerdictSourceUnavailableError(`dataplane ${name} is not available in this build`);
    throw new VerdictSourceUnavailableError(`unknown dataplane ${JSON.stringify(name)} (want ${VERDICT_SOURCE_NAMES.join(' or ')})`);
  }
  return create(options);
}
