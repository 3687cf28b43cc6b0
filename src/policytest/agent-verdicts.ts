// `nftpol test --dataplane agent`: the kernel lab of `--dataplane kernel` (src/lab, laid out
// by kernel-layout.ts), but nftpol applies no table itself: each lab node runs one real
// `nftpol agent --source files:DIR --node NAME` inside its network namespace, on a folder
// of its own. For each state of a test the runner writes the state into every folder as a
// user would (agent-folder.ts: one file per object, new and changed files written beside
// and renamed over, deleted objects' files removed), waits until every agent reports
// through /status that its kernel holds that folder's revision (agent-wait.ts), flushes
// conntrack, then probes as the kernel dataplane does. So a test's later states reach the
// kernel the way a change reaches a node: by the agent's watch, coalescing and delta.
//
// A few lanes, each one lab network with its agents at a time (a state with denied flows
// mostly waits for probe timeouts, so two lanes halve a run): each lane takes the next
// world, preferring one its network fits, a test's states in order on one lane; a world
// with other nodes or pods gets a new network and new agents. Before the agents are trusted with a world, the
// folder is read back as the agent reads it and each node's table compiled from it must
// equal the one the lab was laid out for (same placement, same addresses): otherwise the
// probes would test another cluster than the one the agents enforce.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compileForNode } from '../compile/compile-for-node.ts';
import { compileNode } from '../compile/compile-node.ts';
import type { NodeIR } from '../compile/ir.ts';
import { formatProblem } from '../model/problems.ts';
import { hasErrors, loadManifests, placeAndAddress } from '../sources/load-cluster.ts';
import { NodeAgentProcess } from '../lab/agent-process.ts';
import { cleanupOrphans } from '../lab/cleanup.ts';
import { run } from '../lab/commands.ts';
import { DEFAULT_PROBE_CONCURRENCY, DEFAULT_PROBE_RETRIES, DEFAULT_PROBE_TIMEOUT_MS } from '../lab/probe.ts';
import { InvalidWorldError, type LabTopology, type WorldSpec } from '../lab/spec.ts';
import { buildWorld, type World } from '../lab/world.ts';
import { kernelDataplanePrerequisites } from './kernel-verdicts.ts';
import { labProbe, labSpec, placeWorld, type LabProbe, type PlacedWorld } from './kernel-layout.ts';
import { moveFolder, revisionOf, worldFiles, type FolderFiles } from './agent-folder.ts';
import { AgentDataplaneError, DEFAULT_REVISION_TIMEOUT_MS, untilAtRevision } from './agent-wait.ts';
import type { TestWorld } from './load-test-world.ts';
import { answerOnLab } from './lab-answers.ts';
import type { FlowAnswer, FlowQuestion, VerdictSource, WorldQuestions } from './verdict-source.ts';
import { VerdictSourceUnavailableError } from './verdict-source.ts';

export interface AgentVerdictOptions {
  /** argv that runs nftpol (`agent` and its flags follow), e.g. [node, …/cli/nftpol-main.js]. */
  readonly command: readonly string[];
  /** More flags for every agent (tests use it to make one fail). */
  readonly agentArgs?: readonly string[];
  /** How long every agent has to reach a state's revision (default 30 s). */
  readonly revisionTimeoutMs?: number;
  readonly probeTimeoutMs?: number;
  readonly retries?: number;
  readonly concurrency?: number;
  /** Lab networks (each with its own agents) worlds are spread over. Default 2. */
  readonly lanes?: number;
  /** How the lab wires pods: `bridge` (default) or `routed` (see KernelVerdictOptions.topology). */
  readonly topology?: LabTopology;
}

export const DEFAULT_AGENT_LANES = 2;

/** Timings of a run (summed over lanes), for the tests' logs and comparisons with the kernel dataplane. */
export interface AgentTimings {
  networks: number;
  buildMs: number;
  /** States written to the folders. */
  states: number;
  /** From writing a state's files to every agent at its revision. */
  syncMs: number;
  probeMs: number;
  probes: number;
  ruleLevel: number;
  /** Node tables the agents moved to a state by a delta, and by replacing the whole table (their first). */
  deltas: number;
  replaces: number;
}

