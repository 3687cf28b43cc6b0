// Every golden script through the real `nft -c -f -`, in a throwaway network
// namespace (root only: CI must run it; elsewhere it is skipped with the
// reason). nft -c sends the whole transaction to the kernel in check mode, so
// this catches what the kernel refuses, not just what the parser refuses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeNft, useThrowawayNetns } from '../../support/root.ts';
import { GOLDEN_DIR, goldenFiles } from './scenarios.ts';

const files = goldenFiles();

await describeNft('golden nft scripts pass nft -c', () => {
  const netns = useThrowawayNetns();

  it('has golden files to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(26);
  });

  it.each(files)('%s', async (file) => {
    const script = readFileSync(path.join(GOLDEN_DIR, file), 'utf8');
    await expect(netns().nft.check(script)).resolves.toBeUndefined();
  });

  it('applies every golden for real in the namespace, and each replaces the previous one', async () => {
    // nft -c stops short of the commit; applying proves the commit works too,
    // and that the "add; delete; table" replace works over an existing table.
    for (const file of files) {
      await netns().nft.apply(readFileSync(path.join(GOLDEN_DIR, file), 'utf8'));
    }
    const listed = await netns().nft.read(['list', 'tables']);
    expect(listed.trim()).toBe('table inet nftpol');
  });
});
