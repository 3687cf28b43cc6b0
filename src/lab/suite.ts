// describeKernel: the one way kernel test files declare their suite.
// CI (CI set and not "false"/"0") must run kernel tests: a missing prerequisite fails every
// test of the suite, listing what is missing. Elsewhere (a laptop without root) the suite is
// skipped and a message says why.
// vitest is loaded only when a test file calls describeKernel: the lab ships in the package
// (the kernel dataplane), vitest does not.

import { kernelPrerequisites } from './prerequisites.ts';

export function inCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

export async function describeKernel(name: string, body: () => void): Promise<void> {
  const { beforeAll, describe } = await import('vitest');
  const missing = await kernelPrerequisites();
  if (missing.length > 0 && !inCI()) {
    const why = missing.join('; ');
    console.warn(`[kernel tests] skipping "${name}" (set CI=true to make this a failure): ${why}`);
    describe.runIf(false)(`${name} [skipped: ${why}]`, body);
    return;
  }
  describe(name, () => {
    if (missing.length > 0) {
      beforeAll(() => {
        throw new Error(`kernel test prerequisites missing (CI must run kernel tests):\n  - ${missing.join('\n  - ')}`);
      });
    }
    body();
  });
}
