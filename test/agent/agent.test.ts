// The sync loop on a real folder with a fake kernel (an Applier that records
// what it was given) and a fake clock.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import type { Applier, ApplyOutcome } from '../../src/agent/applier.ts';
import { FileSource } from '../../src/agent/file-source.ts';
import { listenEndpoints } from '../../src/agent/http-endpoints.ts';
import { AgentMetrics } from '../../src/agent/metrics.ts';
import { agentLogger } from '../../src/agent/run-agent.ts';
import type { NodeIR } from '../../src/compile/ir.ts';
import { FakeClock } from './fake-clock.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '../../policies-examples/db-only-from-api/manifests');
const DENY_WEB = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n';

class FakeKernel implements Applier {
  applied: NodeIR[] = [];
  failNext = 0;
  drifted = false;
  private last: string | undefined;
  async apply(ir: NodeIR, { force }: { force: boolean }): Promise<ApplyOutcome> {
    if (this.failNext > 0) {
      this.failNext--;
      return { ok: false, cause: 'nft', error: 'nft -f - failed (exit 1): Error: Could not process rule' };
    }
    const text = JSON.stringify(ir);
    if (!force && text === this.last) return { ok: true, applied: false, attempts: 0 };
    this.applied.push(ir);
    this.last = text;
    this.drifted = false;
    // As the SyncerApplier: the first apply and a forced one replace the table, the others are deltas.
    return { ok: true, applied: true, attempts: 1, script: { kind: this.applied.length === 1 || force ? 'replace' : 'delta', bytes: text.length } };
  }
  async inSync(): Promise<boolean> {
    return !this.drifted;
  }
}

let dir: string;
let clock: FakeClock;
let kernel: FakeKernel;
let metrics: AgentMetrics;
let logs: Record<string, unknown>[];
let agent: Agent;

function logSink(): Writable {
  return new Writable({ write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter((l) => l !== '')) logs.push(JSON.parse(line) as Record<string, unknown>);
    done();
  } });
}

async function newAgent(node = 'node-1', level: 'info' | 'debug' = 'info'): Promise<Agent> {
  const source = new FileSource({ dir, rescanIntervalMs: 0, clock });
  agent = new Agent({ node, table: 'nftpol', coalesceMs: 5, reconcileIntervalMs: 60_000, staleAfterMs: 180_000 },
    { source, applier: kernel, logger: agentLogger({ logLevel: level, node }, logSink()), metrics, clock });
  return agent;
}

/** One change through the loop: the watch may or may not have seen it, a rescan-like notify makes sure. */
async function change(): Promise<void> {
  (agent as unknown as { coalescer: { notify(): void } }).coalescer.notify();
  await clock.advance(5);
  await kernelWork();
}

async function kernelWork(): Promise<void> {
  await (agent as unknown as { kernelQueue: Promise<void> }).kernelQueue;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-loop-'));
  for (const f of ['namespaces.yaml', 'policies.yaml', 'workloads.yaml']) await writeFile(path.join(dir, f), await readFile(path.join(EXAMPLE, f)));
  clock = new FakeClock();
  kernel = new FakeKernel();
  metrics = new AgentMetrics();
  logs = [];
});
afterEach(async () => {
  await agent.stop();
  await rm(dir, { recursive: true, force: true });
});

const metric = async (name: string): Promise<number> => {
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ').pop());
};

