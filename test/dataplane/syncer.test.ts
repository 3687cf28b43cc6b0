import { describe, expect, it } from 'vitest';
import type { NodeIR } from '../../src/compile/ir.ts';
import type { NftRunner } from '../../src/dataplane/nft-runner.ts';
import { Syncer } from '../../src/dataplane/syncer.ts';

const ir = (node: string): NodeIR => ({ node, podCidrs: ['10.244.1.0/24'], pods: [], policyChains: [], sets: [] });

function fakeRunner(failures: number): NftRunner & { scripts: string[] } {
  let left = failures;
  const scripts: string[] = [];
  return {
    scripts,
    apply: async (s) => {
      if (left-- > 0) throw new Error('Error: Could not process rule: Device or resource busy');
      scripts.push(s);
    },
    check: async () => {},
    read: async () => '',
  };
}

describe('Syncer', () => {
  it('applies one replace transaction per change and skips an unchanged IR', async () => {
    const runner = fakeRunner(0);
    const syncer = new Syncer({ runner, sleep: async () => {}, bridge: false });
    expect((await syncer.sync(ir('n1'))).applied).toBe(true);
    expect((await syncer.sync(ir('n1'))).applied).toBe(false);
    expect((await syncer.sync(ir('n2'))).applied).toBe(true);
    expect(runner.scripts).toHaveLength(2);
    expect(runner.scripts[0]).toMatch(/^add table inet nftpol\ndelete table inet nftpol\ntable inet nftpol \{/);
  });

  it('retries a failed transaction with doubling backoff', async () => {
    const runner = fakeRunner(2);
    const waits: number[] = [];
    const syncer = new Syncer({ runner, backoffMs: 50, sleep: async (ms) => void waits.push(ms), bridge: false });
    const res = await syncer.sync(ir('n1'));
    expect(res).toMatchObject({ applied: true, attempts: 3 });
    expect(waits).toEqual([50, 100]);
  });

  it('gives up after the attempt limit, reports the error, and tries again on the next sync', async () => {
    const runner = fakeRunner(10);
    const syncer = new Syncer({ runner, attempts: 3, sleep: async () => {}, bridge: false });
    const res = await syncer.sync(ir('n1'));
    expect(res.applied).toBe(false);
    expect(res.error).toMatch(/resource busy/);
    expect((await syncer.sync(ir('n1'))).attempts).toBe(3);
    expect(runner.scripts).toHaveLength(0);
  });

  it('uses the configured table name and removes it on uninstall', async () => {
    const runner = fakeRunner(0);
    const syncer = new Syncer({ runner, table: { family: 'inet', name: 'np-test' }, bridge: false });
    await syncer.sync(ir('n1'));
    await syncer.remove();
    expect(runner.scripts[0]).toContain('table inet np-test {');
    expect(runner.scripts[1]).toBe('add table inet np-test\ndelete table inet np-test\n');
  });

  it('checks br_netfilter before the first sync and refuses to sync when bridged traffic would bypass the rules', async () => {
    const runner = fakeRunner(0);
    const off = { read: async () => '0', write: async () => { throw new Error('read-only'); }, loadModule: async () => {} };
    const syncer = new Syncer({ runner, bridge: off });
    await expect(syncer.sync(ir('n1'))).rejects.toThrow(/bridge-nf-call-iptables is 0/);
    expect(runner.scripts).toHaveLength(0);
    let reads = 0;
    const on = { read: async () => (reads++, '1'), write: async () => {}, loadModule: async () => {} };
    const ok = new Syncer({ runner, bridge: on });
    await ok.sync(ir('n1'));
    await ok.sync(ir('n2'));
    expect(reads).toBe(3); // checked once, on the first sync
    expect(runner.scripts).toHaveLength(2);
  });

  describe('with deltas', () => {
    // A node with one open pod, then a second one: its address joins both dispatch maps.
    const withPods = (...ips: string[]): NodeIR => ({
      ...ir('n1'), pods: ips.map((ip, i) => ({ pod: `x/p${i}`, ips: [ip], ingress: { isolated: false }, egress: { isolated: false } })),
    });

    it('replaces the table first, then applies only the change; an unchanged IR writes nothing', async () => {
      const runner = fakeRunner(0);
      const syncer = new Syncer({ runner, deltas: true, sleep: async () => {}, bridge: false });
      expect(await syncer.sync(withPods('10.244.1.2'))).toMatchObject({ applied: true, script: 'replace' });
      expect(await syncer.sync(withPods('10.244.1.2', '10.244.1.3'))).toMatchObject({ applied: true, script: 'delta' });
      expect(await syncer.sync(withPods('10.244.1.2', '10.244.1.3'))).toMatchObject({ applied: false, attempts: 0 });
      expect(runner.scripts[1]).toBe('add element inet nftpol egress-v4 { 10.244.1.3 : accept }\nadd element inet nftpol ingress-v4 { 10.244.1.3 : accept }\n');
      expect(await syncer.sync(withPods('10.244.1.2', '10.244.1.3'), { force: true })).toMatchObject({ applied: true, script: 'replace' });
    });

    it('a refused delta is followed by the whole replace, which repairs the table', async () => {
      const runner = fakeRunner(0);
      const syncer = new Syncer({ runner, deltas: true, sleep: async () => {}, bridge: false });
      await syncer.sync(withPods('10.244.1.2'));
      let refuse = 1;
      const apply = runner.apply;
      runner.apply = async (s) => {
        if (refuse-- > 0) throw new Error('Error: Could not process rule: No such file or directory');
        await apply(s);
      };
      expect(await syncer.sync(withPods('10.244.1.3'))).toMatchObject({ applied: true, attempts: 2, script: 'replace' });
      expect(runner.scripts[1]).toMatch(/^add table inet nftpol\ndelete table inet nftpol\n/);
    });

    it('after a sync that gave up, the next one replaces the table', async () => {
      const runner = fakeRunner(0);
      const syncer = new Syncer({ runner, deltas: true, attempts: 2, sleep: async () => {}, bridge: false });
      await syncer.sync(withPods('10.244.1.2'));
      const apply = runner.apply;
      runner.apply = async () => { throw new Error('refused'); };
      expect((await syncer.sync(withPods('10.244.1.3'))).applied).toBe(false);
      runner.apply = apply;
      expect(await syncer.sync(withPods('10.244.1.4'))).toMatchObject({ applied: true, script: 'replace' });
    });
  });
});
