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

export interface FlowAnswer {
  readonly allowed: boolean;
}

export interface Dataplane {
  readonly name: DataplaneName;
  /** The verdict of each flow in one world, in order. A kernel dataplane builds the world once per call. */
  verdicts(world: TestWorld, cases: readonly FlowQuestion[]): Promise<readonly FlowAnswer[]>;
}

/** The policy engine's verdicts: one PolicyEngine per world (its memo serves every case). */
export const modelDataplane: Dataplane = {
  name: 'model',
  verdicts(world, cases) {
    const engine = world.engine;
    return Promise.resolve(cases.map((c) => ({ allowed: engine.allows(c.flow) })));
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