describe('Agent', () => {
  it('first sync after the coalescing window: one apply, ready, status and metrics say so', async () => {
    await (await newAgent()).start();
    expect(agent.readiness().ready).toBe(false);
    await clock.advance(5);
    await kernelWork();
    expect(kernel.applied).toHaveLength(1);
    expect(kernel.applied[0]?.node).toBe('node-1');
    const st = agent.status();
    expect(st).toMatchObject({ ready: true, node: 'node-1', table: 'inet nftpol', source: { kind: 'files', synced: true, rejected: null }, kernel: { lastSync: { result: 'applied', trigger: 'change' } } });
    expect(st.kernel.revision).toBe(st.source.revision);
    expect(st.counts).toEqual({ localPods: 4, chains: 2, rules: 1, sets: 1, elements: 1 });
    expect(await metric('nftpol_syncs_total{trigger="change",result="applied"}')).toBe(1);
    expect(await metric('nftpol_ir_local_pods')).toBe(4);
    expect(await metric('nftpol_last_sync_success_timestamp_seconds')).toBe(clock.now() / 1000);
    expect(logs.map((l) => l.msg)).toEqual([expect.stringMatching(/^table inet nftpol replaced with revision [0-9a-f]{16} \(first sync\)$/)]);
    expect(st.kernel.lastApply).toMatchObject({ kind: 'replace', bytes: JSON.stringify(kernel.applied[0]).length, revision: st.kernel.revision });
    expect(await metric('nftpol_last_apply_delta')).toBe(0);
    expect(await metric('nftpol_sync_script_bytes_count{script="replace"}')).toBe(1);

    await writeFile(path.join(dir, 'deny-web.yaml'), DENY_WEB);
    await change();
    expect(kernel.applied).toHaveLength(2);
    expect(agent.status().kernel.lastApply).toMatchObject({ kind: 'delta', revision: agent.status().kernel.revision });
    expect(await metric('nftpol_last_apply_delta')).toBe(1);
    expect(await metric('nftpol_sync_script_bytes_count{script="delta"}')).toBe(1);
  });

  it('nothing is applied before the source has synced: a first read with an error writes nothing and is not ready', async () => {
    await writeFile(path.join(dir, 'half.yaml'), DENY_WEB.slice(0, 60));
    await (await newAgent()).start();
    await clock.advance(5);
    await kernelWork();
    expect(kernel.applied).toEqual([]);
    expect(agent.readiness()).toEqual({ ready: false, reason: "waiting for the files source's first complete, valid read" });
    expect(agent.status().source.rejected?.problems).toEqual([expect.stringContaining('half.yaml')]);
    expect(await metric('nftpol_objects_rejected_total')).toBe(1);
    await rm(path.join(dir, 'half.yaml'));
    await change();
    expect(kernel.applied).toHaveLength(1);
    expect(agent.readiness().ready).toBe(true);
  });

  it('an invalid file later keeps the table in force, logged once however often the folder is read', async () => {
    await (await newAgent()).start();
    await change();
    const revision = agent.status().kernel.revision;
    await writeFile(path.join(dir, 'bad.yaml'), DENY_WEB.replace('[Ingress]', '[Ingres]'));
    await change();
    await change();
    await change();
    expect(kernel.applied).toHaveLength(1);
    expect(agent.status()).toMatchObject({ ready: true, kernel: { revision }, source: { revision, rejected: { problems: [expect.stringContaining('bad.yaml')] } } });
    expect(logs.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([`source read refused (1 error): keeping revision ${revision}`]);
    expect(await metric('nftpol_source_reads_rejected_total')).toBe(1);
    await writeFile(path.join(dir, 'bad.yaml'), DENY_WEB);
    await change();
    expect(kernel.applied).toHaveLength(2);
    expect(agent.status().source.rejected).toBeNull();
    expect(agent.status().kernel.revision).not.toBe(revision);
  });

  it('steady state: re-reads of an unchanged folder write nothing and log nothing, even at debug', async () => {
    await (await newAgent('node-1', 'debug')).start();
    await change();
    const before = logs.length;
    for (let i = 0; i < 5; i++) await change();
    expect(kernel.applied).toHaveLength(1);
    expect(logs.length).toBe(before);
  });

  it('a failed apply: 503 with the reason, old table kept, retried with backoff until it works', async () => {
    kernel.failNext = 2;
    await (await newAgent()).start();
    await change();
    expect(agent.readiness()).toMatchObject({ ready: false, reason: expect.stringMatching(/^the last sync failed \(nft\)/) });
    await clock.advance(1000);
    await kernelWork();
    expect(kernel.applied).toHaveLength(0);
    await clock.advance(1999);
    await kernelWork();
    expect(kernel.applied).toHaveLength(0); // the second retry waits 2 s
    await clock.advance(1);
    await kernelWork();
    expect(kernel.applied).toHaveLength(1);
    expect(agent.readiness().ready).toBe(true);
    expect(await metric('nftpol_sync_errors_total{cause="nft"}')).toBe(2);
    expect(await metric('nftpol_syncs_total{trigger="retry",result="applied"}')).toBe(1);
  });

  it('reconcile: an unchanged table is confirmed (readiness stays fresh); drift is re-applied with force', async () => {
    await (await newAgent()).start();
    await change();
    await clock.advance(60_000 * 5);
    await kernelWork();
    expect(agent.readiness().ready).toBe(true); // 5 minutes without a change, confirmed by reconciles
    expect(await metric('nftpol_reconciles_total{result="in_sync"}')).toBe(5);
    kernel.drifted = true;
    await clock.advance(60_000);
    await kernelWork();
    expect(kernel.applied).toHaveLength(2);
    expect(kernel.applied[1]).toEqual(kernel.applied[0]);
    expect(await metric('nftpol_reconciles_total{result="repaired"}')).toBe(1);
    expect(logs.some((l) => l.level === 40 && /differs from revision/.test(String(l.msg)))).toBe(true);
  });

  it('goes stale (503) when neither a sync nor a reconcile (here: failing to list the table) confirmed the table within --stale-after', async () => {
    await (await newAgent()).start();
    await change();
    kernel.inSync = async () => {
      throw new Error('nft list failed');
    };
    await clock.advance(180_001);
    await kernelWork();
    expect(agent.readiness()).toMatchObject({ ready: false, reason: expect.stringMatching(/^no successful sync or reconcile for 180s/) });
  });

  it('a node the input does not know is refused, not enforced as an empty table', async () => {
    await writeFile(path.join(dir, 'nodes.yaml'), 'apiVersion: v1\nkind: Node\nmetadata: {name: node-a}\n');
    await (await newAgent('node-b')).start();
    await change();
    expect(kernel.applied).toEqual([]);
    expect(agent.readiness().reason).toMatch(/unknown_node.*node "node-b" is not in the input; it knows node-a/);
  });

  it('stop() leaves the table alone and ends the timers', async () => {
    await (await newAgent()).start();
    await change();
    await agent.stop();
    await clock.advance(600_000);
    expect(kernel.applied).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });
});

describe('HTTP endpoints', () => {
  it('/healthz, /readyz (503 then 200), /metrics, /status, 404 and 405', async () => {
    await (await newAgent()).start();
    const ep = await listenEndpoints(agent, metrics, '127.0.0.1', 0);
    try {
      const get = (p: string, method = 'GET') => fetch(`http://${ep.address}${p}`, { method });
      expect((await get('/healthz')).status).toBe(200);
      const notReady = await get('/readyz');
      expect([notReady.status, await notReady.text()]).toEqual([503, "waiting for the files source's first complete, valid read\n"]);
      await clock.advance(5);
      await kernelWork();
      expect((await get('/readyz')).status).toBe(200);
      const m = await get('/metrics');
      expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await m.text()).toMatch(/^nftpol_sync_duration_seconds_count 1$/m);
      const st = await (await get('/status')).json() as { node: string; kernel: { revision: string } };
      expect(st.node).toBe('node-1');
      expect(st.kernel.revision).toMatch(/^[0-9a-f]{16}$/);
      expect((await get('/nope')).status).toBe(404);
      expect((await get('/readyz', 'POST')).status).toBe(405);
    } finally {
      await ep.close();
    }
  });
});
