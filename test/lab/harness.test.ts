// The harness itself: a 2-node canal world (4 dual-stack pods, 1 outside host) where every
// flow gets through without nft, and one nft table denies exactly the pair it names.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../../src/lab/commands.ts';
import {
  buildWorld,
  cleanupOrphans,
  cleanupStale,
  describeFlow,
  listNetns,
  type ProbeResult,
  type World,
  type WorldSpec,
} from '../../src/lab/index.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ports = [80, 81];
const spec: WorldSpec = {
  nodes: [
    { name: 'n1', podCIDR: '10.244.1.0/24', podCIDRv6: 'fd00:10:244:1::/64' },
    { name: 'n2', podCIDR: '10.244.2.0/24', podCIDRv6: 'fd00:10:244:2::/64' },
  ],
  pods: [
    { id: 'x/a', node: 'n1', ips: ['10.244.1.10', 'fd00:10:244:1::10'], tcpPorts: ports, udpPorts: ports },
    { id: 'x/b', node: 'n1', ips: ['10.244.1.11', 'fd00:10:244:1::11'], tcpPorts: ports, udpPorts: ports },
    { id: 'y/a', node: 'n2', ips: ['10.244.2.10', 'fd00:10:244:2::10'], tcpPorts: ports, udpPorts: ports },
    { id: 'y/b', node: 'n2', ips: ['10.244.2.11', 'fd00:10:244:2::11'], tcpPorts: ports, udpPorts: ports },
  ],
  outsideHosts: [{ id: 'ext', via: 'n1', ips: ['203.0.113.10', '2001:db8::10'], tcpPorts: [80], udpPorts: [80] }],
};

const wrong = (results: ProbeResult[], expected: (r: ProbeResult) => 'allow' | 'deny'): string[] =>
  results.filter((r) => r.verdict !== expected(r)).map((r) => `${describeFlow(r)}: ${r.verdict} (${r.reason}), expected ${expected(r)}`);

await describeKernel('kernel harness', () => {
  let world: World;

  beforeAll(async () => {
    await cleanupOrphans();
    world = await buildWorld(spec);
  });

  afterAll(async () => {
    const prefix = world?.prefix;
    await world?.destroy();
    if (prefix !== undefined) expect((await listNetns()).filter((n) => n.startsWith(prefix))).toEqual([]);
  });

  it('lets every flow through when no nft table exists', async () => {
    const flows = world.flows();
    const kinds = new Set(flows.map((f) => `${f.protocol} ${f.to.includes(':') ? 'v6' : 'v4'}`));
    expect(kinds).toEqual(new Set(['TCP v4', 'TCP v6', 'UDP v4', 'UDP v6']));
    expect(flows.some((f) => f.from === 'ext')).toBe(true);
    expect(flows.some((f) => f.from === 'x/a' && f.to === '10.244.2.10')).toBe(true); // over vxlan
    expect(flows.length).toBe(144);
    const results = await world.probeAll(flows);
    expect(wrong(results, () => 'allow')).toEqual([]);
    // Every answer came from the endpoint owning the address (probe checks it too).
    for (const r of results) expect(r.reply).toBe(r.target);
  });

  it('denies exactly the pair an nft table drops, in both families and directions', async () => {
    // x/a (n1) <-> y/a (n2): a cross-node pair, dropped in n2's forward hook.
    await world.inNode('n2', ['nft', '-f', '-'], {
      input: `table inet harness_test {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip saddr 10.244.1.10 ip daddr 10.244.2.10 drop
    ip saddr 10.244.2.10 ip daddr 10.244.1.10 drop
    ip6 saddr fd00:10:244:1::10 ip6 daddr fd00:10:244:2::10 drop
    ip6 saddr fd00:10:244:2::10 ip6 daddr fd00:10:244:1::10 drop
  }
}
`,
    });
    try {
      const pair = new Set(['x/a', 'y/a']);
      const results = await world.probeAll(world.flows());
      const expected = (r: ProbeResult): 'allow' | 'deny' => (pair.has(r.from) && pair.has(r.target) ? 'deny' : 'allow');
      expect(wrong(results, expected)).toEqual([]);
      expect(results.filter((r) => r.verdict === 'deny').length).toBe(16);
    } finally {
      await world.inNode('n2', ['nft', 'delete', 'table', 'inet', 'harness_test']);
    }
    expect(await world.probe({ from: 'x/a', to: '10.244.2.10', protocol: 'TCP', port: 80 })).toBe('allow');
  });

  it('refuses probes that could not mean anything', async () => {
    await expect(world.probe({ from: 'x/a', to: '10.244.2.10', protocol: 'TCP', port: 82 })).rejects.toThrow(/does not serve TCP\/82/);
    await expect(world.probe({ from: 'x/a', to: '10.244.9.9', protocol: 'UDP', port: 80 })).rejects.toThrow(/belongs to no endpoint/);
    await expect(world.probe({ from: 'nobody', to: '10.244.2.10', protocol: 'TCP', port: 80 })).rejects.toThrow(/no node, pod or outside host/);
  });

  it('removes everything when its process gets SIGTERM or SIGKILL; cleanupOrphans and cleanupStale sweep leftovers', async () => {
    const script = fileURLToPath(new URL('./fixtures/hold-world.ts', import.meta.url));
    const start = async (): Promise<{ prefix: string; child: ReturnType<typeof spawn> }> => {
      const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`hold-world exited early (${code})`)));
      });
      return { prefix: (JSON.parse(line) as { prefix: string }).prefix, child };
    };
    const kill = async (c: ReturnType<typeof spawn>, signal: NodeJS.Signals): Promise<void> => {
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill(signal);
      await gone;
    };
    const ours = async (prefix: string): Promise<string[]> => (await listNetns()).filter((n) => n.startsWith(prefix));
    const eventually = async (prefix: string): Promise<string[]> => {
      for (let i = 0; i < 50 && (await ours(prefix)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      return ours(prefix);
    };

    // SIGTERM: the signal handler deletes everything before the process ends.
    const a = await start();
    expect(await ours(a.prefix)).toHaveLength(3);
    await kill(a.child, 'SIGTERM');
    expect(await ours(a.prefix)).toEqual([]);

    // SIGKILL: no handler runs; the run's guardian process deletes everything.
    const b = await start();
    expect(await ours(b.prefix)).toHaveLength(3);
    await kill(b.child, 'SIGKILL');
    expect(await eventually(b.prefix)).toEqual([]);

    // Leftovers: named as if by the dead process b, and by this (live) one.
    const deadPrefix = `np${b.child.pid}r0000-`;
    const livePrefix = `np${process.pid}r0000-`;
    for (const n of [`${deadPrefix}x`, `${livePrefix}x`]) await run(['ip', 'netns', 'add', n]);
    expect(await cleanupOrphans()).toContain(`${deadPrefix}x`);
    expect(await ours(livePrefix)).toEqual([`${livePrefix}x`]);
    expect(await cleanupStale(livePrefix)).toEqual([`${livePrefix}x`]);
    expect(await ours(livePrefix)).toEqual([]);
  });
});
