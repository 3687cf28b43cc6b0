import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeConfig, parseDuration, parseListen, resolveAgentConfig } from '../../src/agent/config.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-config-'));
  await writeFile(path.join(dir, 'file.yaml'), '');
});

describe('agent config', () => {
  it('defaults: files source, node from NODE_NAME, the documented values', async () => {
    const r = await resolveAgentConfig({ source: `files:${dir}` }, { NODE_NAME: 'node-1' }, '/');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      source: { kind: 'files', dir }, node: 'node-1', nodeFrom: 'env', table: 'nftpol', coalesceMs: 5,
      reconcileIntervalMs: 300_000, rescanIntervalMs: 30_000, staleAfterMs: 900_000,
      listen: { host: '127.0.0.1', port: 9807 }, logLevel: 'info', bridgeNetfilterCheck: true, nftBackend: 'nft', keepEstablished: false,
    });
    expect(describeConfig(r.config)).toMatchObject({
      reconcileInterval: '5m', staleAfter: '15m', listen: '127.0.0.1:9807', table: 'inet nftpol', nftBackend: 'nft', keepEstablished: false,
    });
  });

  it('--node wins over NODE_NAME; a relative folder is resolved against cwd', async () => {
    const r = await resolveAgentConfig({ source: `files:${path.basename(dir)}`, node: 'node-2' }, { NODE_NAME: 'node-1' }, path.dirname(dir));
    expect(r).toMatchObject({ ok: true, config: { node: 'node-2', nodeFrom: 'flag', source: { dir } } });
  });

  it('reports every problem at once', async () => {
    const r = await resolveAgentConfig({
      source: 'kubernetes', table: '1bad', coalesceMs: '-3', reconcileInterval: '5 minutes', rescanInterval: '10ms',
      staleAfter: '2m', listen: 'localhost', logLevel: 'loud', nftBackend: 'iptables',
    }, {}, '/');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      '--source kubernetes without --kubeconfig uses the pod\'s service account, but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod?): give --kubeconfig PATH',
      '--node is required (or set NODE_NAME, e.g. from the downward API: spec.nodeName)',
      '--table "1bad" is not an nftables table name (letters, digits, "_", "." and "-", starting with a letter or "_")',
      '--coalesce-ms "-3": want a whole number of milliseconds from 0 to 10000',
      '--reconcile-interval "5 minutes" is not a duration (e.g. 250ms, 30s, 5m, 1h30m; 0 turns it off)',
      '--rescan-interval 10ms is too short: at least 100ms (or 0 to turn it off)',
      '--listen "localhost": want HOST:PORT, [IPv6]:PORT or :PORT (port 0 to 65535)',
      '--log-level "loud": want one of fatal, error, warn, info, debug, trace, silent',
      '--nft-backend "iptables": want nft or libnftables',
    ]);
  });

  it('kubernetes: in-cluster by default, or a kubeconfig and context that must load; --kubeconfig and --context only with it', async () => {
    const inCluster = await resolveAgentConfig({ source: 'kubernetes', node: 'n' }, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, '/');
    expect(inCluster).toMatchObject({ ok: true, config: { source: { kind: 'kubernetes' } } });
    if (inCluster.ok) expect(describeConfig(inCluster.config)).toMatchObject({ source: 'kubernetes', kubeconfig: 'in-cluster' });
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: a',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
      'contexts: [{name: a, context: {cluster: c, user: u}}, {name: b, context: {cluster: c, user: u}}]',
      'users: [{name: u, user: {token: t}}]', '',
    ].join('\n'));
    const fromFile = await resolveAgentConfig({ source: 'kubernetes', kubeconfig: 'kubeconfig', context: 'b', node: 'n' }, {}, dir);
    expect(fromFile).toMatchObject({ ok: true, config: { source: { kind: 'kubernetes', kubeconfig, context: 'b' } } });
    expect(await resolveAgentConfig({ source: 'kubernetes', kubeconfig, context: 'zz', node: 'n' }, {}, '/'))
      .toEqual({ ok: false, problems: [`--kubeconfig ${kubeconfig}: no context named "zz" in the kubeconfig (contexts: a, b)`] });
    expect(await resolveAgentConfig({ source: 'kubernetes', kubeconfig: `${dir}/nope`, node: 'n' }, {}, '/'))
      .toMatchObject({ ok: false, problems: [expect.stringMatching(new RegExp(`^--kubeconfig ${dir}/nope: .*ENOENT`))] });
    expect(await resolveAgentConfig({ source: 'kubernetes', context: 'b', node: 'n' }, { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, '/'))
      .toEqual({ ok: false, problems: ['--context needs --kubeconfig: the in-cluster config (the pod\'s service account) has one context'] });
    expect(await resolveAgentConfig({ source: `files:${dir}`, kubeconfig, node: 'n' }, {}, '/'))
      .toEqual({ ok: false, problems: ['--kubeconfig is for --source kubernetes only'] });
  });

  it('refuses a missing folder, a file as folder, an unknown source, a bad node name', async () => {
    const missing = await resolveAgentConfig({ source: `files:${dir}/nope`, node: 'Node_1' }, {}, '/');
    expect(missing).toEqual({ ok: false, problems: [
      `--source files:${dir}/nope: no such folder (${dir}/nope)`,
      '--node "Node_1" is not a node name (lower-case letters, digits, "-" and ".", at most 253)',
    ] });
    const file = await resolveAgentConfig({ source: `files:${dir}/file.yaml`, node: 'n' }, {}, '/');
    expect(file).toMatchObject({ ok: false, problems: [expect.stringContaining('not a folder')] });
    const other = await resolveAgentConfig({ source: 'etcd', node: 'n' }, {}, '/');
    expect(other).toMatchObject({ ok: false, problems: ['--source "etcd": want files:DIR or kubernetes'] });
    const none = await resolveAgentConfig({ node: 'n' }, {}, '/');
    expect(none).toMatchObject({ ok: false, problems: [expect.stringMatching(/^--source is required/)] });
  });

  it('--nft-backend libnftables and --keep-established are taken and shown in the logged config', async () => {
    const r = await resolveAgentConfig({ source: `files:${dir}`, node: 'n', nftBackend: 'libnftables', keepEstablished: true }, {}, '/');
    expect(r).toMatchObject({ ok: true, config: { nftBackend: 'libnftables', keepEstablished: true } });
    if (r.ok) expect(describeConfig(r.config)).toMatchObject({ nftBackend: 'libnftables', keepEstablished: true });
    for (const bad of ['', 'LIBNFTABLES', 'nft ']) {
      expect(await resolveAgentConfig({ source: `files:${dir}`, node: 'n', nftBackend: bad }, {}, '/'))
        .toEqual({ ok: false, problems: [`--nft-backend ${JSON.stringify(bad)}: want nft or libnftables`] });
    }
  });

  it('staleness must outlast the reconcile interval (a steady agent confirms the table once per reconcile)', async () => {
    const r = await resolveAgentConfig({ source: `files:${dir}`, node: 'n', reconcileInterval: '5m', staleAfter: '5m' }, {}, '/');
    expect(r).toMatchObject({ ok: false, problems: [expect.stringMatching(/^--stale-after 5m must be longer than --reconcile-interval \(5m/)] });
    expect((await resolveAgentConfig({ source: `files:${dir}`, node: 'n', reconcileInterval: '0', staleAfter: '0' }, {}, '/')).ok).toBe(true);
    expect((await resolveAgentConfig({ source: `files:${dir}`, node: 'n', reconcileInterval: '0' }, {}, '/')).ok).toBe(false);
  });

  it('durations and listen addresses', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0')).toBe(0);
    for (const bad of ['', '5', '5 m', 'm', '-1s', '1d']) expect(parseDuration(bad)).toBeUndefined();
    expect(parseListen(':9807')).toEqual({ host: '', port: 9807 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListen('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    for (const bad of ['9807', 'host:', 'host:70000', '::1:80']) expect(parseListen(bad)).toBeUndefined();
  });
});
