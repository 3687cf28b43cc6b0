// The node checks on outputs captured from iproute2 6.1 (`ip -j -d addr show`,
// `ip -j [-6] route show table main`, `tc -j filter show dev X ingress`) in
// throwaway network namespaces built like the nodes they stand for
// (fixtures/node-checks/): a flannel node (cni0 bridge with two pod veths,
// flannel.1 vxlan), a routed node (two pod veths with host routes, as kindnet
// and the ptp plugin make them), the same with a tc classifier on a pod veth,
// and nodes with Cilium's cilium_host/cilium_net pair and Calico eBPF mode's
// bpfin.cali/bpfout.cali pair (the devices those datapaths create, made by
// hand: no Cilium or Calico runs here).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkPodCidr, inspectNode } from '../../src/agent/node-checks.ts';
import { NodeCheckReporter } from '../../src/agent/node-check-reporter.ts';
import { hasBpfFilter, parseLinks, parseRoutes, type NodeProbe } from '../../src/agent/node-probe.ts';
import type { ClusterSource, SourceRead } from '../../src/agent/cluster-source.ts';

const DIR = path.join(import.meta.dirname, 'fixtures/node-checks');
const fixture = (name: string): string => {
  try {
    return readFileSync(path.join(DIR, name), 'utf8');
  } catch {
    return '[]';
  }
};

function probe(node: string, edit: { links?: (l: string) => string; sysctl?: string } = {}): NodeProbe {
  return {
    links: () => Promise.resolve((edit.links ?? ((l) => l))(fixture(`${node}-links.json`))),
    routes: (family) => Promise.resolve(fixture(`${node}-routes${family}.json`)),
    ingressFilters: (dev) => Promise.resolve(dev === 'veth1a2b3c4d' ? fixture(`${node}-tc.json`) : '[]'),
    sysctls: { read: () => Promise.resolve(edit.sysctl ?? '1') },
  };
}

const checked = { bridgeNetfilterCheck: true };

