// One long-lived endpoint process per node, pod and outside host (endpoint-process.ts): it
// serves the endpoint's TCP and UDP ports and makes the probes sent from that endpoint.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunResources } from './cleanup.ts';
import { inNetnsArgv, run } from './commands.ts';
import type { Protocol } from './spec.ts';
import type { EndpointPlan } from './topology.ts';

// The endpoint script is this module's sibling with this module's extension: endpoint-process.ts
// when the lab runs from src (Node strips the types), endpoint-process.js when it runs from
// dist (the built package; Node refuses to strip types under node_modules anyway).
const EXTENSION = path.extname(fileURLToPath(import.meta.url));
const SCRIPT = fileURLToPath(new URL(`./endpoint-process${EXTENSION}`, import.meta.url));
const READY_TIMEOUT_MS = 15_000;

let script: Promise<string> | undefined;

/**
 * The endpoint script as JavaScript, run with `node -e`. From src: Node strips types itself
 * when it runs a .ts file, but loading the stripper costs ~100 ms per process; stripping once
 * here (in a child, which keeps the experimental warning out of our stderr) makes each start
 * ~50 ms. From dist it is JavaScript already.
 */
function endpointScript(): Promise<string> {
  return (script ??=
    EXTENSION === '.ts'
      ? run([
          process.execPath,
          '--disable-warning=ExperimentalWarning',
          '--input-type=module',
          '-e',
          'import { stripTypeScriptTypes } from "node:module"; import { readFileSync } from "node:fs";' +
            'process.stdout.write(stripTypeScriptTypes(readFileSync(process.argv[1], "utf8")));',
          SCRIPT,
        ]).then((r) => r.stdout)
      : readFile(SCRIPT, 'utf8'));
}

/** Whether this copy of the lab runs from TypeScript sources (endpoint processes then need type stripping). */
export const RUNS_FROM_TYPESCRIPT = EXTENSION === '.ts';

export type Verdict = 'allow' | 'deny';

export interface ProbeOutcome {
  verdict: Verdict;
  /** `reply`, `timeout`, `connected-no-reply`, `closed-no-reply`, or an errno code (ECONNREFUSED, EHOSTUNREACH...). */
  reason: string;
  /** What the far end answered: its endpoint id. */
  reply?: string;
  ms: number;
}

interface Pending {
  resolve: (o: ProbeOutcome) => void;
  reject: (e: Error) => void;
}

export class EndpointProcess {
  readonly endpoint: EndpointPlan;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private exited: Error | undefined;
  private stderr = '';

  private constructor(endpoint: EndpointPlan, child: ChildProcessWithoutNullStreams) {
    this.endpoint = endpoint;
    this.child = child;
  }

  /** Starts the process in the endpoint's netns and waits until it listens on every port. */
  static async start(endpoint: EndpointPlan, resources: RunResources): Promise<EndpointProcess> {
    const config = {
      id: endpoint.id,
      tcpPorts: endpoint.tcpPorts,
      udpPorts: endpoint.udpPorts,
      addresses: endpoint.addresses,
    };
    const [file, ...args] = inNetnsArgv(endpoint.netns, [process.execPath, '--input-type=module', '-e', await endpointScript()]);
    const child = spawn(file as string, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NP_ENDPOINT_CONFIG: JSON.stringify(config) },
    });
    if (child.pid !== undefined) resources.addProcess(child.pid);
    const ep = new EndpointProcess(endpoint, child);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (ep.stderr = (ep.stderr + d).slice(-4000)));
    child.stdin.on('error', () => undefined);

    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${endpoint.id}: endpoint process not ready after ${READY_TIMEOUT_MS} ms\n${ep.stderr}`)), READY_TIMEOUT_MS);
      const lines = readline.createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as { ready?: boolean; fatal?: string; seq?: number } & ProbeOutcome;
        if (msg.ready === true) {
          clearTimeout(timer);
          resolve();
        } else if (msg.fatal !== undefined) {
          clearTimeout(timer);
          reject(new Error(msg.fatal));
        } else if (msg.seq !== undefined) {
          const p = ep.pending.get(msg.seq);
          ep.pending.delete(msg.seq);
          const outcome: ProbeOutcome = { verdict: msg.verdict, reason: msg.reason, ms: msg.ms };
          if (msg.reply !== undefined) outcome.reply = msg.reply;
          p?.resolve(outcome);
        }
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (child.pid !== undefined) resources.removeProcess(child.pid);
        ep.exited = new Error(`${endpoint.id}: endpoint process exited (${signal ?? code})\n${ep.stderr}`);
        reject(ep.exited);
        for (const p of ep.pending.values()) p.reject(ep.exited);
        ep.pending.clear();
      });
    });
    await ready;
    return ep;
  }

  /** Sends a probe from this endpoint (from address `source` when given, else the kernel's choice). */
  probe(to: string, protocol: Protocol, port: number, timeoutMs: number, source?: string): Promise<ProbeOutcome> {
    if (this.exited) return Promise.reject(this.exited);
    const seq = ++this.seq;
    return new Promise<ProbeOutcome>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ seq, to, protocol, port, timeoutMs, ...(source === undefined ? {} : { from: source }) })}\n`);
    });
  }

  /** Closes stdin (the process exits by itself), and kills it if it lingers. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await gone;
    clearTimeout(timer);
  }
}
