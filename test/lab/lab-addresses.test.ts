// The lab with pods at any address (PolicyTests give every pod 10.244.0.x whatever its
// node, or explicit addresses in any range): nodes without pod CIDRs, pods outside their
// node's CIDR, IPv6 in unrelated prefixes, node addresses. Same-node pods must still talk
// over the bridge (their neighbour entries hold each other's MACs; forward sees cni0 ->
// cni0), remote pods through the node (proxy ARP / proxy NDP: the node's MAC) and flannel.

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildWorld, cleanupOrphans, describeFlow, listNetns, type Flow, type ProbeResult, type World, type WorldSpec } from '../../src/lab/index.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ports = [80];
const spec: WorldSpec = {
  nodes: [
    // n1 has a pod CIDR, but its pods hold addresses outside it; n2 has none.
    { name: 'n1', podCIDRs: ['10.244.1.0/24'], addresses: ['192.0.2.1', '2001:db8:f::1'], tcpPorts: [9000] },
    { name: 'n2', addresses: ['192.0.2.2'], tcpPorts: [9000] },
  ],
  pods: [
    { id: 'x/a', node: 'n1', ips: ['10.244.0.1', '2001:db8:aa::1'], tcpPorts: ports, udpPorts: ports },
    { id: 'x/b', node: 'n1', ips: ['10.244.0.2', 'fd12::2'], tcpPorts: ports, udpPorts: ports },
    { id: 'y/a', node: 'n2', ips: ['10.244.0.3', '2001:db8:bb::3'], tcpPorts: ports, udpPorts: ports },
    { id: 'y/b', node: 'n2', ips: ['172.16.5.4'], tcpPorts: ports, udpPorts: ports },
    // Inside n1's pod CIDR, but on n2.
    { id: 'z/a', node: 'n2', ips: ['10.244.1.50'], tcpPorts: ports, udpPorts: ports },
  ],
  outsideHosts: [
    // Inside n1's pod CIDR, hanging off n2.
    { id: 'ext', via: 'n2', ips: ['10.244.1.99', '2001:db8:100::1'], tcpPorts: ports, udpPorts: ports },
  ],
};

const wrong = (rs: ProbeResult[]): string[] => rs.filter((r) => r.verdict !== 'allow').map((r) => `${describeFlow(r)}: ${r.verdict} (${r.reason})`);

/** Packet counts of the rules carrying `comment "..."`, by comment. */
async function counters(world: World, node: string): Promise<Record<string, number>> {
  const out = (await world.inNode(node, ['nft', '-j', 'list', 'table', 'inet', 'paths'])).stdout;
  const result: Record<string, number> = {};
  for (const item of (JSON.parse(out) as { nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[] }).nftables) {
    const r = item.rule;
    if (r?.comment === undefined) continue;
    result[r.comment] = (result[r.comment] ?? 0) + (r.expr.find((e) => e.counter !== undefined)?.counter?.packets ?? 0);
  }
  return result;
}

async function mac(world: World, id: string, dev: string): Promise<string> {
  const out = (await world.inEndpoint(id, ['ip', '-j', 'link', 'show', dev])).stdout;
  return (JSON.parse(out) as { address: string }[])[0]?.address ?? '';
}

async function neighbour(world: World, id: string, ip: string): Promise<string | undefined> {
  const out = (await world.inEndpoint(id, ['ip', '-j', 'neigh', 'show', ip])).stdout;
  return (JSON.parse(out) as { lladdr?: string }[])[0]?.lladdr;
}

