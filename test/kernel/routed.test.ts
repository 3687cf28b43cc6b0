// nftpol beside a routed CNI (kindnet, Calico, the CNI ptp plugin): each pod on its own
// veth with a /32 route on its node, no bridge, nodes routed to each other. The lab's
// `topology: 'routed'` (src/lab/routed-topology.ts) builds such nodes with br_netfilter
// off, so whatever nftpol filters there it filters on the forward hook natively. The
// conformance world (with its steps) and the examples get the model's verdict for every
// case, as they do on flannel-style nodes (policytest-kernel.test.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildWorld, cleanupOrphans, listNetns, type LabTopology, type World, type WorldSpec } from '../../src/lab/index.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { KernelVerdictSource, createKernelVerdictSource } from '../../src/policytest/kernel-verdicts.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { caseTitle } from '../../src/policytest/report-text.ts';
import { runPolicyTests } from '../../src/policytest/run-tests.ts';
import { modelVerdicts } from '../../src/policytest/verdict-source.ts';
import { nftpol } from '../policytest/helpers.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OURS = new RegExp(`^np${process.pid}r[0-9a-f]+-`);

const A = { v4: '10.244.1.10', v6: 'fd00:10:244:1::10' }; // x/a on n1 (veth0)
const B = { v4: '10.244.1.11', v6: 'fd00:10:244:1::11' }; // x/b on n1 (veth1)
const C = { v4: '10.244.2.10', v6: 'fd00:10:244:2::10' }; // y/c on n2 (veth2)
const SPEC: WorldSpec = {
  topology: 'routed',
  nodes: [
    { name: 'n1', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] },
    { name: 'n2', podCIDRs: ['10.244.2.0/24', 'fd00:10:244:2::/64'] },
  ],
  pods: [
    { id: 'x/a', node: 'n1', ips: [A.v4, A.v6], tcpPorts: [80], udpPorts: [80] },
    { id: 'x/b', node: 'n1', ips: [B.v4, B.v6], tcpPorts: [80], udpPorts: [80] },
    { id: 'y/c', node: 'n2', ips: [C.v4, C.v6], tcpPorts: [80], udpPorts: [80] },
  ],
};

/** A forward-hook rule counting probe traffic (not neighbour discovery) between two pods, both families. */
const counted = (iif: string, oif: string, src: typeof A, dst: typeof A, name: string): string[] => [
  `iifname "${iif}" oifname "${oif}" ip saddr ${src.v4} ip daddr ${dst.v4} meta l4proto { tcp, udp } counter comment "${name} v4"`,
  `iifname "${iif}" oifname "${oif}" ip6 saddr ${src.v6} ip6 daddr ${dst.v6} meta l4proto { tcp, udp } counter comment "${name} v6"`,
];
const forwardTable = (rules: string[]): string =>
  `table inet facts {\n  chain forward {\n    type filter hook forward priority filter - 10; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`;

async function counters(world: World, node: string): Promise<Record<string, number>> {
  type Item = { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } };
  const out = (await world.inNode(node, ['nft', '-j', 'list', 'table', 'inet', 'facts'])).stdout;
  const result: Record<string, number> = {};
  for (const { rule } of (JSON.parse(out) as { nftables: Item[] }).nftables) {
    if (rule?.comment !== undefined) result[rule.comment] = rule.expr.find((e) => e.counter)?.counter?.packets ?? 0;
  }
  return result;
}

