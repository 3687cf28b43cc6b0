// The set-up both agent end-to-end tests share (agent-e2e.test.ts and
// agent-e2e-cluster-policies.test.ts): a lab world of two nodes, one fake API
// server on a Unix socket holding the world's objects, one real agent per
// node; writes through the server that remember each resource's last
// resourceVersion; a wait for both kernels to hold every write (polling the
// agents' /status, never a fixed sleep); and the check that every pod-to-pod
// flow gets the engine's verdict for what the server holds.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildWorld, cleanupOrphans, type World } from '../../../src/lab/index.ts';
import { KIND_TO_RESOURCE } from '../../k8s/fake-api-resources.ts';
import { FakeApiServer, writeFakeKubeconfig, type FakeResource, type KubeObject } from '../../k8s/fake-api-server.ts';
import { disagreements, engineVerdicts, initialObjects, NODES, podFlows, worldSpec, type Verdict } from './cluster.ts';
import { API_PORT, NodeAgent, revisionCovers } from './node-agent.ts';

export interface E2eOptions {
  /** The kinds the engine's oracle reads from the server (the cluster-wide ones too when the test writes them). */
  readonly kinds: readonly string[];
  /** The temporary folder's name prefix (socket, kubeconfig, logs). */
  readonly tmpPrefix: string;
  /** What the server holds before the agents start, beyond the world's objects (CRDs installed, a first policy). */
  readonly beforeAgents?: (run: E2eRun) => void;
}

/** One shared world for a test file's tests, which run in order, each from the state the one before left. */
export class E2eRun {
  world!: World;
  server!: FakeApiServer;
  agents: NodeAgent[] = [];
  /** The resourceVersion of each resource's last write: what both kernels must include. */
  readonly written: Partial<Record<FakeResource, number>> = {};
  private dir: string | undefined;
  private readonly options: E2eOptions;

  constructor(options: E2eOptions) {
    this.options = options;
  }

  readonly apply = (obj: KubeObject): void => {
    const stored = this.server.apply(obj);
    this.written[KIND_TO_RESOURCE[obj.kind as string] as FakeResource] = Number(stored.metadata?.resourceVersion);
  };

  /** Deletes `kind` `namespace/name` (or `name`, cluster-scoped), which must exist. */
  readonly remove = (kind: string, id: string): void => {
    const [namespace, name] = id.includes('/') ? (id.split('/') as [string, string]) : [undefined, id];
    expect(this.server.delete(kind, namespace, name), `delete ${kind} ${id}`).toBe(true);
    this.written[KIND_TO_RESOURCE[kind] as FakeResource] = Number(this.server.resourceVersion);
  };

  /** The last 40 log lines of each agent, for a failure message. */
  readonly transcripts = (): string => this.agents.map((a) => `--- agent on ${a.node}:\n${a.transcript().split('\n').slice(-40).join('\n')}`).join('\n');

  /** Polls until `done` holds (each poll a round trip to the agents); fails after `timeoutMs` with the agents' logs. */
  readonly until = async (what: string, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.transcripts()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  /** Both kernels hold every write so far, by a sync that worked. */
  readonly inKernels = (timeoutMs?: number): Promise<void> => this.until(`both kernels to include ${JSON.stringify(this.written)}`, async () => {
    const all = await Promise.all(this.agents.map((a) => a.status()));
    return all.every((s) => s !== undefined && s.ready && s.kernel.lastSync?.result !== 'failed' && revisionCovers(s.kernel.revision, this.written));
  }, timeoutMs);

  /** Probes every pod-to-pod flow once; each must get the engine's verdict for the objects the server holds. Returns those verdicts. */
  readonly kernelMatchesEngine = async (): Promise<ReadonlyMap<string, Verdict>> => {
    const flows = podFlows();
    const expected = engineVerdicts(this.options.kinds.flatMap((k) => this.server.all(k)), flows);
    expect(disagreements(await this.world.probeAll(flows), expected)).toEqual([]);
    return expected;
  };

  async start(): Promise<void> {
    await cleanupOrphans();
    this.dir = await mkdtemp(path.join(os.tmpdir(), this.options.tmpPrefix));
    const dir = this.dir;
    this.world = await buildWorld(worldSpec());
    this.server = await FakeApiServer.start({ socketPath: path.join(dir, 'api.sock') });
    for (const o of initialObjects()) this.apply(o);
    this.options.beforeAgents?.(this);
    const kubeconfig = await writeFakeKubeconfig({ url: `http://127.0.0.1:${API_PORT}` }, dir);
    this.agents = await Promise.all(NODES.map((n) => NodeAgent.start({
      node: n.name, netnsPrefix: this.world.nodeCommandPrefix(n.name), apiSocket: path.join(dir, 'api.sock'), kubeconfig, dir,
    })));
    await this.inKernels(30_000);
  }

  /** Stops the agents, the server and the world (whatever of them started); the agents' exit codes. */
  async stop(): Promise<(number | null)[]> {
    const codes = await Promise.all(this.agents.map((a) => a.stop()));
    await this.server?.close();
    await this.world?.destroy();
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
    return codes;
  }
}

/** The run for the enclosing suite: started before its tests, stopped after them. */
export function e2eRun(options: E2eOptions): E2eRun {
  const run = new E2eRun(options);
  beforeAll(() => run.start());
  afterAll(async () => {
    const codes = await run.stop();
    // SIGTERM is a clean stop (exit 0, the tables stay): checked last, once everything is torn down.
    expect(codes).toEqual(run.agents.map(() => 0));
  });
  return run;
}

/** The engine's verdicts for the named flows, to say what a step is about (and catch a step or an oracle that changed nothing). */
export function pick(verdicts: ReadonlyMap<string, Verdict>, names: readonly string[]): Record<string, Verdict | undefined> {
  return Object.fromEntries(names.map((n) => [n, verdicts.get(n)]));
}
