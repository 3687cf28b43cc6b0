// `nftpol test --dataplane kernel`: every case decided by real packets through the
// rulesets nftpol compiles, applied with nft in a canal-style lab world (network
// namespaces: nodes with cni0 + flannel vxlan, pods on veths, outside hosts behind node
// uplinks; see src/lab/README.md).
//
// Per test world: place the pods on nodes (kernel-layout.ts), compile each node's IR,
// replace each node's table in one transaction, flush conntrack in each node, then send
// every TCP and UDP flow at once. SCTP flows (this kernel has no SCTP sockets) are
// decided at rule level: the applied ruleset (nft accepted it, so it is valid) read for
// the flow as the kernel walks it (compile/ir-verdict.ts), reported as checked by `rules`.
//
// Worlds sharing nodes and pods share one lab network, built once for all of them
// (prepare() sees every world first, so it knows every outside host and port); a world
// with other pods or nodes gets a network of its own, and the previous one is torn down.
// prepare() decides every world at once over a few lanes (copies of the network), each
// taking the next world, preferring one its network already fits; verdicts() then
// hands out the answers.
//
// The states of a test with steps (TestWorld.sequence) are one job: decided in order on
// one lane, and each state after the first moves every node's table by a delta from the
// state before (the Syncers run with `deltas`, as the agent's do), not by a fresh table.
// Every other world, and a state whose network had to be rebuilt, replaces the tables.
import { compileNode } from '../compile/compile-node.ts';
import type { NodeIR } from '../compile/ir.ts';
import { execNftRunner } from '../dataplane/nft-runner.ts';
import { Syncer } from '../dataplane/syncer.ts';
import { BridgeNetfilterError, commandSysctls } from '../dataplane/bridge-netfilter.ts';
import { cleanupOrphans } from '../lab/cleanup.ts';
import { run } from '../lab/commands.ts';
import { kernelPrerequisites } from '../lab/prerequisites.ts';
import { DEFAULT_PROBE_CONCURRENCY, DEFAULT_PROBE_RETRIES, DEFAULT_PROBE_TIMEOUT_MS } from '../lab/probe.ts';
import { InvalidWorldError, type LabTopology, type WorldSpec } from '../lab/spec.ts';
import { buildWorld, type World } from '../lab/world.ts';
import type { VerdictSource, FlowAnswer, FlowQuestion, WorldQuestions } from './verdict-source.ts';
import { VerdictSourceUnavailableError } from './verdict-source.ts';
import { labProbe, labSpec, placeWorld, type LabProbe, type PlacedWorld } from './kernel-layout.ts';
import type { TestWorld } from './load-test-world.ts';
import { answerOnLab } from './lab-answers.ts';

export interface KernelVerdictOptions {
  /** How long a probe waits for the answer before the flow counts as denied. Default 1000 ms. */
  readonly probeTimeoutMs?: number;
  /** A deny is probed again this many times before it stands (default 1). */
  readonly retries?: number;
  /** Probes in flight at once, per lab network. Default 1024. */
  readonly concurrency?: number;
  /**
   * Lab networks worlds are spread over (each with its own copy of the nodes and pods), so
   * several worlds are probed at once: a world with denied flows mostly waits for probe
   * timeouts. Default 4.
   */
  readonly lanes?: number;
  /**
   * How the lab wires pods (src/lab/spec.ts): `bridge` (default; flannel's cni0 and vxlan)
   * or `routed` (kindnet, Calico, CNI ptp: a veth and a /32 route per pod, no bridge).
   */
  readonly topology?: LabTopology;
}

export const DEFAULT_LANES = 4;

/** Timings of a run, for benchmarks and the kernel tests' logs. */
export interface KernelTimings {
  networks: number;
  buildMs: number;
  applyMs: number;
  probeMs: number;
  probes: number;
  ruleLevel: number;
  /** Node tables moved by a delta script (a test's later states), not replaced. */
  deltaSyncs: number;
}

const RULE_LEVEL = 'rule-level (no SCTP sockets): the applied rulesets read for this flow';

/** What the kernel dataplane needs on this machine; empty when everything is there. */
export async function kernelDataplanePrerequisites(): Promise<string[]> {
  const missing = [...(await kernelPrerequisites())];
  const conntrack = await run(['conntrack', '--version'], { reject: false, timeoutMs: 10_000 }).catch(() => undefined);
  if (conntrack?.exitCode !== 0) missing.push('no working `conntrack` on PATH (conntrack-tools): needed to flush connection tracking between test worlds');
  return missing;
}

interface Network {
  readonly key: string;
  readonly spec: WorldSpec;
  readonly world: World;
  /** "id" and "id PROTOCOL port" of what the network serves. */
  readonly serves: ReadonlySet<string>;
  readonly syncers: ReadonlyMap<string, Syncer>;
}

const serviceKey = (id: string, protocol: string, port: number): string => `${id} ${protocol} ${port}`;

