// LibnftablesRunner without the kernel: what it refuses before calling the
// library, several contexts in one process, close. Needs only the library
// (no root: nft_ctx_new touches no netlink); the kernel side is
// test/kernel/libnftables.test.ts.
import { expect, it } from 'vitest';
import { LibnftablesRunner } from '../../src/dataplane/libnftables-runner.ts';
import { openNftBackend } from '../../src/dataplane/nft-backend.ts';
import { NftError } from '../../src/dataplane/nft-runner.ts';
import { describeRequiring } from '../support/describe-requiring.ts';

async function libraryMissing(): Promise<string[]> {
  const opened = openNftBackend('libnftables');
  if (opened.runner instanceof LibnftablesRunner) await opened.runner.close();
  return opened.fallback === undefined ? [] : [opened.fallback];
}

await describeRequiring('libnftables', libraryMissing, 'LibnftablesRunner (no kernel)', () => {
  it('opens several contexts in one process, each closed on its own', async () => {
    const [a, b] = [new LibnftablesRunner(), new LibnftablesRunner()];
    await a.close();
    await expect(a.read(['list', 'tables'])).rejects.toThrow('libnftables runner is closed');
    // A syntax error is refused by the parser, before anything reaches netlink: the second context works.
    await expect(b.apply('bogus\n')).rejects.toThrow(/^libnftables apply \(nft -f\) failed: .*syntax error/);
    await b.close();
  });

  it('refuses what it cannot pass on faithfully: a NUL in a script, an nft option it does not map', async () => {
    const r = new LibnftablesRunner();
    try {
      const nul = r.apply('add table inet x\0\nflush ruleset\n');
      await expect(nul).rejects.toBeInstanceOf(NftError);
      await expect(nul).rejects.toThrow(/NUL character/);
      await expect(r.read(['-e', 'list', 'ruleset'])).rejects.toThrow('unsupported nft option "-e" (it reads -s, -a, -j, -t)');
      await expect(r.read(['--json', 'list', 'ruleset'])).rejects.toThrow(/unsupported nft option "--json"/);
    } finally {
      await r.close();
    }
  });
});
