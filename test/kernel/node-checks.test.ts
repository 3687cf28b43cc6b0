// The node checks on real devices: a throwaway "node" namespace wired like a
// flannel node (pods' veths on a cni0 bridge) or like a routed one (each pod's
// veth with a host route, as kindnet and the ptp plugin do), the pods in a
// second namespace; the checks read them with iproute2 through
// `ip netns exec`, as the agent reads its own (host) namespace, and the
// br_netfilter sysctls through the dataplane's commandSysctls (they are per
// network namespace).
import { execa } from 'execa';
import { afterEach, expect, it } from 'vitest';
import { commandSysctls } from '../../src/dataplane/bridge-netfilter.ts';
import { checkPodCidr, inspectNode } from '../../src/agent/node-checks.ts';
import { commandNodeProbe } from '../../src/agent/node-probe.ts';
import { describeKernel } from '../support/describe-requiring.ts';
import { throwawayNetns, type ThrowawayNetns } from '../support/root.ts';

const made: ThrowawayNetns[] = [];

async function sh(...argv: string[]): Promise<void> {
  const res = await execa(argv[0] as string, argv.slice(1), { reject: false });
  if (res.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${String(res.stderr)}`);
}

/** A node namespace with two pods' veths (10.244.1.10 and .11), bridged on cni0 or routed. */
async function node(shape: 'bridged' | 'routed'): Promise<{ ns: string; prefix: string[] }> {
  const nodeNs = await throwawayNetns();
  const podNs = await throwawayNetns();
  made.push(nodeNs, podNs);
  const n = nodeNs.name;
  const inNode = ['ip', '-n', n];
  if (shape === 'bridged') {
    await sh(...inNode, 'link', 'add', 'cni0', 'type', 'bridge');
    await sh(...inNode, 'addr', 'add', '10.244.1.1/24', 'dev', 'cni0');
    await sh(...inNode, 'link', 'set', 'cni0', 'up');
  }
  for (const [i, ip] of [[1, '10.244.1.10'], [2, '10.244.1.11']] as const) {
    await sh('ip', 'link', 'add', `vethpod${i}`, 'netns', n, 'type', 'veth', 'peer', 'name', `eth${i}`, 'netns', podNs.name);
    await sh('ip', '-n', podNs.name, 'addr', 'add', `${ip}/24`, 'dev', `eth${i}`);
    if (shape === 'bridged') await sh(...inNode, 'link', 'set', `vethpod${i}`, 'master', 'cni0');
    await sh(...inNode, 'link', 'set', `vethpod${i}`, 'up');
    if (shape === 'routed') await sh(...inNode, 'route', 'add', ip, 'dev', `vethpod${i}`, 'scope', 'host');
  }
  return { ns: n, prefix: ['ip', 'netns', 'exec', n] };
}

afterEach(async () => {
  for (const ns of made.splice(0)) await ns.destroy();
});

await describeKernel('node checks on real devices', () => {
  it('a bridge with pod veths is bridged; call-iptables off with the check off is a bypass', async () => {
    const { prefix } = await node('bridged');
    const probe = commandNodeProbe(prefix, commandSysctls(prefix));
    const r = await inspectNode(probe, { bridgeNetfilterCheck: true });
    expect(r).toMatchObject({ podNetwork: 'bridged', bridges: [{ name: 'cni0', veths: 2 }], routedPodInterfaces: 0, ebpf: [], bypass: [] });
    expect(r.podAddresses).toEqual(['10.244.1.1']);
    expect(checkPodCidr(r, 'node-1', ['10.244.1.0/24']).ok).toBe(true);
    expect(checkPodCidr(r, 'node-1', ['10.244.2.0/24']).outside).toEqual(['10.244.1.1']);

    await sh(...prefix, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0');
    const off = await inspectNode(probe, { bridgeNetfilterCheck: false });
    expect(off.bridgeNetfilter['net.bridge.bridge-nf-call-iptables']).toBe('0');
    expect(off.bypass).toEqual([expect.stringContaining('pods are bridged on cni0 but net.bridge.bridge-nf-call-iptables is 0')]);
  });

  it('veths with host routes and no bridge are routed; a tc eBPF classifier on one is reported', async () => {
    const { prefix } = await node('routed');
    const probe = commandNodeProbe(prefix, commandSysctls(prefix));
    const r = await inspectNode(probe, { bridgeNetfilterCheck: true });
    expect(r).toMatchObject({ podNetwork: 'routed', bridges: [], routedPodInterfaces: 2, ebpf: [], bypass: [] });
    expect([...r.podAddresses].sort()).toEqual(['10.244.1.10', '10.244.1.11']);

    // A classic-BPF program as a cls_bpf classifier: tc lists it as kind "bpf", as it lists a CNI's eBPF ones.
    await sh(...prefix, 'tc', 'qdisc', 'add', 'dev', 'vethpod2', 'clsact');
    await sh(...prefix, 'tc', 'filter', 'add', 'dev', 'vethpod2', 'ingress', 'bpf', 'bytecode', '1,6 0 0 4294967295,');
    const withTc = await inspectNode(probe, { bridgeNetfilterCheck: true });
    expect(withTc.ebpf).toEqual([{ name: 'ebpf-programs', evidence: ['tc eBPF classifier on vethpod2 ingress'] }]);
    expect(withTc.bypass).toHaveLength(1);
  });

  it('an empty node has no pods yet, and a cilium_host device names Cilium', async () => {
    const nodeNs = await throwawayNetns();
    made.push(nodeNs);
    const prefix = ['ip', 'netns', 'exec', nodeNs.name];
    const probe = commandNodeProbe(prefix, commandSysctls(prefix));
    expect((await inspectNode(probe, { bridgeNetfilterCheck: true })).podNetwork).toBe('no pods yet');
    await sh('ip', '-n', nodeNs.name, 'link', 'add', 'cilium_host', 'type', 'veth', 'peer', 'name', 'cilium_net');
    expect((await inspectNode(probe, { bridgeNetfilterCheck: true })).ebpf).toEqual([{ name: 'cilium', evidence: ['interface cilium_host', 'interface cilium_net'] }]);
  });
});
