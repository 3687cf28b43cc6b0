// Faults around `nftpol agent` on the real kernel: the agent runs as a real
// child process in node-1's network namespace of a two-node canal-style lab
// world (agent-faults/cluster.ts), on a folder of manifests, and real
// connections from shop/api (node-2) to shop/db (node-1) show what the kernel
// enforces. One world for the whole file; each test starts its own agent
// (its first sync replaces whatever table the previous test left).
//
//  - nft fails (a fake nft first on the agent's PATH): the rules in force stay,
//    /readyz says why, and the retry applies the change once nft works again;
//  - SIGKILL while a large change is applied: the table is always whole, the
//    old one or the new one, and a restarted agent converges;
//  - a restart (SIGTERM, start again) under load: no connection to the denied
//    port ever succeeds, the allowed ones are never interrupted;
//  - someone flushes a chain or deletes a set: the reconcile repairs it, counts
//    and logs it;
//  - a half-written or invalid file changes nothing and is reported; fixing it
//    applies.
//
// Every wait polls /status, /readyz, /metrics (through a socat relay into the
// node's namespace) or the load client's counts: no fixed sleep waits for a
// sync. The kill moments of the SIGKILL test are the only chosen delays.
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildWorld, cleanupOrphans, kernelPrerequisites, type World } from '../../src/lab/index.ts';
import { main } from '../../src/cli/nftpol-program.ts';
import { AgentChild, EndpointRelay, pollUntil, processEnded, type AgentStatusView } from '../support/agent-child.ts';
import { describeRequiring } from '../support/describe-requiring.ts';
import { normalizeNftJson } from '../support/nft-listing.ts';
import { relayPrerequisites } from '../support/netns-relay.ts';
import { throwawayNetns, type ThrowawayNetns } from '../support/root.ts';
import { ALLOWED_PORT, API, BASE_FILES, bulkPolicies, DB, dbAllowsApi, DENIED_PORT, ECHO_PORT, NODE, WORLD } from './agent-faults/cluster.ts';
import { EchoServer, LoadClient } from './agent-faults/traffic.ts';

const PORT = 9807;
const LISTEN = `127.0.0.1:${PORT}`;
const REPAIRED = 'nftpol_reconciles_total{result="repaired"}';

/** The lab's prerequisites, and socat for the relay to the agent's endpoints. */
async function prerequisites(): Promise<string[]> {
  return [...await kernelPrerequisites(), ...await relayPrerequisites()];
}

