// describeRequiring: how suites that need the machine (root, nft, network
// namespaces) declare themselves. CI (CI set and not "false"/"0") must run
// them: a missing prerequisite fails every test of the suite, listing what is
// missing. Elsewhere (a laptop without root) the suite is skipped and a
// message says why.
import { beforeAll, describe } from 'vitest';
import { kernelPrerequisites } from '../../src/lab/prerequisites.ts';

export function inCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

export async function describeRequiring(
  what: string, prerequisites: () => Promise<string[]>, name: string, body: () => void,
): Promise<void> {
  const missing = await prerequisites();
  if (missing.length > 0 && !inCI()) {
    const why = missing.join('; ');
    console.warn(`[${what} tests] skipping "${name}" (set CI=true to make this a failure): ${why}`);
    describe.runIf(false)(`${name} [skipped: ${why}]`, body);
    return;
  }
  describe(name, () => {
    if (missing.length > 0) {
      beforeAll(() => {
        throw new Error(`${what} test prerequisites missing (CI must run these tests):\n  - ${missing.join('\n  - ')}`);
      });
    }
    body();
  });
}

/** Kernel tests: the lab's network namespaces, bridges, vxlan and nft. */
export function describeKernel(name: string, body: () => void): Promise<void> {
  return describeRequiring('kernel', kernelPrerequisites, name, body);
}
