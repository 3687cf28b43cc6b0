// `nftpol demo`: the scenario's steps on a two-node canal-style world in network
// namespaces (src/lab), each node enforced by a real `nftpol agent` on a folder of its own
// (src/lab/agent-process.ts, as `nftpol test --dataplane agent` runs them). Each step is
// written into the folders atomically (policytest/agent-folder.ts), awaited until every
// agent's /status says its kernel holds the folder's revision (policytest/agent-wait.ts,
// a poll, never a sleep), then the whole matrix is probed with real connections and set
// beside the engine's. Without what the lab needs (root, nft, ip, socat, …) it answers from
// the engine alone, and says so.
//
// Cleanup: the world's namespaces (and everything running in them: agents, their relays,
// the endpoint processes) belong to the lab's RunResources, which removes them on a normal
// end, on exit, on SIGINT/SIGTERM/SIGHUP and, through its guardian, when this process is
// killed. The folders are the demo's own: removed at the end, and by a handler of its own
// on those signals, run before the lab's (which then re-raises the signal).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NodeAgentProcess } from '../lab/agent-process.ts';
import { cleanupOrphans } from '../lab/cleanup.ts';
import { run } from '../lab/commands.ts';
import { listNetns } from '../lab/netns.ts';
import { kernelPrerequisites } from '../lab/prerequisites.ts';
import { buildWorld, type World } from '../lab/world.ts';
import { moveFolder, revisionOf, type FolderFiles } from '../policytest/agent-folder.ts';
import { DEFAULT_REVISION_TIMEOUT_MS, untilAtRevision } from '../policytest/agent-wait.ts';
import { kernelArrival, type KernelArrival } from './kernel-timing.ts';
import { demoWorldSpec, disagreements, networkShape, probeMatrix, type LiveMatrix } from './live-matrix.ts';
import { DEFAULT_SCENARIO_ROOT, loadScenario, ScenarioError, type DemoStep } from './scenario.ts';

export interface DemoDeps {
  /** argv that runs nftpol (`agent` and its flags follow). */
  readonly command: readonly string[];
  /** What is missing for the live run; empty when nothing is. Tests simulate a missing tool here. */
  readonly prerequisites?: () => Promise<string[]>;
  readonly scenarioRoot?: string;
  readonly revisionTimeoutMs?: number;
  readonly probeTimeoutMs?: number;
}

export interface DemoOptions {
  /** Leave the world up after the last step, until SIGINT/SIGTERM. */
  readonly keep?: boolean;
}

export interface StepResult {
  readonly step: DemoStep;
  /** Folder revision of the step (the files source's digest). */
  readonly revision: string;
  /** null in a model-only run. */
  readonly live: LiveMatrix | null;
  /** Per node, how and how fast the step reached its kernel (empty in a model-only run). */
  readonly kernel: readonly KernelArrival[];
  /** [from, to] cells where the kernel and the engine disagree. */
  readonly disagree: readonly (readonly [string, string])[];
}

export interface LiveWorldInfo {
  readonly prefix: string;
  readonly buildMs: number;
  readonly nodes: readonly { readonly name: string; readonly netns: string; readonly folder: string; readonly socket: string }[];
  readonly pods: readonly { readonly id: string; readonly netns: string; readonly ip: string; readonly node: string; readonly tcpPorts: readonly number[] }[];
  /** The folders' parent: agent folders and their endpoint sockets. */
  readonly root: string;
  readonly agentCommand: readonly string[];
}

export type DemoEvent =
  | { readonly type: 'model-only'; readonly missing: readonly string[] }
  | { readonly type: 'world'; readonly world: LiveWorldInfo }
  | { readonly type: 'step'; readonly result: StepResult }
  | { readonly type: 'keep'; readonly world: LiveWorldInfo; readonly pid: number; readonly last: StepResult | undefined }
  | { readonly type: 'interrupted'; readonly signal: NodeJS.Signals };

export interface DemoCleanup {
  /** Namespaces of the run still there after teardown (none, when it worked). */
  readonly netnsLeft: readonly string[];
  readonly folderRemoved: boolean;
}

export interface DemoOutcome {
  readonly mode: 'kernel' | 'model';
  readonly missing: readonly string[];
  readonly world: LiveWorldInfo | null;
  readonly steps: readonly StepResult[];
  /** Every step's live matrix equals the engine's (true in a model-only run). */
  readonly agree: boolean;
  /** Why the live run stopped before its last step (an agent died, refused, never got there). */
  readonly failure: string | null;
  readonly cleanup: DemoCleanup | null;
}

