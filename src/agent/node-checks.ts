// Start checks for the node the agent runs on: does pod traffic reach the
// netfilter forward hook, where nftpol's chains are? Three shapes are told
// apart from what the host network namespace shows:
//
// - bridged (flannel, the bridge CNI): pods' veths are ports of a bridge
//   (cni0). Pod-to-pod traffic on the node is switched by the bridge and
//   reaches the forward hook only through br_netfilter with
//   bridge-nf-call-iptables=1 (the dataplane checks and sets it before the
//   first sync: src/dataplane/bridge-netfilter.ts; here it is only read).
// - routed (kindnet, Calico, the ptp plugin): each pod's veth has no master
//   and the node has a /32 (or /128) route to the pod through it; forwarding
//   between them is routing, which passes the forward hook natively.
// - an eBPF datapath that can bypass netfilter: Cilium (its cilium_host
//   device; with BPF host routing, packets are redirected between devices
//   in tc programs and never reach the forward hook), Calico's eBPF mode
//   (its bpfin.cali/bpfout.cali pair), or eBPF programs (XDP, tc classifiers)
//   on pod interfaces. Pods on an Open vSwitch datapath (Antrea,
//   OVN-Kubernetes: veths enslaved to ovs-system) are switched by OVS, which
//   br_netfilter does not hand to netfilter either. What can be seen is that such a datapath is present,
//   not whether a given packet bypasses: the agent warns, it does not refuse.
//
// The pod CIDR from the Node object is compared with the pod addresses the
// node shows (the bridge's gateway address, the /32 routes): the table fails
// closed for a local address no known pod holds only inside that CIDR.
import { cidrContains, cidrFamily, parseIp } from '../model/addresses.ts';
import { BRIDGE_SYSCTLS } from '../dataplane/bridge-netfilter.ts';
import { hasBpfFilter, parseLinks, parseRoutes, type LinkFact, type NodeProbe, type RouteFact } from './node-probe.ts';

export type PodNetwork = 'bridged' | 'routed' | 'bridged+routed' | 'open vswitch' | 'no pods yet';

export interface BridgeFact {
  readonly name: string;
  /** veth ports: one per pod on the node. */
  readonly veths: number;
  readonly addresses: readonly string[];
}

export interface EbpfDatapath {
  /** cilium, calico-ebpf, or ebpf-programs (XDP/tc programs of unknown origin on pod interfaces). */
  readonly name: 'cilium' | 'calico-ebpf' | 'ebpf-programs';
  /** What was seen, e.g. "interface cilium_host". */
  readonly evidence: readonly string[];
}

export interface PodCidrCheck {
  /** The Node object's spec.podCIDRs (null: no Node object for this node). */
  readonly fromNode: readonly string[] | null;
  /** Pod addresses the node shows (bridge gateway addresses, routed pod addresses) outside those CIDRs. */
  readonly outside: readonly string[];
  readonly ok: boolean;
  readonly message: string;
}

export interface NodeCheckReport {
  readonly podNetwork: PodNetwork;
  readonly bridges: readonly BridgeFact[];
  /** veths without a master that carry host routes to pods. */
  readonly routedPodInterfaces: number;
  /** Pod-side addresses the node shows: bridges' gateway addresses and routed pods' addresses. */
  readonly podAddresses: readonly string[];
  /** The sysctls as read at start (absent: br_netfilter not loaded). */
  readonly bridgeNetfilter: Readonly<Record<string, string>>;
  readonly ebpf: readonly EbpfDatapath[];
  /** Set once the source's first good read names this node's Node object. */
  readonly podCidr: PodCidrCheck | null;
  /** Why traffic would bypass nftpol on this node; empty when nothing says so. */
  readonly bypass: readonly string[];
  /** One line for the start log. */
  readonly summary: string;
}

/** How many pod interfaces' tc filters are read: enough to see a CNI's programs, bounded on a full node. */
const TC_SAMPLE = 4;

function isHostRoute(r: RouteFact): boolean {
  if (r.dst === 'default') return false;
  const slash = r.dst.indexOf('/');
  if (slash < 0) return true; // ip prints a /32 or /128 without its prefix
  const prefix = r.dst.slice(slash + 1);
  return prefix === '32' || prefix === '128';
}

function hostAddress(dst: string): string {
  const slash = dst.indexOf('/');
  return slash < 0 ? dst : dst.slice(0, slash);
}

