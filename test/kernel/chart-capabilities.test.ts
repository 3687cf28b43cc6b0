// The agent's container, as the chart sets it up, is enough, and each
// restriction holds: in a throwaway network namespace (a node with a cni0
// bridge, br_netfilter set up as the node must have it), `nftpol agent` runs
// with the flags the chart renders (the files source instead of the API
// server), with only the capabilities the chart's securityContext adds
// (setpriv: the bounding set, as the container runtime sets it), on a
// read-only root with a fresh tmpfs on /tmp (the chart's emptyDir) and a
// read-only /proc/sys (as in any container), in its own mount namespace. It
// writes its table and is ready; the conntrack command the agent runs to
// revoke established connections inserts, lists and deletes under the same
// capabilities; the chart's cleanup hook arguments remove the table. With no
// capability the agent cannot write and stays unready; without a writable
// /tmp, nft gets no script.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, afterAll, expect, it } from 'vitest';
import { describeKernel } from '../support/describe-requiring.ts';
import { throwawayNetns, type ThrowawayNetns } from '../support/root.ts';
import { findObject, renderChart, type Rendered } from '../chart/helm.ts';
import { agentArgs } from '../chart/nftpol-commands.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
/**
 * Where the container sees the repository: a bind mount of it made before
 * /tmp is covered by the tmpfs, so the test works wherever the clone lives
 * (a clone under /tmp would otherwise vanish under the container's /tmp).
 */
let repoView = '';
/** A path as the container sees it (the repository's files, Node 24 of its node_modules included, through the view). */
const inView = (p: string): string => (p === REPO || p.startsWith(`${REPO}${path.sep}`) ? path.join(repoView, path.relative(REPO, p)) : p);
const main = (): string => inView(path.join(REPO, 'src/cli/nftpol-main.ts'));
const EXAMPLE = path.join(REPO, 'policies-examples/db-only-from-api/manifests');

type SecurityContext = { capabilities?: { add?: string[]; drop?: string[] } };

/** setpriv's arguments for a container's capabilities: drop ALL, add the listed ones (lower case, as setpriv names them). */
function setprivFor(sc: SecurityContext | undefined): string[] {
  const add = (sc?.capabilities?.add ?? []).map((c) => `+${c.toLowerCase()}`);
  expect(sc?.capabilities?.drop).toEqual(['ALL']);
  return ['setpriv', `--bounding-set=-all${add.length > 0 ? `,${add.join(',')}` : ''}`, '--inh-caps=-all', '--no-new-privs'];
}

/**
 * A container's filesystem, as far as the chart decides it: a private mount
 * namespace whose root is read-only (readOnlyRootFilesystem), /proc/sys
 * read-only (the runtime's default), and, with `tmp`, a tmpfs on /tmp (the
 * chart's emptyDir). The command then runs in place (exec: same pid).
 */
