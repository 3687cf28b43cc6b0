// `nftpol test --dataplane kernel` on a machine whose PATH lacks the tools (as root with
// sbin not on PATH): the answer lists the missing tools and nothing else; in particular
// the per-namespace bridge-nf-call-iptables probe, which runs sysctl in a netns, must not
// blame the kernel when it is sysctl (or nft) that is missing.
import { accessSync, constants, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/nftpol-program.ts';
import { REPO } from '../nft/golden/scenarios.ts';

/** The first executable `name` on `searchPath`. */
function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

describe('nftpol test --dataplane kernel with tools missing from PATH', () => {
  const savedPath = process.env.PATH ?? '';
  let dir = '';

  beforeAll(() => {
    // A PATH holding only `ip`: nft, bridge, sysctl and conntrack are missing, while the
    // netns probe could still start (it is the one the old code ran with just `ip`).
    dir = mkdtempSync(path.join(tmpdir(), 'nftpol-path-'));
    const ip = onPath('ip', savedPath);
    if (ip !== undefined) symlinkSync(ip, path.join(dir, 'ip'));
    process.env.PATH = dir;
  });

  afterAll(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the missing tools and does not blame the kernel', async () => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: '' };
    const code = await main(['test', '--dataplane', 'kernel', 'policies-examples/default-deny'], io, { cwd: REPO });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    for (const tool of ['nft', 'bridge (iproute2)', 'sysctl (procps)', 'conntrack']) expect(stderr).toContain(`no working \`${tool}\` on PATH`);
    expect(stderr).not.toContain('not per network namespace');
    expect(stderr).not.toContain('cannot build a test network namespace');
  });
});