describe('inspectNode', () => {
  it('a flannel node: pods bridged on cni0, nothing bypasses while the dataplane checks br_netfilter', async () => {
    const r = await inspectNode(probe('bridged'), checked);
    expect(r.podNetwork).toBe('bridged');
    expect(r.bridges).toEqual([{ name: 'cni0', veths: 2, addresses: ['10.244.1.1/24', expect.stringMatching(/^fe80::/) as unknown as string] }]);
    expect(r.routedPodInterfaces).toBe(0);
    expect(r.ebpf).toEqual([]);
    expect(r.bypass).toEqual([]);
    expect(r.podAddresses).toEqual(['10.244.1.1']); // the bridge's link-local address is no pod's
    expect(r.summary).toBe('pods bridged on cni0 (2 veths): traffic between them reaches nftables through br_netfilter');
  });

  it('bridged pods with --no-bridge-netfilter-check and call-iptables off: bypass, with the fix', async () => {
    const off = await inspectNode(probe('bridged', { sysctl: '0' }), { bridgeNetfilterCheck: false });
    expect(off.bridgeNetfilter).toEqual({ 'net.bridge.bridge-nf-call-iptables': '0', 'net.bridge.bridge-nf-call-ip6tables': '0' });
    expect(off.bypass).toEqual([expect.stringContaining('pods are bridged on cni0 but net.bridge.bridge-nf-call-iptables is 0 and --no-bridge-netfilter-check is set')]);
    expect(off.bypass[0]).toContain('sysctl -w net.bridge.bridge-nf-call-iptables=1');
    // With the check on, the start line says the first sync will set it (or refuse): no bypass.
    const willSet = await inspectNode(probe('bridged', { sysctl: '0' }), checked);
    expect(willSet.bypass).toEqual([]);
    expect(willSet.summary).toBe('pods bridged on cni0 (2 veths): traffic between them reaches nftables only through br_netfilter, and net.bridge.bridge-nf-call-iptables is 0 now: the agent sets it before its first sync, or writes no rules');
    // Set by hand on the node: nothing to warn about.
    expect((await inspectNode(probe('bridged', { sysctl: '1' }), { bridgeNetfilterCheck: false })).bypass).toEqual([]);
    // Routed pods never need it.
    expect((await inspectNode(probe('routed', { sysctl: '0' }), { bridgeNetfilterCheck: false })).bypass).toEqual([]);
  });

  it('a routed node (kindnet, ptp): veths without a bridge, with host routes to the pods', async () => {
    const r = await inspectNode(probe('routed'), checked);
    expect(r.podNetwork).toBe('routed');
    expect(r.bridges).toEqual([]);
    expect(r.routedPodInterfaces).toBe(2);
    expect(r.podAddresses).toEqual(['10.244.1.10', '10.244.1.11']);
    expect(r.bypass).toEqual([]);
    expect(r.summary).toContain('pods routed over their own veths (2, with /32 or /128 routes)');
  });

  it('a tc eBPF classifier on a pod interface is a sign of an eBPF datapath', async () => {
    const r = await inspectNode(probe('routed-tc'), checked);
    expect(r.ebpf).toEqual([{ name: 'ebpf-programs', evidence: ['tc eBPF classifier on veth1a2b3c4d ingress'] }]);
    expect(r.bypass).toEqual([expect.stringContaining('ebpf-programs datapath on this node (tc eBPF classifier on veth1a2b3c4d ingress)')]);
  });

  it('an XDP program on a pod interface too', async () => {
    const withXdp = (links: string): string => JSON.stringify((JSON.parse(links) as Record<string, unknown>[])
      .map((l) => (l.ifname === 'veth5e6f7a8b' ? { ...l, xdp: { mode: 1, prog: { id: 42 } } } : l)));
    const r = await inspectNode(probe('routed', { links: withXdp }), checked);
    expect(r.ebpf).toEqual([{ name: 'ebpf-programs', evidence: ['XDP program on veth5e6f7a8b'] }]);
  });

  it('Cilium and Calico eBPF mode are named by the devices they create', async () => {
    const cilium = await inspectNode(probe('cilium'), checked);
    expect(cilium.ebpf).toEqual([{ name: 'cilium', evidence: ['interface cilium_host', 'interface cilium_net'] }]);
    expect(cilium.bypass[0]).toMatch(/^cilium datapath on this node .*netfilter forward hook/);
    const calico = await inspectNode(probe('calico-ebpf'), checked);
    expect(calico.podNetwork).toBe('routed');
    expect(calico.ebpf).toEqual([{ name: 'calico-ebpf', evidence: ['interface bpfin.cali', 'interface bpfout.cali'] }]);
    expect(calico.summary).toContain('eBPF datapath: calico-ebpf');
  });

  it('pods on Open vSwitch (veths enslaved to ovs-system, as Antrea and OVN-Kubernetes make them) bypass', async () => {
    // Constructed from the flannel capture: cni0 renamed ovs-system, its kind openvswitch (no OVS runs here).
    const asOvs = (links: string): string => links.replaceAll('"cni0"', '"ovs-system"').replace('"info_kind":"bridge"', '"info_kind":"openvswitch"');
    const r = await inspectNode(probe('bridged', { links: asOvs }), checked);
    expect(r.podNetwork).toBe('open vswitch');
    expect(r.bridges).toEqual([]);
    expect(r.bypass).toEqual([expect.stringContaining('pods on an Open vSwitch datapath (2 veths on ovs-system): OVS switches their traffic without the netfilter hooks')]);
  });

  it('a node without pod interfaces cannot tell bridged from routed', async () => {
    const onlyLo = (links: string): string => JSON.stringify((JSON.parse(links) as { ifname: string }[]).filter((l) => l.ifname === 'lo'));
    const r = await inspectNode(probe('bridged', { links: onlyLo }), checked);
    expect(r.podNetwork).toBe('no pods yet');
    expect(r.summary).toContain('cannot tell bridged from routed');
  });
});

describe('parsing iproute2 output (hostile input)', () => {
  it('drops items of the wrong shape, keeps the rest', () => {
    expect(parseLinks('[null, "x", {"ifname": 5}, {"ifname": "eth0", "master": 7, "addr_info": [{"local": "10.0.0.2", "prefixlen": "24"}, {"local": "10.0.0.3", "prefixlen": 24}]}]'))
      .toEqual([{ name: 'eth0', kind: undefined, master: undefined, addresses: ['10.0.0.3/24'], xdp: false }]);
    expect(parseRoutes('[{"dst": "default", "dev": "eth0"}, {"dev": "eth1"}, {"dst": ["x"]}]')).toEqual([{ dst: 'default', dev: 'eth0' }]);
    expect(parseRoutes('')).toEqual([]);
    expect(hasBpfFilter('[{"kind": "u32"}]')).toBe(false);
  });

  it('output that is not a JSON array is an error naming the command', () => {
    expect(() => parseLinks('Error: something')).toThrow(/^ip -j -d addr show: not JSON/);
    expect(() => parseRoutes('{"dst": "default"}')).toThrow('ip -j route show: want a JSON array');
  });
});