function servesOf(spec: WorldSpec): Set<string> {
  const out = new Set<string>();
  const add = (id: string, tcp: readonly number[] = [], udp: readonly number[] = []): void => {
    out.add(id);
    for (const p of tcp) out.add(serviceKey(id, 'TCP', p));
    for (const p of udp) out.add(serviceKey(id, 'UDP', p));
  };
  for (const n of spec.nodes) add(n.name, n.tcpPorts, n.udpPorts);
  for (const p of spec.pods) add(p.id, p.tcpPorts, p.udpPorts);
  for (const h of spec.outsideHosts ?? []) add(h.id, h.tcpPorts, h.udpPorts);
  return out;
}

/** One lab network at a time, used by one world at a time. */
class Lane {
  network: Network | undefined;
}

export class KernelVerdictSource implements VerdictSource {
  readonly name = 'kernel' as const;
  readonly timings: KernelTimings = { networks: 0, buildMs: 0, applyMs: 0, probeMs: 0, probes: 0, ruleLevel: 0, deltaSyncs: 0 };
  private readonly options: Required<KernelVerdictOptions>;
  private readonly placed = new Map<TestWorld, PlacedWorld>();
  /** Per network key: the worlds and probes prepare() saw. */
  private readonly planned = new Map<string, { worlds: PlacedWorld[]; probes: LabProbe[] }>();
  /** Answers decided by prepare(), per world and the very list of cases it was given. */
  private readonly decided = new Map<TestWorld, { cases: readonly FlowQuestion[]; answers: readonly FlowAnswer[] }>();
  private readonly lanes: Lane[] = [];
  private ready: Promise<void> | undefined;

  constructor(options: KernelVerdictOptions = {}) {
    this.options = {
      probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      retries: options.retries ?? DEFAULT_PROBE_RETRIES,
      concurrency: options.concurrency ?? DEFAULT_PROBE_CONCURRENCY,
      lanes: Math.max(1, Math.floor(options.lanes ?? DEFAULT_LANES)),
      topology: options.topology ?? 'bridge',
    };
  }

  /** Root, nft, ip, bridge, br_netfilter, conntrack: or VerdictSourceUnavailableError listing what is missing. */
  private checkMachine(): Promise<void> {
    return (this.ready ??= (async () => {
      const missing = await kernelDataplanePrerequisites();
      if (missing.length > 0) {
        throw new VerdictSourceUnavailableError(`the kernel dataplane cannot run here:\n  - ${missing.join('\n  - ')}`);
      }
      await cleanupOrphans();
    })());
  }

  private place(world: TestWorld): PlacedWorld {
    let p = this.placed.get(world);
    if (!p) this.placed.set(world, (p = placeWorld(world)));
    return p;
  }

