// `nftpol agent` and `nftpol cleanup` through the command line, in-process:
// help lists every flag, bad flags are all reported with exit 2, a run
// applies the same script `nftpol render` prints, a stop exits 0 without
// touching the table, cleanup is idempotent. (On the real kernel:
// test/kernel/agent.test.ts.)
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type MainOptions } from '../../src/cli/nftpol-program.ts';
import { NftError, type NftRunner } from '../../src/dataplane/nft-runner.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = 'policies-examples/db-only-from-api/manifests';

async function nftpol(args: readonly string[], opts: MainOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s), isTTY: false }, stderr: { write: (s: string) => (stderr += s), isTTY: false }, stdin: '' };
  const code = await main(args, io, { cwd: REPO, ...opts });
  return { code, stdout, stderr };
}

function fakeNft(tables: Set<string>): NftRunner & { scripts: string[] } {
  const scripts: string[] = [];
  return {
    scripts,
    apply: async (s) => {
      scripts.push(s);
      const name = /^delete table inet (\S+)$/m.exec(s)?.[1];
      if (name !== undefined) tables.delete(name);
      const made = /^table inet (\S+) \{$/m.exec(s)?.[1];
      if (made !== undefined) tables.add(made);
    },
    check: async () => {},
    read: async (args) => {
      const name = args[3] as string;
      if (!tables.has(name)) throw new NftError('nft list table failed (exit 1)', `Error: No such file or directory\nlist table inet ${name}\n`);
      return `table inet ${name} {\n}\n`;
    },
  };
}

describe('nftpol agent', () => {
  it('--help lists every flag', async () => {
    const { code, stdout } = await nftpol(['agent', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--source', '--kubeconfig', '--context', '--node', '--table', '--coalesce-ms', '--reconcile-interval', '--rescan-interval', '--stale-after', '--listen', '--log-level', '--no-bridge-netfilter-check', '--nft-backend', '--keep-established']) {
      expect(stdout).toContain(flag);
    }
  });

  it('--help says what the kubernetes source waits for before applying: the cluster-wide policy lists too', async () => {
    const { stdout } = await nftpol(['agent', '--help']);
    const text = stdout.replace(/\s+/g, ' ');
    expect(text).not.toContain('all four lists');
    expect(text).toContain('nothing is applied before the first lists of Namespaces, Pods, NetworkPolicies and Nodes are in, discovery has answered which cluster-wide policy kinds (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) the API server serves, and the first list of each served one is in.');
    expect(text).toContain('An invalid NetworkPolicy or cluster-wide policy fails closed');
  });

  it('reports every bad flag at once and exits 2; --source kubernetes outside a pod needs --kubeconfig', async () => {
    const { code, stdout, stderr } = await nftpol(['agent', '--source', 'kubernetes', '--coalesce-ms', 'x', '--listen', 'nowhere'], { agent: { env: {} } });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe([
      'error: --source kubernetes without --kubeconfig uses the pod\'s service account, but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod?): give --kubeconfig PATH',
      'error: --node is required (or set NODE_NAME, e.g. from the downward API: spec.nodeName)',
      'error: --coalesce-ms "x": want a whole number of milliseconds from 0 to 10000',
      'error: --listen "nowhere": want HOST:PORT, [IPv6]:PORT or :PORT (port 0 to 65535)',
      '4 problems with the flags; the agent did not start (nftpol agent --help)',
      '',
    ].join('\n'));
  });

  it('runs until stopped: applies what `nftpol render` prints, serves /readyz, exits 0 and leaves the table', async () => {
    const tables = new Set<string>();
    const nft = fakeNft(tables);
    let address = '';
    let stop: (s: string) => void = () => undefined;
    const stopped = new Promise<string>((r) => (stop = r));
    const started = new Promise<void>((r) => {
      const run = nftpol(['agent', '--source', `files:${EXAMPLE}`, '--listen', '127.0.0.1:0', '--no-bridge-netfilter-check'], {
        agent: { env: { NODE_NAME: 'node-1' }, runner: nft, processMetrics: false, untilStopped: () => stopped, onStarted: (a) => {
          address = a;
          r();
        } },
      });
      void run.then((res) => results.push(res));
    });
    const results: { code: number; stdout: string }[] = [];
    await started;
    for (;;) {
      if ((await fetch(`http://${address}/readyz`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    stop('SIGTERM');
    while (results.length === 0) await new Promise((r) => setTimeout(r, 10));
    const [res] = results;
    expect(res?.code).toBe(0);
    const rendered = await nftpol(['render', '-f', EXAMPLE, '--node', 'node-1']);
    expect(nft.scripts).toEqual([rendered.stdout]);
    expect(tables).toEqual(new Set(['nftpol']));
    const msgs = (res?.stdout ?? '').trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs[0]).toBe('nftpol agent starting');
    expect(msgs.at(-1)).toBe('stopped; table inet nftpol stays in force (remove it with nftpol cleanup)');
  });
});

describe('nftpol cleanup', () => {
  it('removes the table, and says so when there is none (exit 0 both times)', async () => {
    const tables = new Set(['nftpol', 'flannel']);
    const nft = fakeNft(tables);
    expect(await nftpol(['cleanup'], { nft })).toEqual({ code: 0, stdout: 'removed table inet nftpol\n', stderr: '' });
    expect(await nftpol(['cleanup'], { nft })).toEqual({ code: 0, stdout: 'no table inet nftpol: nothing to remove\n', stderr: '' });
    expect(tables).toEqual(new Set(['flannel']));
    expect(nft.scripts).toEqual(['add table inet nftpol\ndelete table inet nftpol\n']);
  });

  it('--table names another table; a bad name exits 2; nft failing exits 1', async () => {
    const tables = new Set(['np_test']);
    expect((await nftpol(['cleanup', '--table', 'np_test'], { nft: fakeNft(tables) })).stdout).toBe('removed table inet np_test\n');
    expect((await nftpol(['cleanup', '--table', '9x'], { nft: fakeNft(tables) })).code).toBe(2);
    const denied: NftRunner = { ...fakeNft(tables), read: async () => {
      throw new NftError('nft list table failed (exit 1)', 'Error: Operation not permitted');
    } };
    const res = await nftpol(['cleanup'], { nft: denied });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: cannot read the ruleset: .*\(run as root\)\n$/);
  });
});
