import { describe, expect, it } from 'vitest';
import { normalizeListing, SyncerApplier } from '../../src/agent/applier.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import type { SysctlAccess } from '../../src/dataplane/bridge-netfilter.ts';
import { NftError, type NftRunner } from '../../src/dataplane/nft-runner.ts';

const ir: NodeIR = { node: 'n1', podCidrs: ['10.244.1.0/24'], pods: [], policyChains: [], sets: [] };

/** A kernel of one table whose listing the test can change behind the applier's back. */
function kernel(): NftRunner & { listing: string | undefined; applies: number } {
  const k = {
    listing: undefined as string | undefined,
    applies: 0,
    apply: async () => {
      k.applies++;
      k.listing = 'table inet nftpol {\n\tchain egress {\n\t\tct state invalid counter packets 0 bytes 0 drop\n\t}\n}\n';
    },
    check: async () => {},
    read: async () => {
      if (k.listing === undefined) throw new NftError('nft list table failed (exit 1)', 'Error: No such file or directory');
      return k.listing;
    },
  };
  return k;
}

describe('SyncerApplier', () => {
  it('counters moving is not drift; a rule changed by hand or the table deleted is', async () => {
    const k = kernel();
    const a = new SyncerApplier({ runner: k, table: 'nftpol', bridge: false });
    expect(await a.apply(ir, { force: false })).toMatchObject({ ok: true, applied: true, attempts: 1, script: { kind: 'replace' } });
    expect(await a.inSync()).toBe(true);
    k.listing = k.listing!.replace('packets 0 bytes 0', 'packets 12 bytes 3456');
    expect(await a.inSync()).toBe(true);
    k.listing = k.listing.replace('drop', 'accept');
    expect(await a.inSync()).toBe(false);
    k.listing = undefined;
    expect(await a.inSync()).toBe(false);
    expect(await a.apply(ir, { force: false })).toMatchObject({ ok: true, applied: false });
    expect(await a.apply(ir, { force: true })).toMatchObject({ ok: true, applied: true });
    expect(await a.inSync()).toBe(true);
    expect(k.applies).toBe(2);
  });

  it('replaces the table first, then applies changes as deltas; a forced apply (drift repair) replaces it', async () => {
    const k = kernel();
    const scripts: string[] = [];
    const apply = k.apply;
    k.apply = async (...args: Parameters<NftRunner['apply']>) => {
      scripts.push(args[0]);
      await apply(...args);
    };
    const a = new SyncerApplier({ runner: k, table: 'nftpol', bridge: false });
    const withPod: NodeIR = { ...ir, pods: [{ pod: 'x/p0', ips: ['10.244.1.2'], ingress: { isolated: false }, egress: { isolated: false } }] };
    const first = await a.apply(ir, { force: false });
    expect(first).toMatchObject({ ok: true, applied: true, script: { kind: 'replace', bytes: scripts[0]?.length } });
    const second = await a.apply(withPod, { force: false });
    expect(second).toMatchObject({ ok: true, applied: true, script: { kind: 'delta', bytes: scripts[1]?.length } });
    expect(scripts[1]).toMatch(/^add element inet nftpol /);
    expect(await a.apply(withPod, { force: false })).toEqual({ ok: true, applied: false, attempts: 0 });
    expect(await a.apply(withPod, { force: true })).toMatchObject({ ok: true, applied: true, script: { kind: 'replace' } });
  });

  it('a refused transaction and a missing br_netfilter are failures with their cause, not exceptions', async () => {
    const refusing: NftRunner = { ...kernel(), apply: async () => {
      throw new Error('nft -f - failed (exit 1): Error: Could not process rule');
    } };
    const a = new SyncerApplier({ runner: refusing, table: 'nftpol', bridge: false, sleep: async () => {} });
    expect(await a.apply(ir, { force: false })).toMatchObject({ ok: false, cause: 'nft', error: expect.stringContaining('Could not process rule') });
    const noBridge: SysctlAccess = { read: async () => undefined, write: async () => {}, loadModule: async () => {
      throw new Error('modprobe: FATAL: Module br_netfilter not found');
    } };
    const b = new SyncerApplier({ runner: kernel(), table: 'nftpol', bridge: noBridge });
    expect(await b.apply(ir, { force: false })).toMatchObject({ ok: false, cause: 'bridge_netfilter', error: expect.stringContaining('br_netfilter is not loaded') });
  });

  it('normalizeListing blanks counter values only', () => {
    expect(normalizeListing('ip saddr 10.0.0.1 counter packets 5 bytes 300 accept comment "x packets 1"  \n')).toBe('ip saddr 10.0.0.1 counter accept comment "x packets 1"\n');
  });
});
