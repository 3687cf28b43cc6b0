// `nftpol render`: the node's nft script on stdout, deterministic, the same
// bytes as the golden files; bad input and unknown nodes exit 2; --check runs
// nft -c (a fake runner here, the real nft in a throwaway netns as root).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRenderCommand, type RenderCommandOptions } from '../../src/cli/commands/render-command.ts';
import { UsageError } from '../../src/cli/io.ts';
import { main } from '../../src/cli/nftpol-program.ts';
import { NftError, type NftRunner } from '../../src/dataplane/nft-runner.ts';
import { GOLDEN_DIR, REPO } from '../nft/golden/scenarios.ts';
import { describeNft, throwawayNetns } from '../support/root.ts';
import { fixture } from './helpers.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function nftpol(args: readonly string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s), isTTY: false }, stderr: { write: (s: string) => (stderr += s), isTTY: false }, stdin };
  const code = await main(args, io, { cwd: REPO });
  return { code, stdout, stderr };
}

async function direct(opts: Partial<RenderCommandOptions>, nft?: NftRunner): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: '' };
  const full: RenderCommandOptions = { filename: [path.join(REPO, 'policies-examples/named-ports/manifests')], node: 'node-1', table: 'nftpol', ...opts };
  const code = await runRenderCommand(full, io, nft ? { nft } : {});
  return { code, stdout, stderr };
}

const golden = (file: string): string => readFileSync(path.join(GOLDEN_DIR, file), 'utf8');

const NODES_YAML = `apiVersion: v1
kind: Node
metadata: {name: worker-1}
spec: {podCIDRs: [10.244.1.0/24, 'fd00:10:244:1::/64']}
status: {addresses: [{type: InternalIP, address: 192.168.0.11}]}
---
apiVersion: v1
kind: Node
metadata: {name: worker-2}
spec: {podCIDR: 10.244.2.0/24}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}
`;

