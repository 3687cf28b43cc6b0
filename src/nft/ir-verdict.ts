// What the rendered ruleset decides for one flow, read off the node IRs the
// way the kernel walks the rendered table. It is not a policy evaluator: it
// knows nothing of selectors or policies, only of the maps, sets and rules
// the compiler produced. It answers for flows that cannot be sent here
// (SCTP: this kernel has no SCTP sockets) and lets property tests compare
// the compiler's output with the engine for many clusters in milliseconds.
//
// The path a packet takes on flannel (measured, see src/lab/README.md):
//  - pod <-> its own node: input/output hooks, never forward: only the
//    cluster tiers' entries there (egress-to-node, ingress-from-node) filter it;
//  - a pod's packet leaving its node, or arriving at a pod's node, crosses
//    that node's forward hook, where the egress chain (keyed by saddr) and
//    then the ingress chain (keyed by daddr) run; a drop in either is final.
// In a base chain: the Admin tier's entry (jump admin-out: accept and drop
// are final, a Pass goes to admin-out-pass, which does what the base chain
// does next, and no match returns), the Baseline tier's (goto: only drop
// denies, the rest accepts), then the dispatch map.
import { cidrContains, familyOf, type IPFamily } from '../model/addresses.ts';
import type { Direction } from '../model/types.ts';
import type { AddressPort, ClusterPolicyChain, ClusterVerdict, LocalPod, NamedSet, NodeIR, PeerMatch, PortMatch } from '../compile/ir.ts';
import type { AllowRule } from '../compile/ir.ts';

export interface IrFlow {
  readonly src: string;
  readonly dst: string;
  /** The node each end is on: a pod's node, or the node whose address it is; absent for outside addresses. */
  readonly srcNode?: string;
  readonly dstNode?: string;
  readonly protocol: string;
  readonly port?: number;
}

class NodeTables {
  readonly ir: NodeIR;
  private readonly byAddress = new Map<string, LocalPod>();
  private readonly sets = new Map<string, NamedSet>();
  private readonly chains: Map<string, readonly AllowRule[]>;
  private readonly clusterChains: Map<string, ClusterPolicyChain>;

  constructor(ir: NodeIR) {
    this.ir = ir;
    for (const pod of ir.pods) for (const ip of pod.ips) this.byAddress.set(ip, pod);
    for (const set of ir.sets) this.sets.set(set.name, set);
    this.chains = new Map(ir.policyChains.map((c) => [c.name, c.rules]));
    this.clusterChains = new Map((ir.clusterChains ?? []).map((c) => [c.name, c]));
  }

  /** A local pod's address, or an address in this node's pod CIDRs (a pod the node does not know). */
  owns(ip: string): boolean {
    return this.byAddress.has(ip) || this.ir.podCidrs.some((c) => cidrContains(c, ip));
  }

  private inSet(name: string, ip: string): boolean {
    const set = this.sets.get(name);
    if (!set) throw new Error(`rule refers to missing set ${name}`);
    const elements = set.elements as readonly string[];
    return set.type === 'prefix' ? elements.some((p) => cidrContains(p, ip)) : elements.includes(ip);
  }

  private inPortSet(name: string, ip: string, protocol: string, port: number | undefined): boolean {
    const set = this.sets.get(name);
    if (!set) throw new Error(`rule refers to missing set ${name}`);
    return (set.elements as readonly AddressPort[]).some((e) => e.address === ip && e.protocol === protocol && e.port === port);
  }

  /** One rule's match: `[ip saddr|daddr @peers] [port match]`. */
  private matches(peer: PeerMatch, p: PortMatch, direction: Direction, f: IrFlow, family: IPFamily): boolean {
    const peerIp = direction === 'ingress' ? f.src : f.dst;
    if (peer.kind === 'set' && (peer.family !== family || !this.inSet(peer.set, peerIp))) return false;
    switch (p.kind) {
      case 'any': return true;
      case 'protocol': return f.protocol === p.protocol;
      case 'range': return f.protocol === p.protocol && f.port !== undefined && f.port >= p.from && f.port <= p.to;
      case 'named': return p.family === family && this.inPortSet(p.set, f.dst, f.protocol, f.port);
    }
  }

