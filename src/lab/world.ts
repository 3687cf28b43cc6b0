// buildWorld: description in, running world out (namespaces, links, endpoint processes),
// with probing, commands inside nodes, and teardown.

import { RunResources } from './cleanup.ts';
import { bridgeBatch, inNetnsArgv, ipBatch, readSysctls, run, setSysctls, type CommandResult, type RunOptions } from './commands.ts';
import { flowsBetween, type FlowFilter } from './flows.ts';
import { createNetns, newRunPrefix } from './netns.ts';
import { Prober, type Flow, type ProbeOptions, type ProbeResult } from './probe.ts';
import { EndpointProcess, type Verdict } from './servers.ts';
import { validateSpec, type WorldSpec } from './spec.ts';
import { netnsNames, planWorld, type EndpointPlan, type NetnsSetup, type NodePlan, type WorldPlan } from './topology.ts';

export interface WorldTimings {
  /** Namespaces, links, addresses, routes. */
  networkMs: number;
  /** Endpoint processes started and listening. */
  serversMs: number;
}

export interface World {
  readonly prefix: string;
  readonly spec: WorldSpec;
  readonly plan: WorldPlan;
  readonly timings: WorldTimings;
  readonly endpoints: readonly EndpointPlan[];
  /** Netns of a node, pod or outside host. */
  netnsOf(id: string): string;
  /** Runs `argv` inside a node's netns (e.g. `['nft', '-f', '-']` with `input`). Throws on failure unless `reject: false`. */
  inNode(node: string, argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** argv prefix that runs a command inside a node's netns, for code that spawns its own commands. */
  nodeCommandPrefix(node: string): string[];
  /** Runs `argv` inside the netns of any endpoint (node, pod, outside host). */
  inEndpoint(id: string, argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  probe(flow: Flow, options?: ProbeOptions): Promise<Verdict>;
  probeDetailed(flow: Flow, options?: ProbeOptions): Promise<ProbeResult>;
  probeAll(flows: readonly Flow[], options?: ProbeOptions): Promise<ProbeResult[]>;
  /** Flows between endpoints (default: every pod and outside host to every other, all served ports). */
  flows(filter?: FlowFilter): Flow[];
  /** Stops endpoint processes and deletes every namespace of the run. Idempotent. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface BuildOptions {
  /** Netns name prefix; default `np<pid>r<random>-`. Must start with `np`. */
  prefix?: string;
}

async function applySetup(s: NetnsSetup): Promise<void> {
  await setSysctls(s.netns, s.sysctls);
  const keys = Object.keys(s.verify);
  if (keys.length > 0) {
    const got = await readSysctls(s.netns, keys);
    const wrong = keys.filter((k) => got[k] !== s.verify[k]);
    if (wrong.length > 0) {
      throw new Error(
        `in netns ${s.netns}: ${wrong.map((k) => `${k} is ${got[k] ?? 'missing'} (need ${s.verify[k]})`).join(', ')}. ` +
          (wrong.some((k) => s.verify[k] === '1')
            ? 'Bridged pod traffic would bypass the forward hook: br_netfilter must be loaded and its sysctls per-netns.'
            : 'A routed node keeps br_netfilter off, so that what is filtered is filtered without it.'),
      );
    }
  }
  await ipBatch(s.netns, s.ip);
  await bridgeBatch(s.netns, s.bridge);
  if (s.lateSysctls) await setSysctls(s.netns, s.lateSysctls);
}

export async function buildWorld(spec: WorldSpec, options: BuildOptions = {}): Promise<World> {
  validateSpec(spec);
  const prefix = options.prefix ?? newRunPrefix();
  if (!/^np[a-z0-9]*-$/.test(prefix)) throw new Error(`bad prefix ${JSON.stringify(prefix)}: want np[a-z0-9]*-`);
  const plan = planWorld(spec, prefix);
  const resources = new RunResources(prefix);
  const processes = new Map<string, EndpointProcess>();
  const t0 = performance.now();
  let networkMs: number;
  try {
    const names = netnsNames(plan);
    resources.addNetns(names);
    await createNetns(names);
    for (const phase of plan.phases) await Promise.all(phase.map(applySetup));
    networkMs = performance.now() - t0;
    const started = await Promise.allSettled(plan.endpoints.map((e) => EndpointProcess.start(e, resources)));
    for (const s of started) if (s.status === 'fulfilled') processes.set(s.value.endpoint.id, s.value);
    const failed = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed.length > 0) throw new Error(`endpoint processes failed:\n${failed.map((f) => String(f.reason)).join('\n')}`);
  } catch (e) {
    await resources.release();
    throw e;
  }
  const timings = { networkMs: Math.round(networkMs), serversMs: Math.round(performance.now() - t0 - networkMs) };

  const prober = new Prober(processes);
  const endpointById = new Map(plan.endpoints.map((e) => [e.id, e]));
  const endpoint = (id: string): EndpointPlan => {
    const e = endpointById.get(id);
    if (!e) throw new Error(`no node, pod or outside host ${id}`);
    return e;
  };
  const node = (name: string): NodePlan => {
    const n = plan.nodes.find((x) => x.id === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> =>
    (destroyed ??= (async () => {
      await Promise.allSettled([...processes.values()].map((p) => p.stop()));
      await resources.release();
    })());

  return {
    prefix,
    spec,
    plan,
    timings,
    endpoints: plan.endpoints,
    netnsOf: (id) => endpoint(id).netns,
    inNode: (name, argv, opts) => run(inNetnsArgv(node(name).netns, argv), opts),
    nodeCommandPrefix: (name) => inNetnsArgv(node(name).netns, []),
    inEndpoint: (id, argv, opts) => run(inNetnsArgv(endpoint(id).netns, argv), opts),
    probe: (flow, opts) => prober.probe(flow, opts),
    probeDetailed: (flow, opts) => prober.probeDetailed(flow, opts),
    probeAll: (flows, opts) => prober.probeAll(flows, opts),
    flows: (filter) => flowsBetween(plan.endpoints, filter),
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}
