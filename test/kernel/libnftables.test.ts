// The libnftables backend on the real kernel. libnftables acts in the network
// namespace of the process that calls it, so the backend runs in a child
// (libnftables-child.ts) started with `ip netns exec` in a throwaway
// namespace; the test also runs the nft command in that namespace, to compare
// and to change the ruleset behind the library's back. Debian's nftables
// package depends on libnftables1, so wherever nft is installed the library
// is too: the suite needs what describeNft checks (root, nft, ip), and a
// child that could not load the library fails it with the fallback message.
// Last, drops from real packets: a routed "node" namespace between a source
// and a pod namespace, UDP from the source to a pod its policy isolates, and
// the pod's drop counter (and metric) read through the library. And the
// agent itself with --nft-backend libnftables in a namespace of its own: its
// first sync, an edit applied as a delta, no fallback warning (every wait
// polls its /status; none sleeps and hopes).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { podDropCounters } from '../../src/agent/drop-counters.ts';
import { compileForNode } from '../../src/compile/compile-for-node.ts';
import { renderReplaceScript } from '../../src/nft/render-table.ts';
import { loadManifests } from '../../src/sources/load-cluster.ts';
import { describeNft, throwawayNetns, type ThrowawayNetns } from '../support/root.ts';

const CHILD = path.join(import.meta.dirname, 'libnftables-child.ts');
const CLUSTER = path.join(import.meta.dirname, '../agent/fixtures/drop-counters/cluster.yaml');
const LIST = ['list', 'table', 'inet', 'nftpol'];
const MAIN = path.resolve(import.meta.dirname, '../../src/cli/nftpol-main.ts');
const DENY_WEB = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n';

interface Answer { ok: boolean; out?: string | null; error?: { nft: boolean; message: string; stderr: string | null; noSuchTable: boolean } }

