// The command line itself: unknown commands and flags are reported as such
// (flow is the default command, but it does not swallow a mistyped command
// word or flag), the top-level help shows the flow form, and a flow missing
// an end says which.
import { describe, expect, it } from 'vitest';
import { explain, explainShop } from './helpers.ts';

describe('unknown commands and flags', () => {
  it.each([
    [['podz'], "error: unknown command 'podz'\n(Did you mean pod?)\n"],
    [['matrx', '--port', '80'], "error: unknown command 'matrx'\n(Did you mean matrix?)\n"],
    [['--frm', 'shop/api', '--to', 'shop/db', '--port', '80'], "error: unknown option '--frm'\n(Did you mean --from?)\n"],
    [['-Z'], "error: unknown option '-Z'\n"],
    [['flow', '--from', 'shop/api', '--to', 'shop/db', '--port', '80', '--strict'], "error: unknown option '--strict'\n"],
    [['--from', 'shop/api', '--to', 'shop/db', '--port', '80', 'extra'], "error: too many arguments for 'flow'. Expected 0 arguments but got 1: extra.\n"],
  ])('%j', async (args, message) => {
    const r = await explainShop(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(message);
  });

  it('prints the version with -V, as nftpol does', async () => {
    const r = await explain(['-V']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('a flow without its ends', () => {
  it.each([
    [[], 'error: nothing to explain: give --from and --to (and --port) for a flow, or a command: pod, matrix, lint, exposure, report, diff (see policy-explain --help)\n'],
    [['--from', 'shop/api'], 'error: a flow needs --to (the destination: NAME, NAMESPACE/NAME, KIND/NAME, ip:ADDRESS or node:NAME)\n'],
    [['flow', '--to', 'shop/api', '--port', '80'], 'error: a flow needs --from (the source: NAME, NAMESPACE/NAME, KIND/NAME, ip:ADDRESS or node:NAME)\n'],
  ])('%j', async (args, message) => {
    const r = await explainShop(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
  });
});

describe('help', () => {
  it('shows the flow form and its flags at the top level, aligned with the other options', async () => {
    const r = await explain(['--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('Flow (the default command):');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('  policy-explain [options] [flow] --from ENDPOINT --to ENDPOINT [--port PORT]');
    const flags = lines.slice(at + 2).filter((l) => /^ {2}--/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(flags).toEqual(['--from', '--to', '--port', '--protocol']);
    const column = (flag: string): number => {
      const line = lines.find((l) => l.startsWith(`  ${flag}`)) ?? '';
      return line.length - line.slice(2 + flag.length).trimStart().length;
    };
    expect(column('--from <endpoint>')).toBe(column('-n, --namespace <namespace>'));
  });

  it('names the cluster-wide policies it explains besides NetworkPolicy', async () => {
    const r = await explain(['--help']);
    expect(r.stdout.split('\n\n')[1]?.replace(/\s+/g, ' ')).toBe(
      'Explain Kubernetes NetworkPolicy and the cluster-wide policies (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy): why a flow is allowed or denied, what selects a pod, who can reach whom.',
    );
  });

  it('says -n narrows every command but flow and pod', async () => {
    const text = (await explain(['--help'])).stdout.replace(/\s+/g, ' ');
    expect(text).toContain('-n, --namespace <namespace> as kubectl -n: the namespace of names and manifests without one (default: the live context\'s, else "default"); every command but flow and pod shows only it');
  });

  it.each(['flow', 'pod', 'matrix', 'lint', 'exposure', 'report', 'diff'])('policy-explain %s --help also lists the global options (-f, -n, -o)', async (command) => {
    const r = await explain([command, '--help']);
    expect(r.code).toBe(0);
    const global = r.stdout.split('\nGlobal Options:\n')[1] ?? '';
    for (const flag of ['-f, --filename <path>', '-n, --namespace <namespace>', '-o, --output <format>', '--kubeconfig <file>']) expect(global).toContain(flag);
  });

  it('is the same with a flow flag before --help', async () => {
    expect((await explain(['--from', 'x', '--help'])).stdout).toBe((await explain(['--help'])).stdout);
  });
});
