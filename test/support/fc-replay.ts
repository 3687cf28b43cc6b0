// The fast-check options that replay a reported failure: FC_SEED=<seed>
// plus FC_PATH=<path> from its report. The seed alone also reaches every
// property through fast-check-seed.ts; the path is per property.
export const replay: { seed?: number; path?: string } = {
  ...(process.env.FC_SEED !== undefined && process.env.FC_SEED !== '' ? { seed: Number(process.env.FC_SEED) } : {}),
  ...(process.env.FC_PATH !== undefined ? { path: process.env.FC_PATH } : {}),
};

/** A replay of one path runs one case: checks that a property met enough cases do not apply. */
export const replayingOnePath = process.env.FC_PATH !== undefined;