describe('nftpol render', () => {
  it('prints the golden script of a scenario, spread over node-1 and node-2', async () => {
    for (const n of ['node-1', 'node-2']) {
      const r = await nftpol(['render', '-f', 'policies-examples/named-ports/manifests', '--node', n, '--spread-over', 'node-1,node-2']);
      expect(r).toEqual({ code: 0, stdout: golden(`named-ports.${n}.nft`), stderr: '' });
    }
    const v6 = await nftpol(['render', '-f', 'policies-examples/ipv6/manifests', '--node', 'pool-edge-5', '--spread-over', 'node-1', '--spread-over', 'node-2']);
    expect(v6.stdout).toBe(golden('ipv6.pool-edge-5.nft'));
  });

  it('is byte-deterministic, with no header or timestamp', async () => {
    const a = await nftpol(['render', '-f', 'policies-examples/additive-policies/manifests', '--node', 'node-1']);
    const b = await nftpol(['render', '-f', 'policies-examples/additive-policies/manifests', '--node', 'node-1']);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(a.stdout.startsWith('add table inet nftpol\ndelete table inet nftpol\ntable inet nftpol {\n')).toBe(true);
  });

  it('places every pod without a node on --node when it is the only known node', async () => {
    const r = await nftpol(['render', '-f', '-', '--node', 'solo'], NODES_YAML.split('---\n').slice(2).join('---\n'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('chain pod-in/x/a {');
    expect(r.stdout).toContain('chain pod-in/x/b {');
    expect(r.stdout).toContain('comment "nftpol: NetworkPolicy for node solo"');
  });

  it('with Node objects: renders a known node with its pod CIDRs, and refuses an unknown one (exit 2)', async () => {
    const ok = await nftpol(['render', '-f', '-', '--node', 'worker-1'], NODES_YAML);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('set pod-cidrs-v4 {');
    expect(ok.stdout).toContain('set pod-cidrs-v6 {');
    // x/a and x/b are spread over worker-1 and worker-2.
    expect(ok.stdout).toContain('chain pod-in/x/a {');
    expect(ok.stdout).not.toContain('chain pod-in/x/b {');
    const typo = await nftpol(['render', '-f', '-', '--node', 'worker-3'], NODES_YAML);
    expect(typo).toEqual({ code: 2, stdout: '', stderr: 'error: unknown node "worker-3"; the input knows worker-1, worker-2\n' });
    const spread = await nftpol(['render', '-f', '-', '--node', 'worker-1', '--spread-over', 'worker-9'], NODES_YAML);
    expect(spread.code).toBe(2);
    expect(spread.stderr).toContain('unknown node "worker-9"');
  });

  it('--table names the table', async () => {
    const r = await nftpol(['render', '-f', 'policies-examples/default-deny/manifests', '--node', 'node-1', '--table', 'np_test']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['add table inet np_test', 'delete table inet np_test', 'table inet np_test {']);
  });

  it('exit 2 on bad input: manifest errors, a bad table name, no --node, an empty node name', async () => {
    const bad = await nftpol(['render', '-f', '-', '--node', 'node-1'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nstatus: {podIP: 10.0.0.300}\n');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/10\.0\.0\.300/);
    expect(bad.stderr).toMatch(/error: \d+ errors? in the input; nothing was rendered\n$/);
    // Errors only in NetworkPolicies: rendered failing closed (as the agent enforces them), still exit 2.
    const policies = await nftpol(['render', '-f', fixture('bad-cidr'), '--node', 'node-1']);
    expect(policies.code).toBe(2);
    expect(policies.stdout).toContain('table inet nftpol {');
    expect(policies.stderr).toMatch(/10\.0\.0\.0\/33/);
    expect(policies.stderr).toContain('answering with them failing closed');
    const table = await nftpol(['render', '-f', 'policies-examples/default-deny/manifests', '--node', 'node-1', '--table', 'bad name']);
    expect(table.code).toBe(2);
    expect(table.stderr).toMatch(/--table "bad name" is not an nftables table name/);
    const noNode = await nftpol(['render', '-f', 'policies-examples/default-deny/manifests']);
    expect(noNode.code).toBe(2);
    expect(noNode.stderr).toMatch(/--node/);
    await expect(direct({ node: ' ' })).rejects.toThrow(UsageError);
  });

  it('shows in nftpol --help', async () => {
    const r = await nftpol(['--help']);
    expect(r.stdout).toMatch(/render \[options\]/);
  });

  it('--help says what -n means to render, not what it means to policy-explain', async () => {
    const r = await nftpol(['render', '--help']);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).not.toMatch(/matrix|lint/);
    expect(text).toContain('-n, --namespace <namespace> as kubectl apply -n: the namespace of manifests without one (default: "default"); the script still covers the pods of every namespace on the node');
  });
});

describe('nftpol render --check (fake nft)', () => {
  const runner = (check: NftRunner['check']): NftRunner => ({ apply: async () => undefined, read: async () => '', check });

  it('exit 0 and a note on stderr when nft accepts the script; the script was the one printed', async () => {
    let checked = '';
    const r = await direct({ check: true }, runner(async (s) => void (checked = s)));
    expect(r.code).toBe(0);
    expect(checked).toBe(r.stdout);
    expect(r.stdout.startsWith('add table inet nftpol\n')).toBe(true);
    expect(r.stderr).toBe('nft -c: the script is valid\n');
  });

  it('exit 2 with a clear message when nft cannot read the kernel (not root)', async () => {
    const r = await direct({ check: true }, runner(async () => {
      throw new NftError('nft -c -f - failed (exit 1): netlink: Error: cache initialization failed: Operation not permitted', 'netlink: Error: cache initialization failed: Operation not permitted\n');
    }));
    expect(r.code).toBe(2);
    expect(r.stdout).not.toBe('');
    expect(r.stderr).toMatch(/^error: --check needs nft to read the kernel's ruleset, which takes CAP_NET_ADMIN: run it as root/);
  });

  it('exit 2 when nft cannot be run at all', async () => {
    const r = await direct({ check: true }, runner(async () => {
      throw new NftError('nft -c -f - failed (exit undefined): ', '');
    }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not run nft \(is nftables installed/);
  });

  it('exit 1 with nft\'s words when nft rejects the script', async () => {
    const r = await direct({ check: true }, runner(async () => {
      throw new NftError('nft -c -f - failed (exit 1): /dev/stdin:5:1: Error: syntax error', '/dev/stdin:5:1: Error: syntax error\n');
    }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: nft rejected the rendered script (a bug in nftpol: please report it with the input):\n/dev/stdin:5:1: Error: syntax error\n');
  });
});

await describeNft('nftpol render --check (real nft, throwaway netns)', () => {
  it('every scenario renders a script nft accepts', async () => {
    const ns = await throwawayNetns();
    try {
      for (const scenario of ['ipv6', 'named-ports', 'external-egress-with-except']) {
        const r = await direct({ filename: [path.join(REPO, 'policies-examples', scenario, 'manifests')], check: true }, ns.nft);
        expect(r.stderr).toBe('nft -c: the script is valid\n');
        expect(r.code).toBe(0);
      }
    } finally {
      await ns.destroy();
    }
  });
});