/** Interface names of every node netns of this process's runs, sampled while `work` runs. */
async function nodeInterfacesDuring<T>(work: () => Promise<T>): Promise<{ result: T; seen: Map<string, string[]> }> {
  const seen = new Map<string, string[]>();
  let running = true;
  const sample = async (): Promise<void> => {
    while (running) {
      for (const ns of (await listNetns()).filter((n) => OURS.test(n) && /-n\d+$/.test(n) && !seen.has(n))) {
        const r = await execa('ip', ['-n', ns, '-o', 'link', 'show'], { reject: false });
        if (r.exitCode === 0) seen.set(ns, String(r.stdout).split('\n').map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? ''));
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const sampler = sample();
  try {
    return { result: await work(), seen };
  } finally {
    running = false;
    await sampler;
  }
}

await describeKernel('routed topology (kindnet, Calico, CNI ptp): nftpol on nodes without a bridge', () => {
  beforeAll(async () => {
    await cleanupOrphans();
  });

  it('(a) routed nodes: no bridge, br_netfilter off; pod traffic crosses the forward hook veth to veth on a node, veth to eth0 and eth0 to veth across nodes', async () => {
    const world = await buildWorld(SPEC);
    try {
      for (const n of ['n1', 'n2']) {
        const sysctls = await world.inNode(n, ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']);
        expect(sysctls.stdout.trim().split('\n')).toEqual(['0', '0']);
        expect((await world.inNode(n, ['ip', '-o', 'link', 'show', 'type', 'bridge'])).stdout).toBe('');
      }
      await world.inNode('n1', ['nft', '-f', '-'], { input: forwardTable([...counted('veth0', 'veth1', A, B, 'same node'), ...counted('veth0', 'eth0', A, C, 'to n2')]) });
      await world.inNode('n2', ['nft', '-f', '-'], { input: forwardTable(counted('eth0', 'veth2', A, C, 'from n1')) });
      const flows = world.flows({ from: ['x/a'], to: ['x/b', 'y/c'] });
      expect(flows).toHaveLength(8); // 2 targets x TCP/UDP x v4/v6
      expect((await world.probeAll(flows)).filter((r) => r.verdict !== 'allow')).toEqual([]);
      const n1 = await counters(world, 'n1');
      const n2 = await counters(world, 'n2');
      for (const name of ['same node v4', 'same node v6', 'to n2 v4', 'to n2 v6']) expect(n1[name], name).toBeGreaterThan(0);
      for (const name of ['from n1 v4', 'from n1 v6']) expect(n2[name], name).toBeGreaterThan(0);
      // And a drop there denies the flow, without a bridge or br_netfilter.
      await world.inNode('n1', ['nft', 'add', 'rule', 'inet', 'facts', 'forward', 'ip', 'daddr', B.v4, 'drop']);
      expect(await world.probe({ from: 'x/a', to: B.v4, protocol: 'TCP', port: 80 }, { retries: 0 })).toBe('deny');
      expect(await world.probe({ from: 'x/a', to: C.v4, protocol: 'TCP', port: 80 })).toBe('allow');
    } finally {
      await world.destroy();
    }
  }, 60_000);

  it('(b) the conformance world (with its steps) and the examples: the kernel gives the model verdict for every case on routed nodes', async () => {
    const all = await collectPolicyTests(['test/conformance', 'policies-examples'], ROOT);
    // The network-policy-api suite has its own world and kernel tests (network-policy-api-*.test.ts).
    const kept = (file: string): boolean => !file.startsWith('test/conformance/network-policy-api/');
    const collected = { ...all, files: all.files.filter(kept), tests: all.tests.filter((t) => kept(t.file)) };
    const model = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: ROOT }) });
    const kernel = new KernelVerdictSource({ topology: 'routed' });
    const t0 = performance.now();
    const { result: onKernel, seen } = await nodeInterfacesDuring(() => runPolicyTests(collected, { verdicts: kernel, loader: new TestWorldLoader({ cwd: ROOT }) }));
    const seconds = (performance.now() - t0) / 1000;
    if (!model.ok || !onKernel.ok) throw new Error('input problems');
    const t = kernel.timings;
    console.log(
      `[routed] ${onKernel.run.summary.cases} cases in ${onKernel.run.summary.tests} PolicyTests, ${seconds.toFixed(1)} s ` +
        `(${t.networks} lab networks built in ${(t.buildMs / 1000).toFixed(1)} lane-s, ${t.probes} probes, ${t.ruleLevel} cases at rule level, ${t.deltaSyncs} delta syncs)`,
    );
    const modelCases = model.run.tests.flatMap((x) => x.cases);
    const kernelCases = onKernel.run.tests.flatMap((x) => x.cases);
    expect(kernelCases.length).toBe(modelCases.length);
    // The 54 upstream NetworkPolicy e2e tests and the 18 examples (the network-policy-api suite has its own kernel lanes).
    expect(onKernel.run.summary.tests).toBe(54 + 18);
    const disagreements = kernelCases.flatMap((c, i) => (modelCases[i]?.actual === c.actual ? [] : [`${c.test.file} ${caseTitle(c)}: model ${modelCases[i]?.actual}, kernel ${c.actual} (${c.detail ?? ''})`]));
    expect(disagreements).toEqual([]);
    expect(onKernel.run.summary.failed).toBe(0);
    expect(t.deltaSyncs).toBeGreaterThanOrEqual(10);
    const checked = new Set(kernelCases.map((c) => `${c.case.protocol} ${c.checkedBy}`));
    expect(checked).toEqual(new Set(['TCP kernel', 'UDP kernel', 'SCTP rules']));
    // The nodes really were routed ones: pod veths, no cni0, no flannel.1.
    expect(seen.size).toBeGreaterThan(0);
    for (const [ns, links] of seen) {
      expect(links.filter((l) => l === 'cni0' || l.startsWith('flannel')), ns).toEqual([]);
    }
    expect([...seen.values()].some((links) => links.some((l) => /^veth\d+$/.test(l)))).toBe(true);
  }, 300_000);

  it('(c) nftpol test --dataplane kernel --topology routed hands the topology to the kernel source (bridge by default)', async () => {
    const asked: (LabTopology | undefined)[] = [];
    const kernel = (o: { topology?: LabTopology }): KernelVerdictSource => {
      asked.push(o.topology);
      return createKernelVerdictSource(o);
    };
    const dir = 'policies-examples/db-only-from-api';
    const routed = await nftpol(['test', '--dataplane', 'kernel', '--topology', 'routed', dir], ROOT, { verdictSources: { kernel } });
    expect(routed.stderr).toBe('');
    expect(routed.code).toBe(0);
    expect(routed.stdout).toContain('on the kernel dataplane');
    const bad = await nftpol(['test', '--dataplane', 'kernel', '--topology', 'mesh', dir], ROOT, { verdictSources: { kernel } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'mesh' is invalid. Allowed choices are bridge, routed.");
    expect(asked).toEqual(['routed']);
    // Without the flag: the flannel-style bridge, as before.
    const help = await nftpol(['test', '--help'], ROOT);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--topology <name> how the kernel and agent dataplanes wire pods .* \(choices: "bridge", "routed", default: "bridge"\) --family/);
  }, 120_000);

  afterAll(async () => {
    const left = (await listNetns()).filter((n) => OURS.test(n));
    expect(left).toEqual([]);
  });
});
