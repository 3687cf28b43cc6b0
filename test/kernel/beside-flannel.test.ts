// The whole agent beside the tables a flannel cluster already has on each node: two
// flannel-style lab nodes (cni0 bridge, vxlan), and on each, before nftpol starts,
//  (a) a kube-proxy-like nftables table (kube-proxy's nftables mode: `table ip kube-proxy`,
//      its filter-forward base chain at priority -110 with policy accept, here with an accept
//      for the pod CIDR in both directions), and
//  (b) flannel's iptables-nft FORWARD accepts (`-A FORWARD -s 10.244.0.0/16 -j ACCEPT` and
//      `-d` likewise), over Docker's `-P FORWARD DROP`, which is why flannel adds them.
// Then one `nftpol agent --source files:DIR` per node, a real child in the node's netns.
//
// Why nftpol's drops still win and theirs still work: every base chain on the forward hook,
// whatever its table or family, sees the packet in priority order (kube-proxy -110, nftpol's
// egress -10 and ingress -5, iptables' filter FORWARD 0). An accept ends only the chain
// that says it: the packet goes on to the next base chain. A drop ends the packet for every
// chain after it. So a flow nftpol denies is dropped at -5 although kube-proxy accepted it
// at -110 (its counter moves, the iptables one does not), and a flow nftpol allows goes
// through all three, each counting it, and iptables' accept is what gets it past Docker's
// drop policy.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildWorld, cleanupOrphans, kernelPrerequisites, listNetns, type World, type WorldSpec } from '../../src/lab/index.ts';
import { AgentChild, EndpointRelay, pollUntil } from '../support/agent-child.ts';
import { describeRequiring } from '../support/describe-requiring.ts';
import { relayPrerequisites } from '../support/netns-relay.ts';

const CLUSTER_CIDR = '10.244.0.0/16';
const NODES = ['node-1', 'node-2'] as const;
const PORT = 9807;
const DB = { id: 'shop/db', ip: '10.244.1.10' }; // node-1
const WEB = { id: 'shop/web', ip: '10.244.1.11' }; // node-1, not isolated
const API = { id: 'shop/api', ip: '10.244.2.10' }; // node-2

const WORLD: WorldSpec = {
  nodes: [{ name: 'node-1', podCIDRs: ['10.244.1.0/24'] }, { name: 'node-2', podCIDRs: ['10.244.2.0/24'] }],
  pods: [
    { id: DB.id, node: 'node-1', ips: [DB.ip], tcpPorts: [5432, 6379], udpPorts: [] },
    { id: WEB.id, node: 'node-1', ips: [WEB.ip], tcpPorts: [8080], udpPorts: [] },
    { id: API.id, node: 'node-2', ips: [API.ip], tcpPorts: [], udpPorts: [] },
  ],
};