const RULE_LEVEL = 'rule-level (no SCTP sockets): the table the agent applied, read for this flow';

interface Network {
  readonly key: string;
  readonly world: World;
  readonly root: string;
  readonly dirs: ReadonlyMap<string, string>;
  agents: Map<string, NodeAgentProcess>;
  /** What the folders hold now. */
  files: FolderFiles;
}

/** One lab network at a time, used by one world at a time. */
interface Lane {
  network: Network | undefined;
}

/** A world as messages name it: its test file and state, or the resources it is made of. */
function worldLabel(world: TestWorld): string {
  const seq = world.sequence;
  if (seq) return `${seq.key.replace(/#(\d+)$/, ' document $1')}, ${seq.state === 0 ? 'its starting state' : `the state after steps[${seq.state - 1}]`}`;
  // The loader's keys: the resource paths (JSON), then #file#document for a test with objects of its own.
  const own = /^(\[.*\])#(.*)#(\d+)$/.exec(world.key);
  if (own) return `the world of ${own[2] as string} document ${own[3] as string}`;
  return `the world of ${world.key}`;
}

/** Every node's table compiled from the folder as the agent reads it, or why that cannot be. */
async function agentTables(dir: string, nodes: readonly string[], what: string): Promise<Map<string, NodeIR>> {
  const loaded = await loadManifests([dir]);
  if (hasErrors(loaded.problems)) {
    const errors = loaded.problems.filter((p) => p.severity === 'error').map((p) => `    ${formatProblem(p)}`);
    throw new AgentDataplaneError(`the agents would refuse the folder written for ${what} (an agent validates strictly, whatever --validate says):\n${errors.join('\n')}`);
  }
  const objects = placeAndAddress(loaded.objects);
  const out = new Map<string, NodeIR>();
  for (const node of nodes) {
    const compiled = compileForNode(objects, node);
    if (!compiled.ok) throw new AgentDataplaneError(`the agent of node ${node} would not know its node (the folder knows ${compiled.known.join(', ')})`);
    out.set(node, compiled.ir);
  }
  return out;
}

export class AgentVerdictSource implements VerdictSource {
  readonly name = 'agent' as const;
  readonly timings: AgentTimings = { networks: 0, buildMs: 0, states: 0, syncMs: 0, probeMs: 0, probes: 0, ruleLevel: 0, deltas: 0, replaces: 0 };
  private readonly options: Required<AgentVerdictOptions>;
  private readonly placed = new Map<TestWorld, PlacedWorld>();
  private readonly planned = new Map<string, { worlds: PlacedWorld[]; probes: LabProbe[] }>();
  private readonly decided = new Map<TestWorld, { cases: readonly FlowQuestion[]; answers: readonly FlowAnswer[] }>();
  private readonly lanes: Lane[] = [];
  private ready: Promise<void> | undefined;

  constructor(options: AgentVerdictOptions) {
    this.options = {
      command: options.command,
      agentArgs: options.agentArgs ?? [],
      revisionTimeoutMs: options.revisionTimeoutMs ?? DEFAULT_REVISION_TIMEOUT_MS,
      probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      retries: options.retries ?? DEFAULT_PROBE_RETRIES,
      concurrency: options.concurrency ?? DEFAULT_PROBE_CONCURRENCY,
      lanes: Math.max(1, Math.floor(options.lanes ?? DEFAULT_AGENT_LANES)),
      topology: options.topology ?? 'bridge',
    };
  }

  /** What the kernel dataplane needs, and socat for the relay to each agent's endpoints. */
  private checkMachine(): Promise<void> {
    return (this.ready ??= (async () => {
      const missing = await kernelDataplanePrerequisites();
      const socat = await run(['socat', '-V'], { reject: false, timeoutMs: 10_000 }).catch(() => undefined);
      if (socat?.exitCode !== 0) missing.push('no working `socat` on PATH: it relays each agent\'s endpoints out of its node\'s network namespace');
      if (missing.length > 0) throw new VerdictSourceUnavailableError(`the agent dataplane cannot run here:\n  - ${missing.join('\n  - ')}`);
      await cleanupOrphans();
    })());
  }