describe('checkPodCidr', () => {
  it('agrees when the node\'s pod addresses are inside the Node\'s pod CIDRs (other families ignored)', async () => {
    const r = await inspectNode(probe('bridged'), checked);
    expect(checkPodCidr(r, 'node-1', ['10.244.1.0/24'])).toEqual({ fromNode: ['10.244.1.0/24'], outside: [], ok: true, message: 'pod CIDR 10.244.1.0/24 from Node node-1' });
  });

  it('says when pods use addresses outside it (a CNI with its own IPAM), when it is missing, and when there is no Node', async () => {
    const r = await inspectNode(probe('routed'), checked);
    const outside = checkPodCidr(r, 'node-1', ['10.244.9.0/24']);
    expect(outside.ok).toBe(false);
    expect(outside.outside).toEqual(['10.244.1.10', '10.244.1.11']);
    expect(outside.message).toContain('pod addresses on this node outside Node node-1\'s spec.podCIDRs (10.244.9.0/24): 10.244.1.10, 10.244.1.11');
    const none = checkPodCidr(r, 'node-1', []);
    expect(none).toMatchObject({ fromNode: [], ok: false });
    expect(none.message).toContain('Node node-1 has no spec.podCIDR');
    expect(checkPodCidr(r, 'node-1', undefined)).toMatchObject({ fromNode: null, ok: false, message: expect.stringContaining('no Node object named node-1') as unknown as string });
  });
});

describe('NodeCheckReporter', () => {
  function capture(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
    const out: string[] = [];
    const logTo = new Writable({ write(chunk: Buffer, _enc, done) { out.push(chunk.toString()); done(); } });
    return { logger: pino({ level: 'info' }, logTo) as Logger, lines: () => out.join('').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number; msg: string }) };
  }

  function source(nodes: { name: string; podCIDRs: string[] }[]): ClusterSource & { reads: number } {
    const full = nodes.map((n) => ({ ...n, addresses: [] }));
    const read: SourceRead = { kind: 'state', snapshot: { revision: 'r1', objects: { namespaces: [], pods: [], policies: [], nodes: full } }, warnings: [] };
    return {
      kind: 'files', location: '/x', synced: true, revision: 'r1', reads: 0,
      start: () => Promise.resolve(), stop: () => Promise.resolve(),
      read() { this.reads++; return Promise.resolve(read); },
    };
  }

  it('logs the case at info, each bypass at warn, and the pod CIDR once the first read names the Node', async () => {
    const { logger, lines } = capture();
    const reporter = new NodeCheckReporter(probe('cilium'), { node: 'node-1', bridgeNetfilterCheck: true, logger });
    expect(reporter.status()).toEqual({ state: 'pending' });
    await reporter.inspect();
    const seen = reporter.watch(source([{ name: 'node-1', podCIDRs: ['10.244.1.0/24'] }]));
    await seen.read();
    await seen.read();
    expect(lines().map((l) => [l.level, l.msg.slice(0, 40)])).toEqual([
      [30, 'node checks: pods routed over their own '],
      [40, 'POD TRAFFIC MAY BYPASS NFTPOL: cilium da'],
      [30, 'node checks: pod CIDR 10.244.1.0/24 from'],
    ]);
    expect(reporter.status()).toMatchObject({ state: 'done', podNetwork: 'routed', podCidr: { ok: true }, bypass: [expect.stringContaining('cilium')] });
  });

  it('a probe that fails is a warning and a failed state, not a crash; off is off', async () => {
    const { logger, lines } = capture();
    const broken: NodeProbe = { ...probe('bridged'), links: () => Promise.reject(new Error('ip -j -d addr show failed: ENOENT')) };
    const reporter = new NodeCheckReporter(broken, { node: 'node-1', bridgeNetfilterCheck: true, logger });
    await reporter.inspect();
    expect(reporter.status()).toEqual({ state: 'failed', error: 'ip -j -d addr show failed: ENOENT' });
    expect(lines()[0]).toMatchObject({ level: 40, msg: expect.stringContaining('node checks could not run') as unknown as string });
    expect(new NodeCheckReporter(false, { node: 'n', bridgeNetfilterCheck: true, logger }).status()).toEqual({ state: 'off' });
  });
});