  /**
   * A tier's chain: for each policy in order whose subject holds the pod end,
   * a jump to its chain, where the first matching rule's verdict decides
   * (a Pass, 'return' here, leaves the whole tier: Admin's goto admin-*-pass,
   * Baseline's accept); no match returns to the tier chain, and falling off
   * the tier chain returns.
   */
  private walkTier(order: readonly string[] | undefined, direction: Direction, f: IrFlow, family: IPFamily): ClusterVerdict {
    const podIp = direction === 'ingress' ? f.dst : f.src;
    for (const name of order ?? []) {
      const chain = this.clusterChains.get(name);
      if (!chain) throw new Error(`tier jumps to missing chain ${name}`);
      const subject = chain.subjects.find((s) => s.family === family);
      if (subject !== undefined && this.inSet(subject.set, podIp)) {
        const hit = chain.rules.find((r) => this.matches(r.peer, r.port, direction, f, family));
        if (hit) return hit.verdict;
      }
    }
    return 'return';
  }

  /** The tier entries of a base chain: decided (true: accepted, false: dropped) or undefined to go on. */
  private tiersDecide(pod: LocalPod, direction: Direction, f: IrFlow, family: IPFamily): boolean | undefined {
    const entry = pod.tiers?.[direction];
    const order = this.ir.tiers?.[direction];
    if (entry?.admin === true) {
      // jump: accept and drop are final; a Pass (goto admin-*-pass: the rest of the base chain) or no match goes on.
      const v = this.walkTier(order?.admin, direction, f, family);
      if (v !== 'return') return v === 'accept';
    }
    // goto: only a drop denies; accept, a Pass (accept) and falling off (the tier chain's accept) allow.
    if (entry?.baseline === true) return this.walkTier(order?.baseline, direction, f, family) !== 'drop';
    return undefined;
  }

  /** Between a local pod and its own node (input or output hook): the tier entries alone. */
  passesWithNode(direction: Direction, f: IrFlow): boolean {
    const podIp = direction === 'ingress' ? f.dst : f.src;
    const pod = this.byAddress.get(podIp);
    if (!pod) return true;
    return this.tiersDecide(pod, direction, f, familyOf(podIp)) ?? true;
  }

  /** The base chain of a direction: tier entries, vmap dispatch, pod chain, fail-closed drop. True = not dropped. */
  passes(direction: Direction, f: IrFlow): boolean {
    const podIp = direction === 'ingress' ? f.dst : f.src;
    const otherIp = direction === 'ingress' ? f.src : f.dst;
    const family = familyOf(podIp);
    const pod = this.byAddress.get(podIp);
    if (!pod) return !this.ir.podCidrs.some((c) => cidrContains(c, podIp)); // unknown local address: fail closed
    const tiers = this.tiersDecide(pod, direction, f, family);
    if (tiers !== undefined) return tiers;
    const d = pod[direction];
    if (!d.isolated) return true; // map element: accept
    if (pod.ips.includes(otherIp)) return true; // self rule
    for (const chain of d.policyChains) {
      const rules = this.chains.get(chain);
      if (!rules) throw new Error(`pod chain ${d.chain} jumps to missing chain ${chain}`);
      if (rules.some((r) => this.matches(r.peer, r.port, direction, f, family))) return true;
    }
    return false; // counter drop
  }
}

/** The rulesets of a cluster's nodes, read as the kernel walks them. */
export class RulesetVerdicts {
  private readonly tables: Map<string, NodeTables>;

  constructor(irs: ReadonlyMap<string, NodeIR>) {
    this.tables = new Map([...irs].map(([name, ir]) => [name, new NodeTables(ir)]));
  }

  /** Whether the rulesets of the nodes a flow crosses let it through. */
  allows(f: IrFlow): boolean {
    if (f.src === f.dst) return true; // a pod talking to itself never leaves its namespace
    const tables = this.tables;
    // A pod's packets cross the forward hook of the node whose cni0 it sits on.
    const srcPodNode = f.srcNode !== undefined && tables.get(f.srcNode)?.owns(f.src) ? f.srcNode : undefined;
    const dstPodNode = f.dstNode !== undefined && tables.get(f.dstNode)?.owns(f.dst) ? f.dstNode : undefined;
    // Between a pod and its own node the packet uses input/output, not forward.
    if (srcPodNode !== undefined && srcPodNode === f.dstNode && dstPodNode === undefined) return (tables.get(srcPodNode) as NodeTables).passesWithNode('egress', f);
    if (dstPodNode !== undefined && dstPodNode === f.srcNode && srcPodNode === undefined) return (tables.get(dstPodNode) as NodeTables).passesWithNode('ingress', f);
    const hops = [...new Set([srcPodNode, dstPodNode].filter((n): n is string => n !== undefined))];
    return hops.every((n) => {
      const t = tables.get(n) as NodeTables;
      return t.passes('egress', f) && t.passes('ingress', f);
    });
  }
}
