import { describe, expect, it } from 'vitest';
import { SyncerApplier } from '../../src/agent/applier.ts';
import { normalizeJsonListing } from '../../src/agent/table-shape.ts';
import { tableObjects } from '../../src/nft/render-delta.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import type { SysctlAccess } from '../../src/dataplane/bridge-netfilter.ts';
import { NftError, type NftRunner } from '../../src/dataplane/nft-runner.ts';

const ir: NodeIR = { node: 'n1', podCidrs: ['10.244.1.0/24'], pods: [], policyChains: [], sets: [] };

type Item = Record<string, Record<string, unknown>>;

/**
 * A kernel of one table: an apply makes it list (as `nft -j list table`
 * would) the objects of the IR applied last; the test changes that listing
 * behind the applier's back.
 */
function kernel(): NftRunner & { items: Item[] | undefined; applies: number; lastIR: NodeIR } {
  const k = {
    items: undefined as Item[] | undefined,
    applies: 0,
    lastIR: ir,
    apply: async () => {
      k.applies++;
      const t = tableObjects(k.lastIR);
      k.items = [
        { table: { family: 'inet', name: 'nftpol', handle: 1 } },
        ...t.sets.map((s, i): Item => ({ [s.kind]: { name: s.name, handle: 10 + i, ...(s.head.includes('flags interval') && { flags: ['interval'] }), ...(s.elements.length > 0 && { elem: s.elements.map((e) => e.key) }) } })),
        ...t.chains.flatMap((c, i): Item[] => [{ chain: { name: c.name, handle: 100 + i } }, ...c.rules.map((r, j): Item => ({ rule: { chain: c.name, handle: 1000 + 10 * i + j, expr: [{ counter: { packets: 0, bytes: 0 } }, { text: r.text }] } }))]),
      ];
    },
    check: async () => {},
    read: async () => {
      if (k.items === undefined) throw new NftError('nft list table failed (exit 1)', 'Error: No such file or directory');
      return JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...k.items] });
    },
  };
  return k;
}

const withPod: NodeIR = { ...ir, pods: [{ pod: 'x/p0', ips: ['10.244.1.2'], ingress: { isolated: true, chain: 'pod-in/x/p0', policyChains: [] }, egress: { isolated: false } }] };

describe('SyncerApplier', () => {
  it('counters moving and handles renumbered are not drift; a rule changed by hand or the table deleted is', async () => {
    const k = kernel();
    const a = new SyncerApplier({ runner: k, table: 'nftpol', bridge: false });
    expect(await a.apply(ir, { force: false })).toMatchObject({ ok: true, applied: true, attempts: 1, script: { kind: 'replace' } });
    expect(await a.inSync()).toBe(true);
    const rule = (): Record<string, unknown> => (k.items as Item[]).find((i) => i.rule !== undefined)?.rule as Record<string, unknown>;
    rule().expr = [{ counter: { packets: 12, bytes: 3456 } }, ...(rule().expr as unknown[]).slice(1)];
    rule().handle = 4242;
    expect(await a.inSync()).toBe(true);
    rule().expr = [...(rule().expr as unknown[]), { accept: null }];
    expect(await a.inSync()).toBe(false);
    k.items = undefined;
    expect(await a.inSync()).toBe(false);
    expect(await a.apply(ir, { force: false })).toMatchObject({ ok: true, applied: false });
    expect(await a.apply(ir, { force: true })).toMatchObject({ ok: true, applied: true });
    expect(await a.inSync()).toBe(true);
    expect(k.applies).toBe(2);
  });

  it('a table changed before its reference listing was taken is drift, not the new reference', async () => {
    for (const spoil of ['flush a chain', 'delete a set', 'delete an element', 'add a chain'] as const) {
      const k = kernel();
      const a = new SyncerApplier({ runner: k, table: 'nftpol', bridge: false });
      k.lastIR = withPod;
      await a.apply(withPod, { force: false });
      const items = k.items as Item[];
      if (spoil === 'flush a chain') k.items = items.filter((i) => (i.rule?.chain as string | undefined) !== 'pod-in/x/p0');
      if (spoil === 'delete a set') k.items = items.filter((i) => i.map?.name !== 'ingress-v4');
      if (spoil === 'delete an element') (items.find((i) => i.map?.name === 'ingress-v4')?.map as Record<string, unknown>).elem = [];
      if (spoil === 'add a chain') items.push({ chain: { name: 'not-ours', handle: 9 } });
      // The first reconcile after the apply takes the reference: it must not adopt the spoiled table.
      expect(await a.inSync(), spoil).toBe(false);
      expect(await a.inSync(), spoil).toBe(false);
      await a.apply(withPod, { force: true });
      expect(await a.inSync(), spoil).toBe(true);
    }
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
    const openPod: NodeIR = { ...ir, pods: [{ pod: 'x/p0', ips: ['10.244.1.2'], ingress: { isolated: false }, egress: { isolated: false } }] };
    const first = await a.apply(ir, { force: false });
    expect(first).toMatchObject({ ok: true, applied: true, script: { kind: 'replace', bytes: scripts[0]?.length } });
    const second = await a.apply(openPod, { force: false });
    expect(second).toMatchObject({ ok: true, applied: true, script: { kind: 'delta', bytes: scripts[1]?.length } });
    expect(scripts[1]).toMatch(/^add element inet nftpol /);
    expect(await a.apply(openPod, { force: false })).toEqual({ ok: true, applied: false, attempts: 0 });
    expect(await a.apply(openPod, { force: true })).toMatchObject({ ok: true, applied: true, script: { kind: 'replace' } });
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

  it('normalizeJsonListing blanks counter values and handles only', () => {
    expect(normalizeJsonListing('{"rule":{"handle":7,"expr":[{"counter":{"packets":5,"bytes":300}},{"comment":"packets 1"}]}}'))
      .toBe('{"rule":{"expr":[{"counter":{"packets":0,"bytes":0}},{"comment":"packets 1"}]}}');
  });
});