  private place(world: TestWorld): PlacedWorld {
    let p = this.placed.get(world);
    if (!p) this.placed.set(world, (p = placeWorld(world)));
    return p;
  }

  private plan(placed: PlacedWorld, cases: readonly FlowQuestion[]): void {
    const plan = this.planned.get(placed.networkKey) ?? { worlds: [], probes: [] };
    plan.worlds.push(placed);
    for (const c of cases) {
      const probe = labProbe(placed, c.flow);
      if (probe) plan.probes.push(probe);
    }
    this.planned.set(placed.networkKey, plan);
  }

  /** Decides every world over a few lanes: a lane keeps to worlds its network fits, a test's states in order on one lane. */
  async prepare(worlds: readonly WorldQuestions[]): Promise<void> {
    await this.checkMachine();
    type Item = { placed: PlacedWorld; question: WorldQuestions };
    const jobs: Item[][] = [];
    const sequences = new Map<string, Item[]>();
    for (const question of worlds) {
      const placed = this.place(question.world);
      this.plan(placed, question.cases);
      const item = { placed, question };
      const seq = question.world.sequence;
      const chain = seq && sequences.get(seq.key);
      if (chain) chain.push(item);
      else {
        jobs.push([item]);
        if (seq) sequences.set(seq.key, jobs[jobs.length - 1] as Item[]);
      }
    }
    for (const chain of sequences.values()) chain.sort((a, b) => (a.question.world.sequence?.state ?? 0) - (b.question.world.sequence?.state ?? 0));
    const lanes = Math.min(this.options.lanes, jobs.length);
    while (this.lanes.length < lanes) this.lanes.push({ network: undefined });
    let failed = false;
    const work = async (lane: Lane): Promise<void> => {
      while (!failed && jobs.length > 0) {
        // Prefer a world the lane's network already fits: no new network, no new agents.
        let i = jobs.findIndex((j) => j[0]?.placed.networkKey === lane.network?.key);
        if (i < 0) i = 0;
        const [job] = jobs.splice(i, 1);
        if (!job) break;
        try {
          for (const item of job) {
            const answers = await this.decide(lane, item.placed, item.question.cases);
            this.decided.set(item.question.world, { cases: item.question.cases, answers });
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
    const placed = this.place(world);
    this.plan(placed, cases);
    if (this.lanes.length === 0) this.lanes.push({ network: undefined });
    const lane = this.lanes[0] as Lane;
    // Not seen by prepare(): its ports may not be served yet, so its network is built anew.
    if (lane.network?.key === placed.networkKey) await this.dropNetwork(lane);
    return this.decide(lane, placed, cases);
  }

  /** One world: its folder written, every agent at its revision, conntrack flushed, every flow probed or read. */
  private async decide(lane: Lane, placed: PlacedWorld, cases: readonly FlowQuestion[]): Promise<FlowAnswer[]> {
    const { world } = placed;
    const network = await this.networkFor(lane, placed);
    const files = worldFiles(world);
    const t0 = performance.now();
    await Promise.all([...network.dirs.values()].map((dir) => moveFolder(dir, network.files, files)));
    network.files = files;
    const expected = new Map(placed.nodes.map((n) => [n, compileNode(placed.engine, n)]));
    const first = network.dirs.get(placed.nodes[0] as string) as string;
    const enforced = await agentTables(first, placed.nodes, worldLabel(world));
    const differ = placed.nodes.filter((n) => JSON.stringify(enforced.get(n)) !== JSON.stringify(expected.get(n)));
    if (differ.length > 0) {
      throw new AgentDataplaneError(
        `the agent dataplane cannot run ${worldLabel(world)}: read from its folder, the table of node${differ.length === 1 ? '' : 's'} ${differ.join(', ')} ` +
          'would differ from the one the lab is laid out for (the agents would place pods or give them addresses otherwise, e.g. host-network pods on no node); use --dataplane kernel for it',
      );
    }
    if (network.agents.size === 0) {
      network.agents = new Map(placed.nodes.map((node, i) => [node, NodeAgentProcess.start({
        netnsPrefix: network.world.nodeCommandPrefix(node), command: this.options.command, node,
        dir: network.dirs.get(node) as string, socket: path.join(network.root, `agent-${i}.sock`),
        // A routed node has no bridge, so no br_netfilter to require (and the lab keeps it off there).
        extraArgs: [...(this.options.topology === 'routed' ? ['--no-bridge-netfilter-check'] : []), ...this.options.agentArgs],
      })]));
    }
    const wait = { revision: revisionOf(first, files), what: worldLabel(world), timeoutMs: this.options.revisionTimeoutMs };
    const statuses = await Promise.all([...network.agents.values()].map((a) => untilAtRevision(a, wait)));
    // A table the agent wrote for this revision, and how (an unchanged table writes nothing).
    for (const s of statuses) if (s.lastApply?.revision === wait.revision) this.timings[s.lastApply.kind === 'delta' ? 'deltas' : 'replaces']++;
    // Connections of the previous world must not pass as established under this one's rules.
    await Promise.all(placed.nodes.map((n) => network.world.inNode(n, ['conntrack', '-F'])));
    const t1 = performance.now();
    this.timings.states++;
    this.timings.syncMs += t1 - t0;

    const probes = cases.map((c) => labProbe(placed, c.flow));
    // The tables read for a flow with no probe are the agents' own (compiled from their folder, and
    // equal to the lab's, checked above).
    const settings = { timeoutMs: this.options.probeTimeoutMs, retries: this.options.retries, concurrency: this.options.concurrency };
    const { answers, probed, ruleLevel, probeMs } = await answerOnLab(network.world, placed, cases, probes, settings, () => enforced, RULE_LEVEL);
    this.timings.probeMs += probeMs;
    this.timings.probes += probed;
    this.timings.ruleLevel += ruleLevel;
    return answers;
  }

  /** The network for a world: the current one when it has the same nodes and pods, else a new one (agents not started yet). */
  private async networkFor(lane: Lane, placed: PlacedWorld): Promise<Network> {
    if (lane.network?.key === placed.networkKey) return lane.network;
    await this.dropNetwork(lane);
    const plan = this.planned.get(placed.networkKey);
    const spec: WorldSpec = { ...labSpec(plan?.worlds ?? [placed], plan?.probes ?? []), topology: this.options.topology };
    const t0 = performance.now();
    let world: World;
    try {
      world = await buildWorld(spec);
    } catch (err) {
      if (err instanceof InvalidWorldError) {
        throw new VerdictSourceUnavailableError(`the agent dataplane cannot build the test world ${placed.world.key}: ${err.message}`);
      }
      throw err;
    }
    this.timings.buildMs += performance.now() - t0;
    this.timings.networks++;
    const root = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agents-'));
    // A folder per node, named by the node when the name is a plain one.
    // ('#' is in no Kubernetes name, so the two forms never meet).
    const dirs = new Map(placed.nodes.map((n, i) => [n, path.join(root, /^[a-z0-9][a-z0-9.-]*$/.test(n) ? n : `node#${i}`)]));
    lane.network = { key: placed.networkKey, world, root, dirs, agents: new Map(), files: new Map() };
    return lane.network;
  }

  /** Stops the agents (their tables stay until the namespaces go), then the network and the folders. */
  private async dropNetwork(lane: Lane): Promise<void> {
    const n = lane.network;
    lane.network = undefined;
    if (!n) return;
    try {
      await Promise.allSettled([...n.agents.values()].map((a) => a.stop()));
      await n.world.destroy();
    } finally {
      await rm(n.root, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    const settled = await Promise.allSettled(this.lanes.map((l) => this.dropNetwork(l)));
    const error = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error) throw error.reason;
  }
}

export function createAgentVerdictSource(options: AgentVerdictOptions): AgentVerdictSource {
  return new AgentVerdictSource(options);
}
