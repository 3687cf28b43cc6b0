// Facts about the canal dataplane the nft design rests on, checked on the running kernel
// (see README.md): which hooks of an `inet` table in the node netns see which pod traffic,
// with which interface names, and whether conntrack state is there.

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildWorld, cleanupOrphans, describeFlow, listNetns, type Flow, type ProbeResult, type World, type WorldSpec } from '../../src/lab/index.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ports = [80];
const spec: WorldSpec = {
  nodes: [
    { name: 'n1', podCIDR: '10.244.1.0/24', podCIDRv6: 'fd00:10:244:1::/64', tcpPorts: [9000], udpPorts: [9000] },
    { name: 'n2', podCIDR: '10.244.2.0/24', podCIDRv6: 'fd00:10:244:2::/64' },
  ],
  pods: [
    { id: 'x/a', node: 'n1', ips: ['10.244.1.10', 'fd00:10:244:1::10'], tcpPorts: ports, udpPorts: ports },
    { id: 'x/b', node: 'n1', ips: ['10.244.1.11', 'fd00:10:244:1::11'], tcpPorts: ports, udpPorts: ports },
    { id: 'y/a', node: 'n2', ips: ['10.244.2.10', 'fd00:10:244:2::10'], tcpPorts: ports, udpPorts: ports },
  ],
  outsideHosts: [{ id: 'ext', via: 'n1', ips: ['203.0.113.10', '2001:db8::10'], tcpPorts: [80], udpPorts: [80] }],
};
const A = { v4: '10.244.1.10', v6: 'fd00:10:244:1::10' }; // x/a on n1
const B = { v4: '10.244.1.11', v6: 'fd00:10:244:1::11' }; // x/b on n1
const C = { v4: '10.244.2.10', v6: 'fd00:10:244:2::10' }; // y/a on n2

/** Probe traffic only: neighbour discovery (ICMPv6 between the same addresses) would add to counters. */
const L4 = 'meta l4proto { tcp, udp }';

/** `ip saddr X ip daddr Y <rest>` and its ip6 twin. */
const both = (src: { v4: string; v6: string } | undefined, dst: { v4: string; v6: string } | undefined, rest: string): string[] => [
  [src ? `ip saddr ${src.v4}` : '', dst ? `ip daddr ${dst.v4}` : '', rest].filter(Boolean).join(' '),
  [src ? `ip6 saddr ${src.v6}` : '', dst ? `ip6 daddr ${dst.v6}` : '', rest].filter(Boolean).join(' '),
];

function table(chains: Record<string, string[]>): string {
  const body = Object.entries(chains)
    .map(([hook, rules]) => `  chain ${hook} {\n    type filter hook ${hook} priority 0; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`)
    .join('');
  return `table inet facts {\n${body}}\n`;
}

interface NftRule {
  rule?: { chain: string; comment?: string; expr: { counter?: { packets: number } }[] };
}

/** Packet counts of the rules carrying `comment "..."`, by comment. */
async function counters(world: World, node: string): Promise<Record<string, number>> {
  const out = (await world.inNode(node, ['nft', '-j', 'list', 'table', 'inet', 'facts'])).stdout;
  const result: Record<string, number> = {};
  for (const item of (JSON.parse(out) as { nftables: NftRule[] }).nftables) {
    const r = item.rule;
    if (r?.comment === undefined) continue;
    const c = r.expr.find((e) => e.counter !== undefined)?.counter;
    result[r.comment] = (result[r.comment] ?? 0) + (c?.packets ?? 0);
  }
  return result;
}

const verdicts = (rs: ProbeResult[]): string[] => rs.map((r) => `${describeFlow(r)}: ${r.verdict}`);
const all = (rs: ProbeResult[], v: 'allow' | 'deny'): string[] => verdicts(rs.filter((r) => r.verdict !== v));

