// One fast-check seed for every property of a run, set before each test file
// (vitest.config.ts's setupFiles). vitest.config.ts picks it: FC_SEED when
// given, else a number derived from the commit under test, so a CI run of a
// commit replays exactly what its author's run of that commit did, and every
// new commit explores new cases. FC_RANDOM=1 leaves fast-check's own random
// seed (npm run test:fuzz). A property's own `seed` option still wins.
import fc from 'fast-check';

const seed = process.env.NFTPOL_FC_SEED;
if (seed !== undefined && seed !== '') fc.configureGlobal({ seed: Number(seed) });