/** The child: one backend in a namespace, asked one request at a time. */
class BackendChild {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';
  constructor(netns: string, backend: string, library?: string) {
    this.proc = spawn('ip', ['netns', 'exec', netns, process.execPath, CHILD, backend, ...(library === undefined ? [] : [library])]);
    this.proc.stderr.on('data', (d: Buffer) => void (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async next<T>(): Promise<T> {
    const line = await this.lines.next();
    if (line.done === true) throw new Error(`the child exited; its stderr:\n${this.stderr}`);
    return JSON.parse(line.value) as T;
  }
  ask(req: object): Promise<Answer> {
    this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    return this.next<Answer>();
  }
  stop(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

await describeNft('libnftables backend (in-process nft) in a network namespace', () => {
  let ns: ThrowawayNetns;
  let lib: BackendChild;
  let table: string;
  const nftCli = async (args: readonly string[], input?: string) => {
    const r = await execa('ip', ['netns', 'exec', ns.name, 'nft', ...args], { reject: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
    return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  };

  beforeAll(async () => {
    ns = await throwawayNetns();
    lib = new BackendChild(ns.name, 'libnftables');
    const loaded = await loadManifests([CLUSTER]);
    const ir = compileForNode(loaded.objects, 'node-1');
    if (!ir.ok) throw new Error('fixture: node-1 unknown');
    table = renderReplaceScript(ir.ir);
  });
  afterAll(async () => {
    lib?.stop();
    await ns?.destroy();
  });

  it('loads the library, applies a table of our shape and reads it back as the command does (-j too)', async () => {
    expect(await lib.next()).toEqual({ backend: 'libnftables', fallback: null });
    expect(await lib.ask({ op: 'apply', script: table })).toEqual({ ok: true, out: null });
    for (const args of [LIST, ['-j', ...LIST], ['-a', ...LIST], ['-s', '-j', ...LIST], ['-j', '-t', ...LIST]]) {
      const viaLib = await lib.ask({ op: 'read', args });
      const viaCli = await nftCli(args);
      expect(viaCli.code).toBe(0);
      expect(viaLib).toEqual({ ok: true, out: viaCli.stdout.endsWith('\n') ? viaCli.stdout : `${viaCli.stdout}\n` });
    }
    const json = await lib.ask({ op: 'read', args: ['-j', ...LIST] });
    expect(podDropCounters(json.out as string, 'nftpol').counters.map((c) => `${c.direction} ${c.namespace}/${c.pod}`))
      .toEqual(['ingress shop/db-0', 'egress shop/web-7d9f8c6b5-x2x4q']);
  });

  it('a refused script is an NftError with nft\'s located message, and changes nothing', async () => {
    const before = await lib.ask({ op: 'read', args: LIST });
    const bad = 'add chain inet nftpol extra\nadd rule inet nftpol extra counter accept\ncreate chain inet nftpol ingress\n';
    const refused = await lib.ask({ op: 'apply', script: bad });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({ nft: true, noSuchTable: false });
    expect(refused.error?.stderr).toMatch(/^script:3:\d+-\d+: Error: Could not process rule: File exists\ncreate chain inet nftpol ingress\n/);
    expect(refused.error?.message).toMatch(/^libnftables apply \(nft -f\) failed: script:3:/);
    const syntax = await lib.ask({ op: 'check', script: 'add chain inet nftpol extra\nadd rule inet nftpol extra bogus\n' });
    expect(syntax.error?.stderr).toMatch(/^script:2:\d+-\d+: Error: syntax error/);
    expect(await lib.ask({ op: 'read', args: LIST })).toEqual(before);
  });

  it('check is a dry run: a valid script is accepted and not applied', async () => {
    expect(await lib.ask({ op: 'check', script: 'add chain inet nftpol extra\n' })).toEqual({ ok: true, out: null });
    expect((await nftCli(['list', 'chain', 'inet', 'nftpol', 'extra'])).code).not.toBe(0);
    expect(await lib.ask({ op: 'apply', script: 'add chain inet nftpol extra\n' })).toEqual({ ok: true, out: null });
    expect((await nftCli(['list', 'chain', 'inet', 'nftpol', 'extra'])).code).toBe(0);
  });

  it('a missing table is isNoSuchTable, read or deleted; the long-lived context sees changes made behind its back', async () => {
    const gone = await lib.ask({ op: 'read', args: ['list', 'table', 'inet', 'nosuch'] });
    expect(gone.error).toMatchObject({ nft: true, noSuchTable: true });
    const del = await lib.ask({ op: 'apply', script: 'delete table inet nosuch\n' });
    expect(del.error).toMatchObject({ nft: true, noSuchTable: true });
    expect((await nftCli(['delete', 'table', 'inet', 'nftpol'])).code).toBe(0);
    expect((await lib.ask({ op: 'read', args: LIST })).error).toMatchObject({ noSuchTable: true });
    expect((await nftCli(['-f', '-'], table)).code).toBe(0);
    expect((await lib.ask({ op: 'read', args: LIST })).ok).toBe(true);
  });

  it('falls back to the nft command, saying what is missing and how to install it, when the library cannot be loaded', async () => {
    const child = new BackendChild(ns.name, 'libnftables', '/nonexistent/libnftables.so.1');
    try {
      const opened = await child.next<{ backend: string; fallback: string }>();
      expect(opened.backend).toBe('nft');
      expect(opened.fallback).toMatch(/^libnftables backend unavailable: cannot load \/nonexistent\/libnftables\.so\.1 \(.+\); using the nft command instead\. .*apt-get install libnftables1$/);
      expect((await child.ask({ op: 'read', args: LIST })).ok).toBe(true); // the command, in the same namespace
    } finally {
      child.stop();
    }
  });

  it('counts real packets a pod\'s policy drops, read through the library (and as the metric)', async () => {
    // node (ns) routes between a source namespace (10.244.2.5) and db-0's (10.244.1.10).
    const pod = await throwawayNetns();
    const source = await throwawayNetns();
    try {
      const ip = (n: string, cmd: string) => execa('ip', ['-n', n, ...cmd.split(' ')], { stdin: 'ignore' });
      for (const cmd of ['link set lo up', `link add vp type veth peer name eth0 netns ${pod.name}`, `link add vs type veth peer name eth0 netns ${source.name}`,
        'addr add 10.244.1.1/24 dev vp', 'addr add 10.244.2.1/24 dev vs', 'link set vp up', 'link set vs up']) await ip(ns.name, cmd);
      for (const [n, addr, gw] of [[pod.name, '10.244.1.10/24', '10.244.1.1'], [source.name, '10.244.2.5/24', '10.244.2.1']] as const) {
        for (const cmd of ['link set lo up', `addr add ${addr} dev eth0`, 'link set eth0 up', `route add default via ${gw}`]) await ip(n, cmd);
      }
      await execa('ip', ['netns', 'exec', ns.name, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { stdin: 'ignore' });
      expect(await lib.ask({ op: 'apply', script: table })).toEqual({ ok: true, out: null }); // counters from 0
      // Three UDP datagrams (2 bytes of payload: 30-byte IP packets) to a port only web pods may use; each from a new socket.
      await execa('ip', ['netns', 'exec', source.name, 'bash', '-c', 'for i in 1 2 3; do echo x > /dev/udp/10.244.1.10/5432; done'], { stdin: 'ignore' });
      const deadline = Date.now() + 10_000;
      let db = undefined as ReturnType<typeof podDropCounters>['counters'][number] | undefined;
      while (db?.packets !== 3) {
        if (Date.now() > deadline) throw new Error(`db-0's drop counter did not reach 3 packets: ${JSON.stringify(db)}`);
        const read = await lib.ask({ op: 'read', args: ['-j', ...LIST] });
        db = podDropCounters(read.out as string, 'nftpol').counters.find((c) => c.pod === 'db-0');
      }
      expect(db).toEqual({ namespace: 'shop', pod: 'db-0', direction: 'ingress', packets: 3, bytes: 90 });
      const metrics = (await lib.ask({ op: 'metrics' })).out as string;
      expect(metrics).toContain('nftpol_pod_dropped_packets_total{namespace="shop",pod="db-0",direction="ingress"} 3\n');
      expect(metrics).toContain('nftpol_pod_dropped_bytes_total{namespace="shop",pod="db-0",direction="ingress"} 90\n');
      expect(metrics).toContain('nftpol_pod_dropped_packets_total{namespace="shop",pod="web-7d9f8c6b5-x2x4q",direction="egress"} 0\n');
    } finally {
      await pod.destroy();
      await source.destroy();
    }
  });

  it('nftpol agent --nft-backend libnftables: the first sync replaces the table, an edit goes in as a delta, both through the library', async () => {
    const node = await throwawayNetns();
    await execa('ip', ['-n', node.name, 'link', 'set', 'lo', 'up'], { stdin: 'ignore' }); // the endpoints listen on 127.0.0.1
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-libnft-agent-'));
    await copyFile(CLUSTER, path.join(dir, 'cluster.yaml'));
    let logs = '';
    const agent = spawn('ip', ['netns', 'exec', node.name, process.execPath, MAIN, 'agent', '--source', `files:${dir}`, '--node', 'node-1',
      '--nft-backend', 'libnftables', '--no-bridge-netfilter-check', '--listen', '127.0.0.1:9807'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout.on('data', (b: Buffer) => void (logs += b.toString()));
    agent.stderr.on('data', (b: Buffer) => void (logs += b.toString()));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', resolve));
    type Status = { kernel: { revision: string | null; lastApply: { kind: string } | null } };
    const status = async (): Promise<Status | undefined> => {
      const script = 'fetch("http://127.0.0.1:9807/status").then(async (r) => process.stdout.write(await r.text()), () => {})';
      const out = String((await execa('ip', ['netns', 'exec', node.name, process.execPath, '-e', script], { reject: false, stdin: 'ignore' })).stdout);
      return out === '' ? undefined : JSON.parse(out) as Status;
    };
    const until = async (what: string, done: (s: Status) => boolean): Promise<Status> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const s = await status();
        if (s !== undefined && done(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent logs:\n${logs}`);
      }
    };
    const listed = async () => String((await execa('ip', ['netns', 'exec', node.name, 'nft', ...LIST], { reject: false, stdin: 'ignore' })).stdout);
    try {
      const first = await until('the first sync', (s) => s.kernel.revision !== null);
      expect(first.kernel.lastApply?.kind).toBe('replace');
      const start = JSON.parse(logs.split('\n')[0] as string) as { msg: string; nftBackendInUse: string; config: { nftBackend: string } };
      expect(start).toMatchObject({ msg: 'nftpol agent starting', nftBackendInUse: 'libnftables', config: { nftBackend: 'libnftables' } });
      expect(await listed()).toContain('chain pod-in/shop/db-0 {');
      await writeFile(path.join(dir, '.deny-web.tmp'), DENY_WEB);
      await rename(path.join(dir, '.deny-web.tmp'), path.join(dir, 'deny-web.yaml'));
      const second = await until('the edit in the kernel', (s) => s.kernel.revision !== first.kernel.revision);
      expect(second.kernel.lastApply?.kind).toBe('delta');
      expect(await listed()).toContain('chain pod-in/shop/web-7d9f8c6b5-x2x4q {');
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs).not.toMatch(/"level":(40|50)/); // no warning (no fallback), no error
    } finally {
      agent.kill('SIGKILL');
      await node.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