/** Pod addresses reachable over routed veths: host routes whose device is a veth with no master. */
function routedPods(links: readonly LinkFact[], routes: readonly RouteFact[]): { devs: Set<string>; addresses: string[] } {
  const veth = new Set(links.filter((l) => l.kind === 'veth' && l.master === undefined).map((l) => l.name));
  const devs = new Set<string>();
  const addresses: string[] = [];
  for (const r of routes) {
    if (r.dev === undefined || !veth.has(r.dev) || !isHostRoute(r)) continue;
    devs.add(r.dev);
    addresses.push(hostAddress(r.dst));
  }
  return { devs, addresses };
}

function ebpfSigns(links: readonly LinkFact[]): EbpfDatapath[] {
  const names = new Set(links.map((l) => l.name));
  const found: EbpfDatapath[] = [];
  const cilium = ['cilium_host', 'cilium_net', 'cilium_vxlan', 'cilium_geneve'].filter((n) => names.has(n));
  if (cilium.length > 0) found.push({ name: 'cilium', evidence: cilium.map((n) => `interface ${n}`) });
  // Calico's eBPF mode: bpfin.cali/bpfout.cali (older releases: bpfnatin/bpfnatout).
  const calico = ['bpfin.cali', 'bpfout.cali', 'bpfnatin', 'bpfnatout'].filter((n) => names.has(n));
  if (calico.length > 0) found.push({ name: 'calico-ebpf', evidence: calico.map((n) => `interface ${n}`) });
  return found;
}

export interface InspectOptions {
  /** --no-bridge-netfilter-check was given: the dataplane will not set br_netfilter. */
  readonly bridgeNetfilterCheck: boolean;
}

/** Reads the node through the probe and says which case it is in. Throws when ip's output cannot be read. */
export async function inspectNode(probe: NodeProbe, opts: InspectOptions): Promise<NodeCheckReport> {
  const links = parseLinks(await probe.links());
  const routes = [...parseRoutes(await probe.routes(4)), ...parseRoutes(await probe.routes(6))];
  const byName = new Map(links.map((l) => [l.name, l]));
  const bridges: BridgeFact[] = links
    .filter((l) => l.kind === 'bridge')
    .map((b) => ({ name: b.name, veths: links.filter((l) => l.master === b.name && l.kind === 'veth').length, addresses: b.addresses }))
    .filter((b) => b.veths > 0);
  const routed = routedPods(links, routes);
  const bridged = bridges.length > 0;
  const ovsMasters = new Set(links.filter((l) => l.kind === 'openvswitch').map((l) => l.name));
  const ovsPorts = links.filter((l) => l.kind === 'veth' && l.master !== undefined && ovsMasters.has(l.master)).map((l) => l.name);
  const podNetwork: PodNetwork = bridged && routed.devs.size > 0 ? 'bridged+routed' : bridged ? 'bridged' : routed.devs.size > 0 ? 'routed'
    : ovsPorts.length > 0 ? 'open vswitch' : 'no pods yet';

  const bridgeNetfilter: Record<string, string> = {};
  for (const key of BRIDGE_SYSCTLS) bridgeNetfilter[key.replaceAll('/', '.')] = (await probe.sysctls.read(key)) ?? 'absent';

  const ebpf = ebpfSigns(links);
  // Pod interfaces: bridge ports and routed veths; XDP on any of them, tc programs on a sample.
  const podDevs = [...links.filter((l) => l.kind === 'veth' && l.master !== undefined && bridges.some((b) => b.name === l.master)).map((l) => l.name), ...routed.devs];
  const programs: string[] = podDevs.filter((d) => byName.get(d)?.xdp === true).map((d) => `XDP program on ${d}`);
  for (const dev of podDevs.slice(0, TC_SAMPLE)) {
    const filters = await probe.ingressFilters(dev);
    if (filters !== undefined && hasBpfFilter(filters)) programs.push(`tc eBPF classifier on ${dev} ingress`);
  }
  if (programs.length > 0) ebpf.push({ name: 'ebpf-programs', evidence: programs });

  const bypass: string[] = ebpf.map((d) => `${d.name} datapath on this node (${d.evidence.join(', ')}): eBPF programs can deliver pod traffic without the netfilter forward hook, so nftpol's rules may not see it (docs/cni.md)`);
  if (ovsPorts.length > 0) {
    bypass.push(`pods on an Open vSwitch datapath (${ovsPorts.length} veth${ovsPorts.length === 1 ? '' : 's'} on ${[...ovsMasters].join(', ')}): OVS switches their traffic without the netfilter hooks, so nftpol's rules may not see it (docs/cni.md)`);
  }
  const callIptables = bridgeNetfilter['net.bridge.bridge-nf-call-iptables'];
  if (bridged && !opts.bridgeNetfilterCheck && callIptables !== '1') {
    bypass.push(`pods are bridged on ${bridges.map((b) => b.name).join(', ')} but net.bridge.bridge-nf-call-iptables is ${callIptables ?? 'absent'} and --no-bridge-netfilter-check is set: traffic between pods of this node bypasses nftpol (modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1)`);
  }

  const viaBrNetfilter = callIptables === '1'
    ? 'traffic between them reaches nftables through br_netfilter'
    : `traffic between them reaches nftables only through br_netfilter, and net.bridge.bridge-nf-call-iptables is ${callIptables ?? 'absent'} now${opts.bridgeNetfilterCheck ? ': the agent sets it before its first sync, or writes no rules' : ''}`;
  const shape = podNetwork === 'bridged'
    ? `pods bridged on ${bridges.map((b) => `${b.name} (${b.veths} veth${b.veths === 1 ? '' : 's'})`).join(', ')}: ${viaBrNetfilter}`
    : podNetwork === 'routed'
      ? `pods routed over their own veths (${routed.devs.size}, with /32 or /128 routes): their traffic passes the forward hook natively`
      : podNetwork === 'bridged+routed'
        ? `pods both bridged (${bridges.map((b) => b.name).join(', ')}) and routed (${routed.devs.size} veths)`
        : podNetwork === 'open vswitch'
          ? `pods on Open vSwitch (${ovsPorts.length} veths)`
          : 'no pod interfaces on this node yet (no bridge with veths, no routed veths): cannot tell bridged from routed';
  return {
    podNetwork, bridges, routedPodInterfaces: routed.devs.size,
    podAddresses: podAddressesSeen(bridges, routed.addresses), bridgeNetfilter, ebpf, podCidr: null, bypass,
    summary: ebpf.length > 0 ? `${shape}; eBPF datapath: ${ebpf.map((d) => d.name).join(', ')}` : shape,
  };
}

