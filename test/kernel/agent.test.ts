// `nftpol agent` on the real kernel: the agent runs as a child inside a
// throwaway network namespace (with a cni0 bridge, br_netfilter checked by
// the agent itself) on a folder of manifests. A previous run's table stays
// while the first read is refused (a half-written file). The test waits for /readyz,
// finds the node's chains in `nft list table`, edits a policy file, waits for
// /status to show the new revision in the kernel, finds the new chain, sends
// SIGTERM (exit 0, the table stays), and `nftpol cleanup` removes the table.
// Every wait polls the agent's endpoints (from inside the namespace); none
// sleeps and hopes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from '../support/describe-requiring.ts';
import { throwawayNetns, type ThrowawayNetns } from '../support/root.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(REPO, 'src/cli/nftpol-main.ts');
const EXAMPLE = path.join(REPO, 'policies-examples/db-only-from-api/manifests');
const LISTEN = '127.0.0.1:9807';
const DENY_WEB = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n';

interface Status {
  kernel: { revision: string | null; lastApply: { kind: 'replace' | 'delta'; bytes: number } | null };
  source: { revision: string | null };
}

await describeKernel('nftpol agent in a network namespace', () => {
  let ns: ThrowawayNetns;
  let dir: string;
  let agent: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let logs = '';

  const inNs = (argv: readonly string[], input?: string) =>
    execa('ip', ['netns', 'exec', ns.name, ...argv], { reject: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
  const nftList = async (): Promise<string> => {
    const r = await inNs(['nft', 'list', 'table', 'inet', 'nftpol']);
    return r.exitCode === 0 ? String(r.stdout) : `(no table: ${String(r.stderr).trim()})`;
  };
  /** GET from inside the namespace (the agent listens on its loopback). */
  const get = async (p: string): Promise<{ status: number; body: string }> => {
    const script = `fetch('http://${LISTEN}${p}').then(async (r) => process.stdout.write(r.status + '\\n' + await r.text()), () => process.stdout.write('0\\n'))`;
    const out = String((await inNs([process.execPath, '-e', script])).stdout);
    const nl = out.indexOf('\n');
    return { status: Number(out.slice(0, nl)), body: out.slice(nl + 1) };
  };
  /** Polls until `done` holds (each poll is a full HTTP round trip); fails with the agent's logs after 10 s. */
  const until = async (what: string, done: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent logs:\n${logs}`);
    }
  };

  beforeAll(async () => {
    ns = await throwawayNetns();
    for (const cmd of ['link set lo up', 'link add cni0 type bridge', 'link set cni0 up']) {
      await execa('ip', ['-n', ns.name, ...cmd.split(' ')], { stdin: 'ignore' });
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-kernel-'));
    for (const f of ['namespaces.yaml', 'policies.yaml', 'workloads.yaml']) await writeFile(path.join(dir, f), await readFile(path.join(EXAMPLE, f)));
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await ns?.destroy();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('keeps a previous run\'s table until the first valid read, then replaces it; follows an edit; keeps the table on SIGTERM; cleanup removes it', async () => {
    // A previous run's table (marked) and a folder whose first read is refused (a half-written file).
    const OLD = 'table inet nftpol {\n\tchain previous-run {\n\t\ttype filter hook forward priority filter - 10; policy accept;\n\t\tip saddr 10.99.0.1 drop\n\t}\n}\n';
    expect((await inNs(['nft', '-f', '-'], OLD)).exitCode).toBe(0);
    await writeFile(path.join(dir, 'deny-web.yaml'), DENY_WEB.slice(0, DENY_WEB.indexOf('{app: ') + 6));

    // `ip netns exec` execs the command in place: the child's pid is the agent's.
    agent = spawn('ip', ['netns', 'exec', ns.name, process.execPath, MAIN, 'agent', '--source', `files:${dir}`, '--listen', LISTEN, '--coalesce-ms', '5'], {
      env: { ...process.env, NODE_NAME: 'node-1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout?.on('data', (b: Buffer) => void (logs += b.toString()));
    agent.stderr?.on('data', (b: Buffer) => void (logs += b.toString()));
    exited = new Promise((resolve) => agent?.on('exit', (code) => resolve(code)));

    await until('/status to show the refused read', async () => {
      const r = await get('/status');
      return r.status === 200 && (JSON.parse(r.body) as { source: { rejected: unknown } }).source.rejected !== null;
    });
    expect(await get('/readyz')).toEqual({ status: 503, body: "waiting for the files source's first complete, valid read" });
    expect(await nftList()).toContain('chain previous-run {'); // nothing written: the old rules still enforce
    await rm(path.join(dir, 'deny-web.yaml'));

    await until('/readyz to answer 200', async () => (await get('/readyz')).status === 200);
    const first = JSON.parse((await get('/status')).body) as Status;
    expect(first.kernel.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(first.kernel.revision).toBe(first.source.revision);
    expect(first.kernel.lastApply?.kind).toBe('replace');
    const before = await nftList();
    for (const chain of ['chain egress {', 'chain ingress {', 'chain pod-in/shop/db {', 'chain pol-in/shop/db-allow-api {']) expect(before).toContain(chain);
    expect(before).not.toContain('deny-web');
    expect(before).not.toContain('previous-run'); // replaced whole, in the one transaction of the first sync

    // An editor's atomic save: write beside, rename into place.
    await writeFile(path.join(dir, '.deny-web.yaml.tmp'), DENY_WEB);
    await rename(path.join(dir, '.deny-web.yaml.tmp'), path.join(dir, 'deny-web.yaml'));
    let now: Status = first;
    await until('/status to show a new revision in the kernel', async () => {
      const r = await get('/status');
      if (r.status !== 200) return false;
      now = JSON.parse(r.body) as Status;
      return now.kernel.revision !== first.kernel.revision;
    });
    expect(now.kernel.revision).toBe(now.source.revision);
    // The edit went in as a delta on the table in force, smaller than the whole table.
    expect(now.kernel.lastApply?.kind).toBe('delta');
    expect(now.kernel.lastApply?.bytes).toBeGreaterThan(0);
    expect(now.kernel.lastApply?.bytes).toBeLessThan(first.kernel.lastApply?.bytes ?? 0);
    const after = await nftList();
    expect(after).toContain('chain pol-in/shop/deny-web {');
    expect(after).toContain('chain pod-in/shop/web');

    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await nftList()).toBe(after); // still in force, unchanged (no traffic, so even the counters)

    const cleanup = await inNs([process.execPath, MAIN, 'cleanup']);
    expect([cleanup.exitCode, String(cleanup.stdout)]).toEqual([0, 'removed table inet nftpol']);
    expect(await nftList()).toMatch(/^\(no table/);
    const again = await inNs([process.execPath, MAIN, 'cleanup']);
    expect([again.exitCode, String(again.stdout)]).toEqual([0, 'no table inet nftpol: nothing to remove']);
  });
});