await describeKernel('canal dataplane facts', () => {
  let world: World;
  const nodesWithTable = new Set<string>();
  const apply = async (node: string, text: string): Promise<void> => {
    nodesWithTable.add(node);
    await world.inNode(node, ['nft', '-f', '-'], { input: text });
  };
  const flows = (from: string, to: string): Flow[] => world.flows({ from: [from], to: [to] });

  beforeAll(async () => {
    await cleanupOrphans();
    world = await buildWorld(spec);
  });
  afterEach(async () => {
    for (const n of nodesWithTable) await world.inNode(n, ['nft', 'delete', 'table', 'inet', 'facts']);
    nodesWithTable.clear();
  });
  afterAll(async () => {
    const prefix = world?.prefix;
    await world?.destroy();
    if (prefix !== undefined) expect((await listNetns()).filter((n) => n.startsWith(prefix))).toEqual([]);
  });

  it('(1) bridged pod-to-pod traffic on one node traverses the inet forward hook, seen as cni0 -> cni0', async () => {
    await apply(
      'n1',
      table({
        prerouting: [`iifname "cni0" ${both(A, B, `${L4} counter comment "pre"`)[0]}`],
        forward: [
          ...both(A, B, `${L4} iifname "cni0" oifname "cni0" counter comment "fwd-bridged"`),
          ...both(A, B, 'drop'),
        ],
        input: [...both(A, B, `${L4} counter comment "input"`)],
        postrouting: [`oifname "cni0" ${both(A, B, `${L4} counter comment "post"`)[0]}`],
      }),
    );
    const ab = await world.probeAll(flows('x/a', 'x/b'));
    expect(ab).toHaveLength(4);
    expect(all(ab, 'deny')).toEqual([]);
    // Other flows of x/a (cross-node, outside) and x/b are untouched.
    expect(all(await world.probeAll([...flows('x/a', 'y/a'), ...flows('x/b', 'y/a'), ...flows('ext', 'x/b')]), 'allow')).toEqual([]);
    const c = await counters(world, 'n1');
    expect(c['fwd-bridged']).toBeGreaterThan(0);
    expect(c.pre).toBeGreaterThan(0);
    expect(c.input).toBe(0);
    // Dropped in forward, so never reaches postrouting.
    expect(c.post).toBe(0);
  });

  it('(2) traffic from another node arrives on flannel.1 and traverses forward on both nodes', async () => {
    await apply('n2', table({ forward: [...both(C, B, `${L4} iifname "cni0" oifname "flannel.1" counter comment "src-node"`)] }));
    await apply(
      'n1',
      table({
        forward: [...both(C, B, `${L4} iifname "flannel.1" oifname "cni0" counter comment "dst-node"`), ...both(C, B, 'drop')],
      }),
    );
    const cb = await world.probeAll(flows('y/a', 'x/b'));
    expect(all(cb, 'deny')).toEqual([]);
    expect(all(await world.probeAll(flows('y/a', 'x/a')), 'allow')).toEqual([]);
    expect((await counters(world, 'n2'))['src-node']).toBeGreaterThan(0);
    expect((await counters(world, 'n1'))['dst-node']).toBeGreaterThan(0);
  });

  it('(2b) an outside host reaches pods through its node: forward, in on the uplink', async () => {
    await apply('n1', table({ forward: [`ip saddr 203.0.113.10 iifname "out0" oifname "cni0" counter comment "ext-in"`, `ip6 saddr 2001:db8::10 iifname "out0" oifname "cni0" counter comment "ext-in"`] }));
    expect(all(await world.probeAll(flows('ext', 'x/a')), 'allow')).toEqual([]);
    expect((await counters(world, 'n1'))['ext-in']).toBeGreaterThan(0);
  });

  it('(3) node -> pod goes through output (not forward); pod -> node through input (not forward)', async () => {
    await apply(
      'n1',
      table({
        output: [...both(undefined, B, `${L4} counter comment "out"`), ...both(undefined, B, 'drop')],
        input: [...both(A, undefined, `${L4} counter comment "in"`), ...both(A, undefined, 'drop')],
        forward: [...both(undefined, B, `${L4} counter comment "fwd-to-b"`), ...both(A, undefined, `${L4} counter comment "fwd-from-a"`)],
      }),
    );
    // n1 -> x/b (its two addresses, TCP and UDP) and x/a -> n1's cni0 addresses (the gateways).
    const nodeToPod = world.flows({ from: ['n1'], to: ['x/b'] });
    const podToNode: Flow[] = ['10.244.1.1', 'fd00:10:244:1::1'].flatMap((to) => (['TCP', 'UDP'] as const).map((protocol) => ({ from: 'x/a', to, protocol, port: 9000 })));
    expect(nodeToPod).toHaveLength(4);
    expect(all(await world.probeAll([...nodeToPod, ...podToNode]), 'deny')).toEqual([]);
    const c = await counters(world, 'n1');
    expect(c.out).toBeGreaterThan(0);
    expect(c.in).toBeGreaterThan(0);
    expect(c['fwd-to-b']).toBe(0);
    expect(c['fwd-from-a']).toBe(0);
    // Control: the node still reaches a pod the rules do not name (over vxlan, replies via input).
    expect(all(await world.probeAll(world.flows({ from: ['n1'], to: ['y/a'] })), 'allow')).toEqual([]);
  });

  it('(4) conntrack state is there on the bridged and the vxlan path: replies are established', async () => {
    await apply(
      'n1',
      table({
        forward: [
          'ct state established,related counter accept comment "est"',
          // Deny new connections *to* x/a; x/a's own connections must still work.
          ...both(undefined, A, 'ct state new drop'),
        ],
      }),
    );
    const out = await world.probeAll([...flows('x/a', 'x/b'), ...flows('x/a', 'y/a')]);
    expect(all(out, 'allow')).toEqual([]);
    const into = await world.probeAll([...flows('x/b', 'x/a'), ...flows('y/a', 'x/a')]);
    expect(all(into, 'deny')).toEqual([]);
    expect((await counters(world, 'n1')).est).toBeGreaterThan(0);
  });

  it('(5) reject works on the bridged path: TCP reset and ICMP unreachable, both families', async () => {
    await apply('n1', table({ forward: [...both(A, B, 'meta l4proto tcp reject with tcp reset'), ...both(A, B, 'reject')] }));
    const rs = await world.probeAll(flows('x/a', 'x/b'));
    expect(all(rs, 'deny')).toEqual([]);
    expect(rs.map((r) => r.reason)).toEqual(rs.map(() => 'ECONNREFUSED'));
  });
  it('(6) bridged IPv6 neighbour discovery traverses forward too: a default-drop chain must let it through', async () => {
    const flushNeighbours = async (): Promise<void> => {
      for (const pod of ['x/a', 'x/b']) await world.inEndpoint(pod, ['ip', 'neigh', 'flush', 'all']);
    };
    const rules = [
      'ct state established,related accept',
      `ip saddr ${A.v4} ip daddr ${B.v4} tcp dport 80 accept`,
      `ip6 saddr ${A.v6} ip6 daddr ${B.v6} tcp dport 80 accept`,
    ];
    const ab = (fam: 'v4' | 'v6'): Flow => ({ from: 'x/a', to: B[fam], protocol: 'TCP', port: 80 });
    await apply('n1', table({ forward: rules }).replace('policy accept', 'policy drop'));
    await flushNeighbours();
    // ARP is not IP: the inet hooks never see it. ICMPv6 neighbour solicitations are, and die.
    expect((await world.probeAll([ab('v4'), ab('v6')])).map((r) => r.verdict)).toEqual(['allow', 'deny']);

    await world.inNode('n1', ['nft', 'delete', 'table', 'inet', 'facts']);
    await apply('n1', table({ forward: ['icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept', ...rules] }).replace('policy accept', 'policy drop'));
    await flushNeighbours();
    expect((await world.probeAll([ab('v4'), ab('v6')])).map((r) => r.verdict)).toEqual(['allow', 'allow']);
  });
});
