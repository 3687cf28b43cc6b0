// Probes: real TCP connections and UDP exchanges from one endpoint to an address, judged
// by whether the far end's answer arrives within the timeout.

import { familyOf, parseIp } from '../model/addresses.ts';
import type { EndpointProcess, ProbeOutcome, Verdict } from './servers.ts';
import type { Protocol } from './spec.ts';
import type { EndpointPlan } from './topology.ts';

export interface Flow {
  /** Pod id, outside host id or node name. */
  from: string;
  /** The address to send from: one of `from`'s (default: the one the kernel picks for `to`). */
  source?: string;
  /** An address of a pod, outside host or node. */
  to: string;
  protocol: Protocol;
  port: number;
}

export interface ProbeResult extends Flow, ProbeOutcome {
  /** Id of the endpoint that owns `to`. */
  target: string;
  /** 1, or more when a deny was probed again. */
  attempts: number;
}

export interface ProbeOptions {
  /** How long one attempt waits for the answer before it counts as denied. Default 1000 ms. */
  timeoutMs?: number;
  /** Probes in flight at once (probeAll). Default 1024: a probe is only a socket in an endpoint process. */
  concurrency?: number;
  /**
   * A deny is probed again this many times (default 1) before it stands: an answer proves a
   * path, a missing one may only mean a starved CPU. probeAll retries all denies of a round
   * together, so a retry costs one more timeout per call, not per flow.
   */
  retries?: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 1000;
export const DEFAULT_PROBE_CONCURRENCY = 1024;
export const DEFAULT_PROBE_RETRIES = 1;

export class Prober {
  private readonly processes: ReadonlyMap<string, EndpointProcess>;
  private readonly owners = new Map<string, EndpointPlan>();

  constructor(processes: ReadonlyMap<string, EndpointProcess>) {
    this.processes = processes;
    for (const p of processes.values()) for (const a of p.endpoint.addresses) this.owners.set(a, p.endpoint);
  }

  /** Whether `flow` gets through. Throws on a flow that could not mean anything (see check). */
  async probe(flow: Flow, options: ProbeOptions = {}): Promise<Verdict> {
    return (await this.probeDetailed(flow, options)).verdict;
  }

  async probeDetailed(flow: Flow, options: ProbeOptions = {}): Promise<ProbeResult> {
    return (await this.probeAll([flow], options))[0] as ProbeResult;
  }

  /** Probes every flow, `concurrency` at a time; results in the order of `flows`. */
  async probeAll(flows: readonly Flow[], options: ProbeOptions = {}): Promise<ProbeResult[]> {
    for (const f of flows) this.check(f);
    const results = await this.round(flows, options, 1);
    for (let attempt = 2; attempt <= 1 + (options.retries ?? DEFAULT_PROBE_RETRIES); attempt++) {
      const denied = results.flatMap((r, i) => (r.verdict === 'deny' ? [i] : []));
      if (denied.length === 0) break;
      const again = await this.round(denied.map((i) => flows[i] as Flow), options, attempt);
      denied.forEach((i, k) => (results[i] = again[k] as ProbeResult));
    }
    return results;
  }

  private async round(flows: readonly Flow[], options: ProbeOptions, attempt: number): Promise<ProbeResult[]> {
    const results: ProbeResult[] = new Array<ProbeResult>(flows.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < flows.length) {
        const i = next++;
        results[i] = await this.once(flows[i] as Flow, options, attempt);
      }
    };
    const n = Math.max(1, Math.min(options.concurrency ?? DEFAULT_PROBE_CONCURRENCY, flows.length));
    await Promise.all(Array.from({ length: n }, worker));
    return results;
  }

  private async once(flow: Flow, options: ProbeOptions, attempt: number): Promise<ProbeResult> {
    const { source, target, to, from } = this.check(flow);
    const outcome = await source.probe(to, flow.protocol, flow.port, options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, from);
    if (outcome.verdict === 'allow' && outcome.reply !== target.id) {
      throw new Error(`${describeFlow(flow)}: answered by ${JSON.stringify(outcome.reply)}, expected ${target.id}: the world is mis-wired`);
    }
    return { ...flow, ...outcome, target: target.id, attempts: attempt };
  }

  /**
   * A probe must be able to succeed when nothing blocks it, or a "deny" would prove nothing:
   * the source exists and has an address of the family, and the target serves the port.
   */
  private check(flow: Flow): { source: EndpointProcess; target: EndpointPlan; to: string; from: string | undefined } {
    const source = this.processes.get(flow.from);
    if (!source) throw new Error(`${describeFlow(flow)}: no node, pod or outside host ${flow.from}`);
    const parsed = parseIp(flow.to);
    if (!parsed.ok) throw new Error(`${describeFlow(flow)}: ${flow.to} is not an address`);
    const { ip: to, family: fam } = parsed;
    const target = this.owners.get(to);
    if (!target) throw new Error(`${describeFlow(flow)}: ${flow.to} belongs to no endpoint of this world`);
    // (source = target is fine: the endpoint reaches itself over lo.)
    if (!source.endpoint.addresses.some((a) => familyOf(a) === fam)) throw new Error(`${describeFlow(flow)}: ${flow.from} has no IPv${fam} address`);
    let from: string | undefined;
    if (flow.source !== undefined) {
      const parsedSource = parseIp(flow.source);
      if (!parsedSource.ok || parsedSource.family !== fam) throw new Error(`${describeFlow(flow)}: source ${flow.source} is not an IPv${fam} address`);
      from = parsedSource.ip;
      if (!source.endpoint.addresses.includes(from)) throw new Error(`${describeFlow(flow)}: ${flow.source} is not an address of ${flow.from}`);
    }
    const ports = flow.protocol === 'TCP' ? target.tcpPorts : target.udpPorts;
    if (!ports.includes(flow.port)) throw new Error(`${describeFlow(flow)}: ${target.id} does not serve ${flow.protocol}/${flow.port}`);
    return { source, target, to, from };
  }
}

export function describeFlow(f: Flow): string {
  return `${f.from}${f.source === undefined ? '' : ` (${f.source})`} -> ${f.to} ${f.protocol}/${f.port}`;
}