await describeKernel('kernel lab: pods at any address', () => {
  let world: World;
  const tables = new Set<string>();
  beforeAll(async () => {
    await cleanupOrphans();
    world = await buildWorld(spec);
  });
  afterEach(async () => {
    for (const n of tables) await world.inNode(n, ['nft', 'delete', 'table', 'inet', 'paths']);
    tables.clear();
  });
  afterAll(async () => {
    const prefix = world?.prefix;
    await world?.destroy();
    if (prefix !== undefined) expect((await listNetns()).filter((n) => n.startsWith(prefix))).toEqual([]);
  });

  it('lets every flow through, in both families, answered by the owner', async () => {
    const flows = world.flows();
    expect(flows.some((f) => f.from === 'x/a' && f.to === '2001:db8:bb::3')).toBe(true);
    const results = await world.probeAll(flows);
    expect(wrong(results)).toEqual([]);
    for (const r of results) expect(r.reply).toBe(r.target);
  });

  it('node addresses: reachable from pods on either node, and probes can be sent from them', async () => {
    const flows: Flow[] = [
      { from: 'x/a', to: '192.0.2.1', protocol: 'TCP', port: 9000 },
      { from: 'y/a', to: '192.0.2.1', protocol: 'TCP', port: 9000 },
      { from: 'x/a', to: '2001:db8:f::1', protocol: 'TCP', port: 9000 },
      { from: 'x/b', to: '192.0.2.2', protocol: 'TCP', port: 9000 },
      { from: 'n1', source: '192.0.2.1', to: '10.244.0.3', protocol: 'TCP', port: 80 },
      { from: 'n2', source: '192.0.2.2', to: '10.244.0.1', protocol: 'UDP', port: 80 },
      { from: 'n1', source: '2001:db8:f::1', to: '2001:db8:bb::3', protocol: 'TCP', port: 80 },
    ];
    expect(wrong(await world.probeAll(flows))).toEqual([]);
    await expect(world.probe({ from: 'n1', source: '192.0.2.2', to: '10.244.0.3', protocol: 'TCP', port: 80 })).rejects.toThrow(/not an address of n1/);
  });

  it('same-node pods talk over the bridge (their own MACs), remote ones through the node (its MAC)', async () => {
    await world.probeAll([
      { from: 'x/a', to: '10.244.0.2', protocol: 'TCP', port: 80 },
      { from: 'x/a', to: 'fd12::2', protocol: 'TCP', port: 80 },
      { from: 'x/a', to: '10.244.0.3', protocol: 'TCP', port: 80 },
      { from: 'x/a', to: '2001:db8:bb::3', protocol: 'TCP', port: 80 },
    ]);
    const b = await mac(world, 'x/b', 'eth0');
    const cni0 = (await world.inNode('n1', ['ip', '-j', 'link', 'show', 'cni0'])).stdout;
    const gw = (JSON.parse(cni0) as { address: string }[])[0]?.address;
    expect(await neighbour(world, 'x/a', '10.244.0.2')).toBe(b);
    expect(await neighbour(world, 'x/a', 'fd12::2')).toBe(b);
    expect(await neighbour(world, 'x/a', '10.244.0.3')).toBe(gw);
    expect(await neighbour(world, 'x/a', '2001:db8:bb::3')).toBe(gw);
  });

  it('forward sees same-node traffic as cni0 -> cni0 and cross-node traffic leave by the vxlan', async () => {
    const rule = (m: string, name: string): string => `meta l4proto tcp ${m} counter comment "${name}"`;
    const table = (rules: string[]): string =>
      `table inet paths {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`;
    tables.add('n1');
    tables.add('n2');
    await world.inNode('n1', ['nft', '-f', '-'], {
      input: table([
        rule('ip saddr 10.244.0.1 ip daddr 10.244.0.2 iifname "cni0" oifname "cni0"', 'bridged-v4'),
        rule('ip6 saddr 2001:db8:aa::1 ip6 daddr fd12::2 iifname "cni0" oifname "cni0"', 'bridged-v6'),
        rule('ip saddr 10.244.0.1 ip daddr 10.244.1.50 iifname "cni0" oifname "flannel.1"', 'out-v4'),
        rule('ip6 saddr 2001:db8:aa::1 ip6 daddr 2001:db8:bb::3 iifname "cni0" oifname "flannel-v6.1"', 'out-v6'),
      ]),
    });
    await world.inNode('n2', ['nft', '-f', '-'], {
      input: table([
        rule('ip saddr 10.244.0.1 ip daddr 10.244.1.50 iifname "flannel.1" oifname "cni0"', 'in-v4'),
        rule('ip saddr 10.244.1.99 ip daddr 10.244.0.2 iifname "out0" oifname "flannel.1"', 'ext-v4'),
      ]),
    });
    const flows: Flow[] = [
      { from: 'x/a', to: '10.244.0.2', protocol: 'TCP', port: 80 },
      { from: 'x/a', to: 'fd12::2', protocol: 'TCP', port: 80 },
      { from: 'x/a', to: '10.244.1.50', protocol: 'TCP', port: 80 },
      { from: 'x/a', to: '2001:db8:bb::3', protocol: 'TCP', port: 80 },
      { from: 'ext', to: '10.244.0.2', protocol: 'TCP', port: 80 },
    ];
    expect(wrong(await world.probeAll(flows))).toEqual([]);
    const c1 = await counters(world, 'n1');
    const c2 = await counters(world, 'n2');
    for (const k of ['bridged-v4', 'bridged-v6', 'out-v4', 'out-v6']) expect(c1[k], k).toBeGreaterThan(0);
    for (const k of ['in-v4', 'ext-v4']) expect(c2[k], k).toBeGreaterThan(0);
  });
});