  /** Plans one network per set of worlds sharing nodes and pods, then decides every world, several at once. */
  async prepare(worlds: readonly WorldQuestions[]): Promise<void> {
    await this.checkMachine();
    type Item = { placed: PlacedWorld; question: WorldQuestions };
    const jobs: Item[][] = [];
    const sequences = new Map<string, Item[]>();
    for (const question of worlds) {
      const placed = this.place(question.world);
      const plan = this.planned.get(placed.networkKey) ?? { worlds: [], probes: [] };
      plan.worlds.push(placed);
      for (const c of question.cases) {
        const probe = labProbe(placed, c.flow);
        if (probe) plan.probes.push(probe);
      }
      this.planned.set(placed.networkKey, plan);
      const item = { placed, question };
      const seq = question.world.sequence;
      const chain = seq && sequences.get(seq.key);
      if (chain) chain.push(item);
      else {
        jobs.push([item]);
        if (seq) sequences.set(seq.key, jobs[jobs.length - 1] as Item[]);
      }
    }
    // A test's states in order: each is a delta on the one before.
    for (const chain of sequences.values()) chain.sort((a, b) => (a.question.world.sequence?.state ?? 0) - (b.question.world.sequence?.state ?? 0));
    const lanes = Math.min(this.options.lanes, jobs.length);
    while (this.lanes.length < lanes) this.lanes.push(new Lane());
    let failed = false;
    const work = async (lane: Lane): Promise<void> => {
      while (!failed && jobs.length > 0) {
        // Prefer a world the lane's network already fits: no rebuild.
        let i = jobs.findIndex((j) => j[0]?.placed.networkKey === lane.network?.key);
        if (i < 0) i = 0;
        const [job] = jobs.splice(i, 1);
        if (!job) break;
        try {
          let previous: Network | undefined;
          for (const item of job) {
            const answers = await this.decide(lane, item.placed, item.question.cases, previous);
            this.decided.set(item.question.world, { cases: item.question.cases, answers });
            previous = lane.network;
          }
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    const settled = await Promise.allSettled(this.lanes.slice(0, lanes).map(work));
    const error = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error) throw error.reason;
  }

  async verdicts(world: TestWorld, cases: readonly FlowQuestion[]): Promise<readonly FlowAnswer[]> {
    const done = this.decided.get(world);
    if (done?.cases === cases) return done.answers;
    await this.checkMachine();
    if (this.lanes.length === 0) this.lanes.push(new Lane());
    return this.decide(this.lanes[0] as Lane, this.place(world), cases);
  }

  /**
   * One world on one lane: its tables on every node, conntrack flushed, every flow probed
   * or read. `after` is the network the state before this one (of the same test) was
   * applied on: when it is still the lane's, the tables move by deltas.
   */
  private async decide(lane: Lane, placed: PlacedWorld, cases: readonly FlowQuestion[], after?: Network): Promise<readonly FlowAnswer[]> {
    const world = placed.world;
    const probes = cases.map((c) => labProbe(placed, c.flow));
    const network = await this.networkFor(lane, placed, probes.filter((p): p is LabProbe => p !== undefined));
    const delta = after !== undefined && after === network;
    const t0 = performance.now();
    const irs = new Map<string, NodeIR>(placed.nodes.map((n) => [n, compileNode(placed.engine, n)]));
    await Promise.all(
      placed.nodes.map(async (n) => {
        let result;
        try {
          result = await (network.syncers.get(n) as Syncer).sync(irs.get(n) as NodeIR, { force: !delta });
        } catch (err) {
          // The node cannot filter bridged traffic: nothing this dataplane said would be true.
          if (err instanceof BridgeNetfilterError) throw new VerdictSourceUnavailableError(`node ${n}: ${err.message}`);
          throw err;
        }
        if (result.applied && result.script === 'delta') this.timings.deltaSyncs++;
        // attempts 0: the delta was empty, the table already is this state's.
        if (!result.applied && result.attempts > 0) {
          throw new Error(`nft refused the ruleset nftpol compiled for node ${n} (test world ${world.key}): ${result.error ?? 'unknown error'}`);
        }
      }),
    );
    // Connections of the previous world must not pass as established under this one's rules.
    await Promise.all(placed.nodes.map((n) => network.world.inNode(n, ['conntrack', '-F'])));
    const t1 = performance.now();

    const settings = { timeoutMs: this.options.probeTimeoutMs, retries: this.options.retries, concurrency: this.options.concurrency };
    const { answers, probed, ruleLevel, probeMs } = await answerOnLab(network.world, placed, cases, probes, settings, () => irs, RULE_LEVEL);
    this.timings.applyMs += t1 - t0;
    this.timings.probeMs += probeMs;
    this.timings.probes += probed;
    this.timings.ruleLevel += ruleLevel;
    return answers;
  }

  /** The lab network for a world on a lane: the lane's when it fits, else a new one (the old one goes). */
  private async networkFor(lane: Lane, placed: PlacedWorld, probes: readonly LabProbe[]): Promise<Network> {
    const key = placed.networkKey;
    const current = lane.network;
    const fits = (n: Network): boolean =>
      n.key === key && probes.every((p) => n.serves.has(p.from) && n.serves.has(serviceKey(p.target, p.protocol, p.port)));
    if (current && fits(current)) return current;
    const plan = this.planned.get(key);
    const spec: WorldSpec = { ...labSpec(plan?.worlds ?? [placed], [...(plan?.probes ?? []), ...probes]), topology: this.options.topology };
    lane.network = undefined;
    await current?.world.destroy();
    const t0 = performance.now();
    let world: World;
    try {
      world = await buildWorld(spec);
    } catch (err) {
      if (err instanceof InvalidWorldError) {
        throw new VerdictSourceUnavailableError(`the kernel dataplane cannot build the test world ${placed.world.key}: ${err.message}`);
      }
      throw err;
    }
    this.timings.buildMs += performance.now() - t0;
    this.timings.networks++;
    // A routed node has no bridge: no br_netfilter to require (its nodes keep it off, as
    // `nftpol agent --no-bridge-netfilter-check` would on such a node).
    const routed = this.options.topology === 'routed';
    const syncers = new Map(
      placed.nodes.map((n) => [n, new Syncer({
        // deltas: a test's later states are applied as the agent would apply them (forced syncs still replace).
        runner: execNftRunner({ prefix: world.nodeCommandPrefix(n) }), attempts: 1, bridge: routed ? false : commandSysctls(world.nodeCommandPrefix(n)), deltas: true,
      })]),
    );
    lane.network = { key, spec, world, serves: servesOf(spec), syncers };
    return lane.network;
  }

  async close(): Promise<void> {
    const networks = this.lanes.map((l) => l.network);
    for (const l of this.lanes) l.network = undefined;
    const settled = await Promise.allSettled(networks.map((n) => n?.world.destroy()));
    const error = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error) throw error.reason;
  }
}

export function createKernelVerdictSource(options: KernelVerdictOptions = {}): KernelVerdictSource {
  return new KernelVerdictSource(options);
}