const pod = (name: string, node: string, ip: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, labels: {app: ${name}}}
spec: {nodeName: ${node}, containers: [{name: ${name}, image: registry.example.com/${name}:1}]}
status: {phase: Running, podIP: ${ip}, podIPs: [{ip: ${ip}}]}
`;

/** db accepts api on 5432 only; web and api are not isolated. */
const CLUSTER_YAML = `apiVersion: v1
kind: Node
metadata: {name: node-1}
spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
spec: {podCIDR: 10.244.2.0/24, podCIDRs: [10.244.2.0/24]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
${pod('db', 'node-1', DB.ip)}---
${pod('web', 'node-1', WEB.ip)}---
${pod('api', 'node-2', API.ip)}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-allow-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: 5432}]
`;

/** kube-proxy's nftables mode, cut to its shape on the forward hook (no services here). */
const KUBE_PROXY_TABLE = `table ip kube-proxy {
  comment "rules for kube-proxy"
  set cluster-ips { type ipv4_addr; comment "Active ClusterIPs"; elements = { 10.96.0.10 } }
  chain cluster-ips-check {
    ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
  }
  chain filter-forward {
    type filter hook forward priority -110; policy accept;
    ct state new jump cluster-ips-check
    ip saddr ${CLUSTER_CIDR} counter accept comment "pod traffic out"
    ip daddr ${CLUSTER_CIDR} counter accept comment "pod traffic in"
  }
}
`;

/** Flannel's rules through iptables-nft, over Docker's FORWARD policy. */
const FLANNEL_IPTABLES: readonly (readonly string[])[] = [
  ['-P', 'FORWARD', 'DROP'],
  ['-A', 'FORWARD', '-s', CLUSTER_CIDR, '-j', 'ACCEPT'],
  ['-A', 'FORWARD', '-d', CLUSTER_CIDR, '-j', 'ACCEPT'],
];

async function prerequisites(): Promise<string[]> {
  const missing = [...await kernelPrerequisites(), ...await relayPrerequisites()];
  const ipt = await execa('iptables-nft', ['--version'], { reject: false }).catch(() => undefined);
  if (ipt?.exitCode !== 0) missing.push('no working `iptables-nft` on PATH (Debian package iptables, see scripts/system-deps.sh)');
  return missing;
}

interface Counters {
  /** kube-proxy's two accepts, summed. */
  kubeProxy: number;
  /** flannel's two FORWARD accepts, summed. */
  flannel: number;
  /** nftpol's drop for db's ingress. */
  nftpolDrop: number;
}

interface NftItem {
  rule?: { table: string; chain: string; comment?: string; expr: { counter?: { packets: number } }[] };
}
const packets = (r: NonNullable<NftItem['rule']>): number => r.expr.find((e) => e.counter)?.counter?.packets ?? 0;

await describeRequiring('kernel', prerequisites, 'nftpol agent beside flannel: kube-proxy nftables table and flannel iptables-nft FORWARD accepts', () => {
  let world: World;
  let dir: string;
  const agents = new Map<string, AgentChild>();
  const relays = new Map<string, EndpointRelay>();

  /** Every rule of the node's ruleset (all tables: kube-proxy, iptables-nft's ip filter, nftpol), as nft lists them. */
  const rules = async (node: string): Promise<NonNullable<NftItem['rule']>[]> => {
    const out = (await world.inNode(node, ['nft', '-j', 'list', 'ruleset'])).stdout;
    return (JSON.parse(out) as { nftables: NftItem[] }).nftables.flatMap((i) => (i.rule ? [i.rule] : []));
  };
  const counters = async (node: string): Promise<Counters> => {
    const all = await rules(node);
    const sum = (f: (r: NonNullable<NftItem['rule']>) => boolean): number => all.filter(f).reduce((n, r) => n + packets(r), 0);
    return {
      kubeProxy: sum((r) => r.table === 'kube-proxy' && r.chain === 'filter-forward' && r.comment !== undefined),
      flannel: sum((r) => r.table === 'filter' && r.chain === 'FORWARD'),
      nftpolDrop: sum((r) => r.table === 'nftpol' && r.comment === `ingress denied ${DB.id}`),
    };
  };
  const delta = (before: Counters, after: Counters): Counters => ({
    kubeProxy: after.kubeProxy - before.kubeProxy,
    flannel: after.flannel - before.flannel,
    nftpolDrop: after.nftpolDrop - before.nftpolDrop,
  });

  beforeAll(async () => {
    await cleanupOrphans();
    [world, dir] = await Promise.all([buildWorld(WORLD), mkdtemp(path.join(os.tmpdir(), 'nftpol-beside-flannel-'))]);
    await writeFile(path.join(dir, 'cluster.yaml'), CLUSTER_YAML);
    // Theirs first, as on a cluster where flannel and kube-proxy ran before nftpol was installed.
    for (const node of NODES) {
      await world.inNode(node, ['nft', '-f', '-'], { input: KUBE_PROXY_TABLE });
      for (const args of FLANNEL_IPTABLES) await world.inNode(node, ['iptables-nft', '-w', ...args]);
    }
    for (const node of NODES) {
      const prefix = world.nodeCommandPrefix(node);
      relays.set(node, await EndpointRelay.start(prefix, PORT));
      agents.set(node, AgentChild.start({ netnsPrefix: prefix, dir, node, listen: `127.0.0.1:${PORT}` }));
    }
    // Each agent has read the folder and its kernel table is at that revision.
    for (const node of NODES) {
      const relay = relays.get(node) as EndpointRelay;
      await pollUntil(`${node}'s agent at its source revision`, async () => {
        const s = await relay.status();
        return s !== undefined && s.ready && s.source.revision !== null && s.kernel.revision === s.source.revision;
      }, { timeoutMs: 30_000, context: () => agents.get(node)?.logs() ?? '' });
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await Promise.all([...relays.values()].map((r) => r.stop()));
    await world?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
    expect((await listNetns()).filter((n) => n.startsWith(`np${process.pid}r`))).toEqual([]);
  });

  it('leaves their tables alone: kube-proxy\'s table and flannel\'s FORWARD rules are there beside nftpol\'s', async () => {
    for (const node of NODES) {
      const tables = (await world.inNode(node, ['nft', 'list', 'tables'])).stdout.trim().split('\n').sort();
      expect(tables).toEqual(['table inet nftpol', 'table ip filter', 'table ip kube-proxy']);
      const forward = (await world.inNode(node, ['iptables-nft', '-w', '-S', 'FORWARD'])).stdout.trim().split('\n');
      expect(forward).toEqual(['-P FORWARD DROP', `-A FORWARD -s ${CLUSTER_CIDR} -j ACCEPT`, `-A FORWARD -d ${CLUSTER_CIDR} -j ACCEPT`]);
    }
  });

  it('nftpol\'s drops win: a denied flow is denied though kube-proxy accepted it first, and iptables never sees it', async () => {
    for (const [from, port] of [[API.id, 6379], [WEB.id, 5432]] as const) {
      const before = await counters('node-1');
      expect(await world.probe({ from, to: DB.ip, protocol: 'TCP', port }, { retries: 0 }), `${from} -> db:${port}`).toBe('deny');
      const moved = delta(before, await counters('node-1'));
      expect(moved.kubeProxy, `${from} -> db:${port}: kube-proxy's accept counted it`).toBeGreaterThan(0);
      expect(moved.nftpolDrop, `${from} -> db:${port}: nftpol dropped it`).toBeGreaterThan(0);
      expect(moved.flannel, `${from} -> db:${port}: the iptables FORWARD chain after nftpol's never saw it`).toBe(0);
    }
  });

  it('theirs still work: allowed flows pass kube-proxy, nftpol and flannel\'s iptables accepts (over the DROP policy), each counting them', async () => {
    const flows = [
      { from: API.id, to: DB.ip, port: 5432, via: ['node-2', 'node-1'] }, // allowed by the policy, cross-node
      { from: API.id, to: WEB.ip, port: 8080, via: ['node-2', 'node-1'] }, // web not isolated, cross-node
      { from: DB.id, to: WEB.ip, port: 8080, via: ['node-1'] }, // same node, bridged on cni0
    ];
    for (const f of flows) {
      const before = await Promise.all(f.via.map((n) => counters(n)));
      expect(await world.probe({ from: f.from, to: f.to, protocol: 'TCP', port: f.port }), `${f.from} -> ${f.to}:${f.port}`).toBe('allow');
      const after = await Promise.all(f.via.map((n) => counters(n)));
      f.via.forEach((node, i) => {
        const moved = delta(before[i] as Counters, after[i] as Counters);
        expect(moved.kubeProxy, `${f.from} -> ${f.to}:${f.port} on ${node}: kube-proxy`).toBeGreaterThan(0);
        expect(moved.flannel, `${f.from} -> ${f.to}:${f.port} on ${node}: flannel's FORWARD accepts`).toBeGreaterThan(0);
        expect(moved.nftpolDrop).toBe(0);
      });
    }
  });
});