await describeRequiring('kernel', prerequisites, 'nftpol agent under faults, on a lab world', () => {
  let world: World;
  let relay: EndpointRelay;
  let scratch: ThrowawayNetns;
  let tmp: string;
  const agents: AgentChild[] = [];
  const loads: LoadClient[] = [];

  beforeAll(async () => {
    await cleanupOrphans();
    [world, scratch, tmp] = await Promise.all([buildWorld(WORLD), throwawayNetns(), mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-faults-'))]);
    relay = await EndpointRelay.start(world.nodeCommandPrefix(NODE), PORT);
  });
  afterEach(async () => {
    for (const l of loads.splice(0)) l.kill();
    for (const a of agents.splice(0)) {
      a.signal('SIGKILL');
      await a.exited;
    }
  });
  afterAll(async () => {
    await relay?.stop();
    await Promise.all([world?.destroy(), scratch?.destroy()]);
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  // ------------------------------------------------------------------ helpers

  let folders = 0;
  /** A new folder holding the files (BASE_FILES by default). */
  async function folder(files: Readonly<Record<string, string>> = BASE_FILES): Promise<string> {
    const dir = path.join(tmp, `cluster-${++folders}`);
    await execa('mkdir', ['-p', dir]);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  }
  /** An operator's save: written beside the folder, then renamed into it (one event, never half a file). */
  async function saveAtomically(dir: string, name: string, text: string): Promise<void> {
    const beside = path.join(tmp, `.${name}.${process.hrtime.bigint()}`);
    await writeFile(beside, text);
    await rename(beside, path.join(dir, name));
  }
  function startAgent(dir: string, more: { args?: string[]; env?: Record<string, string> } = {}): AgentChild {
    const agent = AgentChild.start({ netnsPrefix: world.nodeCommandPrefix(NODE), dir, node: NODE, listen: LISTEN, ...more });
    agents.push(agent);
    return agent;
  }
  /** Polls /status until `done`; fails with the agent's logs. */
  async function statusUntil(agent: AgentChild, what: string, done: (s: AgentStatusView) => boolean, timeoutMs = 15_000): Promise<AgentStatusView> {
    let last: AgentStatusView | undefined;
    await pollUntil(what, async () => {
      last = await relay.status();
      return last !== undefined && done(last);
    }, { timeoutMs, context: () => `last /status: ${JSON.stringify(last)}\nagent logs:\n${agent.logs()}` });
    return last as AgentStatusView;
  }
  /** Ready, with the source's revision in the kernel. */
  const synced = (agent: AgentChild, what = 'the source in the kernel', timeoutMs?: number): Promise<AgentStatusView> =>
    statusUntil(agent, what, (s) => s.ready && s.source.revision !== null && s.kernel.revision === s.source.revision, timeoutMs);
  /** node-1's table as comparable objects (or a line saying there is none). */
  async function nodeTable(): Promise<string[]> {
    const r = await world.inNode(NODE, ['nft', '-j', 'list', 'table', 'inet', 'nftpol'], { reject: false });
    return r.exitCode === 0 ? normalizeNftJson(r.stdout) : [`(no table: ${r.stderr.trim()})`];
  }
  /** What `nftpol render` gives for each folder, applied in a scratch namespace and listed as nodeTable lists. */
  async function renderedTables(...dirs: string[]): Promise<string[][]> {
    const tables: string[][] = [];
    for (const dir of dirs) {
      // The command itself, in this process (a child would spend seconds starting).
      let script = '';
      const io = { stdout: { write: (t: string) => void (script += t) }, stderr: { write: (t: string) => void (script += t) }, stdin: '' };
      expect(await main(['render', '-f', dir, '--node', NODE], io), script).toBe(0);
      await scratch.nft.apply(script);
      tables.push(normalizeNftJson(await scratch.nft.read(['-j', 'list', 'table', 'inet', 'nftpol'])));
    }
    return tables;
  }
  /** api → db on each port: 'allow' or 'deny' (a deny is probed twice). */
  async function verdicts(...ports: number[]): Promise<string[]> {
    const results = await world.probeAll(ports.map((port) => ({ from: API.id, to: DB.ip, protocol: 'TCP' as const, port })));
    return results.map((r) => `${r.port} ${r.verdict}`);
  }

  // -------------------------------------------------------------------- tests

  it('nft fails: the table in force stays, /readyz says why; once nft works the retry applies the change', async () => {
    const dir = await folder();
    // A fake nft first on the agent's PATH (execNftRunner runs "nft" by PATH): it fails while the flag exists.
    const bin = path.join(tmp, 'fake-nft-bin');
    const flag = path.join(tmp, 'nft-fails');
    const real = (await execa('sh', ['-c', 'command -v nft'])).stdout.trim();
    await execa('mkdir', ['-p', bin]);
    await writeFile(path.join(bin, 'nft'), `#!/bin/sh\nif [ -e '${flag}' ]; then echo 'nft: injected failure (test flag file)' >&2; exit 1; fi\nexec '${real}' "$@"\n`);
    await chmod(path.join(bin, 'nft'), 0o755);
    const agent = startAgent(dir, { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    const before = await synced(agent);
    expect(await verdicts(ALLOWED_PORT, DENIED_PORT)).toEqual([`${ALLOWED_PORT} allow`, `${DENIED_PORT} deny`]);

    await writeFile(flag, '');
    // The change swaps the ports: 5432 denied, 6379 allowed.
    await saveAtomically(dir, 'db-allow-api.yaml', dbAllowsApi([DENIED_PORT, ECHO_PORT]));
    const failing = await statusUntil(agent, '/readyz to turn false', (s) => !s.ready && s.source.revision !== before.source.revision);
    expect(failing.kernel.revision).toBe(before.kernel.revision);
    expect(failing.kernel.lastSync).toMatchObject({ result: 'failed', cause: 'nft' });
    const readyz = await relay.get('/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatch(/^the last sync failed \(nft\): .*injected failure/);
    // The rules in force are the old ones, whole.
    expect(await verdicts(ALLOWED_PORT, DENIED_PORT)).toEqual([`${ALLOWED_PORT} allow`, `${DENIED_PORT} deny`]);
    expect(await relay.metric('nftpol_sync_errors_total{cause="nft"}')).toBeGreaterThan(0);
    expect(agent.logLines().some((l) => l.level === 50 && l.msg.startsWith('sync failed'))).toBe(true);

    await rm(flag);
    const after = await synced(agent, 'the retry to apply the change', 30_000); // the retries back off: 1 s, 2 s, 4 s...
    expect(after.kernel.revision).toBe(failing.source.revision);
    expect(after.kernel.lastSync?.trigger).toBe('retry');
    expect((await relay.get('/readyz')).status).toBe(200);
    expect(await verdicts(ALLOWED_PORT, DENIED_PORT)).toEqual([`${ALLOWED_PORT} deny`, `${DENIED_PORT} allow`]);
    expect(await agent.stop()).toBe(0);
  }, 60_000);

  it('SIGKILL while a large change is applied: the table is always the old one or the new one, whole; a restarted agent converges', async () => {
    const bulk = bulkPolicies(400);
    const oldDir = await folder();
    const newDir = await folder({ ...BASE_FILES, 'bulk.yaml': bulk });
    const [oldTable, newTable] = await renderedTables(oldDir, newDir) as [string[], string[]];
    expect(oldTable).not.toEqual(newTable);
    const dir = await folder();
    // When to kill: right after the large file is renamed into the folder (the
    // agent is reading it), or once the agent's `nft -f` is running, and some
    // time into it (nft is still reading the script, or committing it).
    type Moment = { label: string; wait: (agent: AgentChild) => Promise<unknown> };
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const atSave: Moment = { label: 'right after the save', wait: () => Promise.resolve() };
    const intoApply = (ms: number): Moment => ({
      label: ms === 0 ? 'as its nft -f starts' : `${ms} ms into its nft -f`,
      wait: async (agent) => {
        await pollUntil('the agent to run nft -f', async () => (await agent.children()).some((c) => c.argv.includes('-f')), { timeoutMs: 10_000 });
        await sleep(ms);
      },
    });
    const moments: Moment[] = [atSave, intoApply(0), intoApply(25), intoApply(80)];
    const seen: string[] = [];
    for (const moment of moments) {
      await rm(path.join(dir, 'bulk.yaml'), { force: true });
      const agent = startAgent(dir);
      await synced(agent, 'the old folder in the kernel');
      expect(await nodeTable()).toEqual(oldTable); // a restart converges to the folder, from whatever the last kill left
      await saveAtomically(dir, 'bulk.yaml', bulk);
      await moment.wait(agent);
      // Stopped first, so no child is spawned between the look and the kill.
      agent.signal('SIGSTOP');
      const children = await agent.children();
      agent.signal('SIGKILL');
      await agent.exited;
      // An nft the agent started goes on as an orphan: its transaction commits or not; wait for it to end.
      await pollUntil('the killed agent\'s nft to end', async () => (await Promise.all(children.map((c) => processEnded(c.pid)))).every(Boolean));
      const table = await nodeTable();
      const which = table.join() === oldTable.join() ? 'old' : table.join() === newTable.join() ? 'new' : 'neither';
      seen.push(`${moment.label}: ${which}${children.some((c) => c.argv.includes('-f')) ? ' (nft -f was running)' : ''}`);
      expect(which, `killed ${moment.label}: the table is neither the old nor the new one`).not.toBe('neither');
    }
    console.log(`[agent-faults] SIGKILL rounds: ${seen.join('; ')}`);
    // Some kill landed while the agent's nft -f ran (its script half written, or being committed).
    expect(seen.filter((s) => s.endsWith('(nft -f was running)')).length).toBeGreaterThan(0);
    const agent = startAgent(dir);
    await synced(agent, 'the new folder in the kernel');
    expect(await nodeTable()).toEqual(newTable);
    expect(await agent.stop()).toBe(0);
  }, 90_000);

  it('restart (SIGTERM, then start again) under load: no connection to the denied port succeeds; the allowed ones are never interrupted', async () => {
    const dir = await folder();
    const echo = await EchoServer.start(['ip', 'netns', 'exec', world.netnsOf(DB.id)], ECHO_PORT);
    try {
      const old = startAgent(dir);
      const first = await synced(old);
      const load = LoadClient.start(['ip', 'netns', 'exec', world.netnsOf(API.id)], { address: DB.ip, deniedPort: DENIED_PORT, shortPort: ALLOWED_PORT, streamPort: ECHO_PORT });
      loads.push(load);
      await load.until('allowed traffic flowing', (r) => r.short.ok >= 3 && r.stream.echoed >= 5);

      // A DaemonSet rollout: the old pod is stopped, then the new one starts and replaces the table.
      const atStop = load.progress();
      expect(await old.stop()).toBe(0);
      const agent = startAgent(dir);
      const restarted = await synced(agent, 'the restarted agent to replace the table');
      expect(restarted.kernel.lastApply?.kind).toBe('replace');
      expect(restarted.kernel.revision).toBe(first.kernel.revision);
      const atSync = load.progress();
      // The load went on through the restart's window, and on the new table after it.
      expect(atSync.denied.attempts).toBeGreaterThan(atStop.denied.attempts);
      expect(atSync.short.ok).toBeGreaterThan(atStop.short.ok);
      await load.until('traffic after the restart', (r) => r.short.ok >= atSync.short.ok + 3 && r.denied.attempts >= atSync.denied.attempts + 32 && r.stream.echoed >= atSync.stream.echoed + 10);

      const report = await load.stop();
      console.log(`[agent-faults] restart under load: ${JSON.stringify(report)}; during the restart (stop to replaced table): ${atSync.denied.attempts - atStop.denied.attempts} denied attempts, ${atSync.short.ok - atStop.short.ok} short connections`);
      expect(report.denied.connected).toBe(0);
      expect(report.short).toMatchObject({ failed: 0, reasons: {} });
      expect(report.stream.broken).toBeNull();
      expect(report.stream.echoed).toBe(report.stream.sent);
      expect(await agent.stop()).toBe(0);
    } finally {
      echo.stop();
    }
  }, 60_000);

  it('a flushed chain and a deleted set are repaired by the reconcile, counted and logged', async () => {
    const agent = startAgent(await folder(), { args: ['--reconcile-interval', '1s'] });
    await synced(agent);
    const good = await nodeTable();
    const repaired = async (): Promise<number> => (await relay.metric(REPAIRED)) ?? -1;
    expect(await repaired()).toBe(0);
    // Steady state first: a reconcile has confirmed the table (the drift below is then the only difference).
    await pollUntil('a reconcile to confirm the table', async () => ((await relay.metric('nftpol_reconciles_total{result="in_sync"}')) ?? 0) >= 1, { context: () => agent.logs() });

    // Someone flushes db's ingress chain: db would be open to everything.
    await world.inNode(NODE, ['nft', 'flush', 'chain', 'inet', 'nftpol', 'pod-in/shop/db']);
    await pollUntil('the reconcile to repair the flushed chain', async () => (await repaired()) === 1, { context: () => agent.logs() });
    expect(await nodeTable()).toEqual(good);

    // Right after that repair (no reconcile has confirmed it yet), someone deletes the set of api's
    // addresses (first the rules that use it: the kernel refuses otherwise). Drift at any moment is repaired.
    const sets = good.filter((o) => o.startsWith('["set"')).map((o) => (JSON.parse(o) as [string, { name: string }])[1].name);
    const apiSet = sets.find((n) => n.startsWith('pods/')) as string;
    await world.inNode(NODE, ['nft', '-f', '-'], { input: `flush chain inet nftpol pol-in/shop/db-allow-api\ndelete set inet nftpol ${apiSet}\n` });
    await pollUntil('the reconcile to repair the deleted set', async () => (await repaired()) === 2, { context: () => agent.logs() });
    expect(await nodeTable()).toEqual(good);
    expect(await verdicts(ALLOWED_PORT, DENIED_PORT)).toEqual([`${ALLOWED_PORT} allow`, `${DENIED_PORT} deny`]);

    const warned = agent.logLines().filter((l) => l.level === 40 && /differs from revision .* re-applying/.test(l.msg));
    expect(warned).toHaveLength(2);
    expect(await agent.stop()).toBe(0);
  }, 60_000);

  it('a half-written file, then an invalid one, change nothing and are reported; the fixed file applies', async () => {
    const dir = await folder();
    const agent = startAgent(dir);
    const good = await synced(agent);
    const table = await nodeTable();
    const opens = dbAllowsApi([DENIED_PORT], 'db-allow-redis');

    // A writer that died mid-file (not renamed into place: written where it lies).
    await writeFile(path.join(dir, 'db-allow-redis.yaml'), opens.slice(0, opens.indexOf('{app: ') + 6));
    const half = await statusUntil(agent, 'the half-written file to be refused', (s) => s.source.rejected !== null);
    expect(half.source.rejected?.problems.join('\n')).toContain('db-allow-redis.yaml');
    expect([half.ready, half.kernel.revision, half.source.revision]).toEqual([true, good.kernel.revision, good.source.revision]);
    expect((await relay.get('/readyz')).status).toBe(200); // the last good table is in force and confirmed

    // Then a whole file with an invalid field.
    await saveAtomically(dir, 'db-allow-redis.yaml', opens.replace('[Ingress]', '[Ingres]'));
    const invalid = await statusUntil(agent, 'the invalid file to be refused', (s) => s.source.rejected !== null && s.source.rejected.revision !== half.source.rejected?.revision);
    expect(invalid.source.rejected?.problems.join('\n')).toMatch(/db-allow-redis\.yaml:\d+ .*spec\.policyTypes\[0\]: unknown policy type string "Ingres"/);
    expect(invalid.kernel.revision).toBe(good.kernel.revision);
    expect(await relay.metric('nftpol_source_reads_rejected_total')).toBe(2);
    expect(await nodeTable()).toEqual(table);
    expect(await verdicts(DENIED_PORT)).toEqual([`${DENIED_PORT} deny`]);
    expect(agent.logLines().filter((l) => l.level === 50 && l.msg.startsWith('source read refused'))).toHaveLength(2);

    // A second atomic save over the same file (the fix, as an editor or a ConfigMap update writes it).
    await saveAtomically(dir, 'db-allow-redis.yaml', opens);
    const fixed = await statusUntil(agent, 'the fixed file in the kernel', (s) => s.source.rejected === null && s.kernel.revision !== good.kernel.revision && s.kernel.revision === s.source.revision);
    expect(fixed.ready).toBe(true);
    expect(await verdicts(DENIED_PORT)).toEqual([`${DENIED_PORT} allow`]);
    expect(agent.logLines().some((l) => l.msg === 'source valid again')).toBe(true);
    expect(await agent.stop()).toBe(0);
  }, 60_000);
});