/** The lab's needs and socat, which relays each agent's endpoints out of its node's netns. */
export async function demoPrerequisites(): Promise<string[]> {
  const missing = [...(await kernelPrerequisites())];
  const socat = await run(['socat', '-V'], { reject: false, timeoutMs: 10_000 }).catch(() => undefined);
  if (socat?.exitCode !== 0) missing.push("no working `socat` on PATH: it relays each agent's /status out of its node's network namespace");
  return missing;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Removes `dir` on exit and on the signals, before the lab's handlers; returns the undo. */
function removeOnSignal(dir: string, onSignal: (signal: NodeJS.Signals) => void): () => void {
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const handler = (signal: NodeJS.Signals): void => {
    undo();
    onSignal(signal);
    remove();
    // The lab's handler (still registered when a world is up) removes the namespaces and
    // re-raises; with none left, re-raise here so the signal ends the process as it would.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const undo = (): void => {
    for (const s of SIGNALS) process.off(s, handler);
    process.off('exit', remove);
  };
  for (const s of SIGNALS) process.on(s, handler);
  process.on('exit', remove);
  return undo;
}

/** The steps from the engine alone. */
function modelSteps(steps: readonly DemoStep[]): StepResult[] {
  return steps.map((step) => ({ step, revision: revisionOf('.', step.files), live: null, kernel: [], disagree: [] }));
}

/** Runs the demo; `emit` hears each stage as it happens. Throws ScenarioError on an unreadable scenario. */
export async function runDemo(deps: DemoDeps, options: DemoOptions, emit: (e: DemoEvent) => void): Promise<DemoOutcome> {
  const steps = await loadScenario(deps.scenarioRoot ?? DEFAULT_SCENARIO_ROOT);
  const first = steps[0];
  if (!first) throw new ScenarioError('the demo scenario has no steps');
  const shape = networkShape(first.objects, first.expected);
  for (const s of steps) {
    if (networkShape(s.objects, s.expected) !== shape) throw new ScenarioError(`demo scenario step ${s.dir} changes nodes, pods, addresses or ports: only policy and labels may change`);
    for (const e of s.expected.endpoints) {
      if (!s.objects.pods.some((p) => `${p.namespace}/${p.name}` === e.id && p.ports.length > 0)) throw new ScenarioError(`demo scenario step ${s.dir}: pod ${e.id} declares no container port to probe`);
    }
  }
  const missing = await (deps.prerequisites ?? demoPrerequisites)();
  if (missing.length > 0) {
    emit({ type: 'model-only', missing });
    const results = modelSteps(steps);
    for (const result of results) emit({ type: 'step', result });
    return { mode: 'model', missing, world: null, steps: results, agree: true, failure: null, cleanup: null };
  }
  await cleanupOrphans();
  const root = mkdtempSync(path.join(os.tmpdir(), 'nftpol-demo-'));
  const undoSignals = removeOnSignal(root, (signal) => emit({ type: 'interrupted', signal }));
  let world: World | undefined;
  const agents: NodeAgentProcess[] = [];
  const results: StepResult[] = [];
  let info: LiveWorldInfo | null = null;
  let failure: string | null = null;
  try {
    const t0 = performance.now();
    world = await buildWorld(demoWorldSpec(first.objects, first.expected));
    const built = world;
    const buildMs = Math.round(performance.now() - t0);
    const nodes = built.spec.nodes.map((n, i) => ({
      name: n.name, netns: built.netnsOf(n.name), folder: path.join(root, n.name), socket: path.join(root, `agent-${i}.sock`),
    }));
    const pods = built.spec.pods.map((p) => ({ id: p.id, netns: built.netnsOf(p.id), ip: p.ips[0] ?? '', node: p.node, tcpPorts: p.tcpPorts }));
    info = { prefix: built.prefix, buildMs, nodes, pods, root, agentCommand: [...deps.command, 'agent', '--source', 'files:DIR', '--node', 'NAME'] };
    emit({ type: 'world', world: info });
    await Promise.all(nodes.map((n) => mkdir(n.folder)));
    let held: FolderFiles = new Map();
    for (const step of steps) {
      const writeStartedAt = Date.now();
      await Promise.all(nodes.map((n) => moveFolder(n.folder, held, step.files)));
      held = step.files;
      // Started once the first step is in their folders: their first read is a complete state.
      if (agents.length === 0) {
        for (const n of nodes) {
          agents.push(NodeAgentProcess.start({ netnsPrefix: built.nodeCommandPrefix(n.name), command: deps.command, node: n.name, dir: n.folder, socket: n.socket }));
        }
      }
      const revision = revisionOf(nodes[0]?.folder ?? root, step.files);
      const wait = { revision, what: `demo step ${step.dir}`, timeoutMs: deps.revisionTimeoutMs ?? DEFAULT_REVISION_TIMEOUT_MS };
      const kernel = await Promise.all(agents.map(async (a) => {
        await untilAtRevision(a, wait);
        return kernelArrival(a, revision, writeStartedAt, Date.now());
      }));
      const live = await probeMatrix(built, step.objects, step.expected, { ...(deps.probeTimeoutMs !== undefined && { timeoutMs: deps.probeTimeoutMs }) });
      const result: StepResult = { step, revision, live, kernel, disagree: disagreements(step.expected, live.cells) };
      results.push(result);
      emit({ type: 'step', result });
    }
    if (options.keep === true) {
      emit({ type: 'keep', world: info, pid: process.pid, last: results[results.length - 1] });
      // Held until a signal: the lab's handler then removes the world and re-raises it.
      await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    await Promise.allSettled(agents.map((a) => a.stop()));
    await world?.destroy().catch((err: unknown) => {
      failure ??= `teardown: ${err instanceof Error ? err.message : String(err)}`;
    });
    rmSync(root, { recursive: true, force: true });
    undoSignals();
  }
  const prefix = info?.prefix;
  const netnsLeft = prefix === undefined ? [] : (await listNetns()).filter((n) => n.startsWith(prefix));
  const agree = failure === null && results.every((r) => r.disagree.length === 0);
  return { mode: 'kernel', missing: [], world: info, steps: results, agree, failure, cleanup: { netnsLeft, folderRemoved: !existsSync(root) } };
}