function containerFs({ tmp }: { readonly tmp: boolean }): string[] {
  const mounts = [
    `mount --bind '${REPO}' '${repoView}'`,
    'mount -o remount,bind,ro /',
    'mount --bind /proc/sys /proc/sys', 'mount -o remount,bind,ro /proc/sys',
    ...(tmp ? ['mount -t tmpfs -o size=64m tmpfs /tmp'] : []),
  ];
  // cd /: a container starts in its image's WORKDIR, never in the test's working folder (which a clone under /tmp would hide).
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${mounts.join(' && ')} && cd / && exec "$@"`, 'container'];
}

await describeKernel('the chart\'s agent container on the kernel (capabilities, read-only root)', () => {
  let ns: ThrowawayNetns;
  let dir: string;
  let objects: Rendered[];
  let agent: ChildProcess | undefined;
  let logs = '';

  const inNs = (argv: readonly string[]) => execa('ip', ['netns', 'exec', ns.name, ...argv], { reject: false, stdin: 'ignore' });
  const readyz = async (listen: string): Promise<number> => {
    const script = `fetch('http://${listen}/readyz').then((r) => process.stdout.write(String(r.status)), () => process.stdout.write('0'))`;
    return Number(String((await inNs([process.execPath, '-e', script])).stdout));
  };
  const container = (kind: 'agent' | 'cleanup'): { securityContext?: SecurityContext; args?: string[] } => {
    const hook = kind === 'cleanup';
    const ds = findObject(objects, 'DaemonSet', (o) => (o.metadata.annotations?.['helm.sh/hook'] !== undefined) === hook);
    const spec = (ds as unknown as { spec: { template: { spec: { containers: { name: string }[]; initContainers?: { name: string }[] } } } }).spec.template.spec;
    return [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === kind) as { securityContext?: SecurityContext; args?: string[] };
  };
  /** The chart's agent arguments, the files source in place of the API server. */
  const chartAgentArgs = (): string[] => agentArgs(objects).map((a) => (a === '--source=kubernetes' ? `--source=files:${dir}` : a));
  const listenOf = (args: readonly string[]): string => (args.find((a) => a.startsWith('--listen=')) ?? '').slice('--listen='.length);

  function startAgent(privs: readonly string[], { tmp = true } = {}): void {
    logs = '';
    agent = spawn('ip', ['netns', 'exec', ns.name, ...containerFs({ tmp }), ...privs, inView(process.execPath), main(), ...chartAgentArgs()], {
      env: { ...process.env, NODE_NAME: 'node-1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout?.on('data', (b: Buffer) => void (logs += b.toString()));
    agent.stderr?.on('data', (b: Buffer) => void (logs += b.toString()));
  }
  async function stopAgent(): Promise<void> {
    if (agent === undefined || agent.exitCode !== null) return;
    const exited = new Promise((resolve) => agent?.on('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    objects = await renderChart();
    ns = await throwawayNetns();
    for (const cmd of ['link set lo up', 'link add cni0 type bridge', 'link set cni0 up']) await execa('ip', ['-n', ns.name, ...cmd.split(' ')], { stdin: 'ignore' });
    // What the node must provide (docs/helm.md): br_netfilter with bridged traffic sent to netfilter. The chart's agent cannot set it (read-only /proc/sys, no CAP_SYS_MODULE).
    await execa('modprobe', ['br_netfilter'], { reject: false });
    for (const key of ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']) await inNs(['sysctl', '-q', '-w', `${key}=1`]);
    // Not under /tmp: the container's /tmp is a fresh tmpfs. /dev/shm is a mount of its own, left as it is.
    dir = await mkdtemp(path.join('/dev/shm', 'nftpol-chart-caps-'));
    repoView = await mkdtemp(path.join('/dev/shm', 'nftpol-chart-repo-'));
    for (const f of ['namespaces.yaml', 'policies.yaml', 'workloads.yaml']) await writeFile(path.join(dir, f), await readFile(path.join(EXAMPLE, f)));
  });
  afterEach(stopAgent);
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await ns?.destroy();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    // Empty here: the bind mount was only in the container's mount namespace. Never
    // recursive: were the mount visible here, that would delete the repository.
    if (repoView !== '') await rmdir(repoView).catch(() => undefined);
  });

  it('NET_ADMIN alone: the agent with the chart\'s flags writes its table and is ready; conntrack works; the cleanup hook removes the table', async () => {
    const agentContainer = container('agent');
    expect(agentContainer.securityContext?.capabilities?.add).toEqual(['NET_ADMIN']);
    const privs = setprivFor(agentContainer.securityContext);
    startAgent(privs);
    const listen = listenOf(chartAgentArgs());
    const deadline = Date.now() + 20_000;
    while ((await readyz(listen)) !== 200) {
      if (Date.now() > deadline || agent?.exitCode !== null) throw new Error(`agent not ready with ${privs.join(' ')}; logs:\n${logs}`);
    }
    const table = await inNs(['nft', 'list', 'table', 'inet', 'nftpol']);
    expect(String(table.stdout)).toContain('chain pod-in/shop/db {');
    // The agent's own capabilities were those (its status line in /proc).
    const caps = String((await inNs(['grep', 'CapEff', `/proc/${agent?.pid}/status`])).stdout);
    expect(caps).toMatch(/CapEff:\s+0000000000001000/); // bit 12: CAP_NET_ADMIN, nothing else

    const ct = ['conntrack', '-s', '10.244.9.1', '-d', '10.244.9.2', '-p', 'tcp', '--sport', '40000', '--dport', '80'];
    const insert = await inNs([...privs, ...ct.slice(0, 1), '-I', ...ct.slice(1), '--state', 'ESTABLISHED', '-t', '60', '-u', 'ASSURED']);
    expect(insert.exitCode, String(insert.stderr)).toBe(0);
    expect(String((await inNs([...privs, 'conntrack', '-L', '-s', '10.244.9.1'])).stdout)).toContain('dport=80');
    const del = await inNs([...privs, 'conntrack', '-D', '-s', '10.244.9.1']);
    expect(String(del.stderr)).toContain('1 flow entries have been deleted');

    await stopAgent();
    const cleanupContainer = container('cleanup');
    const cleanup = await inNs([...containerFs({ tmp: true }), ...setprivFor(cleanupContainer.securityContext), inView(process.execPath), main(), ...(cleanupContainer.args ?? [])]);
    expect([cleanup.exitCode, String(cleanup.stdout)]).toEqual([0, 'removed table inet nftpol']);
  });

  it('without NET_ADMIN the agent cannot write: it stays unready and says nft was refused', async () => {
    startAgent(setprivFor({ capabilities: { drop: ['ALL'] } }));
    const listen = listenOf(chartAgentArgs());
    const deadline = Date.now() + 20_000;
    while (!/Operation not permitted/.test(logs)) {
      if (Date.now() > deadline) throw new Error(`no refusal logged; logs:\n${logs}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await readyz(listen)).toBe(503);
    expect(String((await inNs(['nft', 'list', 'tables'])).stdout)).not.toContain('nftpol');
  });

  it('without a writable /tmp (no emptyDir) nft gets no script: the read-only root is why the chart mounts one', async () => {
    startAgent(setprivFor(container('agent').securityContext), { tmp: false });
    const deadline = Date.now() + 20_000;
    while (!/read-only file system|EROFS/i.test(logs)) {
      if (Date.now() > deadline) throw new Error(`no read-only refusal logged; logs:\n${logs}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await readyz(listenOf(chartAgentArgs()))).toBe(503);
  });
});
