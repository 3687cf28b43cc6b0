// What answers "is this flow allowed?" for a test run. The model dataplane
// asks the policy engine; a kernel dataplane (real nftables in network
// namespaces) can be plugged in behind the same interface, so the same
// PolicyTests check that the kernel agrees with the model.
import type { Flow } from '../policy/engine.ts';
import type { TestWorld } from './load-test-world.ts';

export type DataplaneName = 'model' | 'kernel';
export const DATAPLANE_NAMES: readonly DataplaneName[] = ['model', 'kernel'];

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

export interface Dataplane {
  readonly name: DataplaneName;
  /**
   * Called once before any verdicts, with every world of the run and its flows, so a
   * dataplane can check what it needs (throwing DataplaneUnavailableError) and plan ahead
   * (the kernel dataplane builds one network for worlds that share pods and nodes).
   */
  prepare?(worlds: readonly WorldQuestions[]): Promise<void>;
  /** The verdict of each flow in one world, in order. */
  verdicts(world: TestWorld, cases: readonly FlowQuestion[]): Promise<readonly FlowAnswer[]>;
  /** Called once at the end of a run, also when it failed: release what prepare and verdicts built. */
  close?(): Promise<void>;
}

/** The policy engine's verdicts: one PolicyEngine per world (its memo serves every case). */
export const modelDataplane: Dataplane = {
  name: 'model',
  verdicts(world, cases) {
    const engine = world.engine;
    return Promise.resolve(cases.map((c) => ({ allowed: engine.allows(c.flow), checkedBy: 'model' as const })));
  },
};

export class DataplaneUnavailableError extends Error {}

const factories = new Map<DataplaneName, () => Dataplane>([['model', () => modelDataplane]]);

/** Makes a dataplane available by name (the kernel dataplane registers itself here). */
export function registerDataplane(name: DataplaneName, create: () => Dataplane): void {
  factories.set(name, create);
}

export function dataplaneFor(name: string): Dataplane {
  const create = factories.get(name as DataplaneName);
  if (!create) {
    if ((DATAPLANE_NAMES as readonly string[]).includes(name)) throw new DataplaneUnavailableError(`dataplane ${name} is not available in this build`);
    throw new DataplaneUnavailableError(`unknown dataplane ${JSON.stringify(name)} (want ${DATAPLANE_NAMES.join(' or ')})`);
  }
  return create();
}