/**
 * Valid, canonical unicast addresses among the bridges' and the routes' (a
 * bridge's IPv6 link-local address and IPv4 link-local ones are never pod
 * addresses).
 */
function podAddressesSeen(bridges: readonly BridgeFact[], routedAddresses: readonly string[]): string[] {
  const out = new Set<string>();
  for (const text of [...bridges.flatMap((b) => b.addresses.map(hostAddress)), ...routedAddresses]) {
    const ip = parseIp(text);
    if (!ip.ok || cidrContains('fe80::/10', ip.ip) || cidrContains('169.254.0.0/16', ip.ip)) continue;
    out.add(ip.ip);
  }
  return [...out];
}

/** Compares the Node object's pod CIDRs with what the node shows. */
export function checkPodCidr(report: NodeCheckReport, node: string, podCIDRs: readonly string[] | undefined): PodCidrCheck {
  if (podCIDRs === undefined) {
    return { fromNode: null, outside: [], ok: false, message: `no Node object named ${node} in the source: the table has no pod CIDR to fail closed in for pods the agent has not seen yet` };
  }
  if (podCIDRs.length === 0) {
    return {
      fromNode: [], outside: [], ok: false,
      message: `Node ${node} has no spec.podCIDR: a new pod is open until the agent learns of it (the table fails closed only inside the node's pod CIDR). Flannel needs it too: kube-controller-manager --allocate-node-cidrs (kubeadm init --pod-network-cidr)`,
    };
  }
  // Only the families the Node has CIDRs for: an IPv4-only node's bridge may still carry IPv6 addresses.
  const families = new Set(podCIDRs.map(cidrFamily));
  const outside = report.podAddresses.filter((a) => families.has(a.includes(':') ? 6 : 4) && !podCIDRs.some((c) => cidrContains(c, a)));
  if (outside.length > 0) {
    return {
      fromNode: [...podCIDRs], outside, ok: false,
      message: `pod addresses on this node outside Node ${node}'s spec.podCIDRs (${podCIDRs.join(', ')}): ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', …' : ''}; the CNI allocates its own addresses (e.g. Calico IPAM), so a pod the agent has not seen yet is not failed closed`,
    };
  }
  return { fromNode: [...podCIDRs], outside: [], ok: true, message: `pod CIDR ${podCIDRs.join(', ')} from Node ${node}` };
}
