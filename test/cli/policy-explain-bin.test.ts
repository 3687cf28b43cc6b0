// The installed entry point end to end: build, then spawn ./bin/policy-explain
// (bin/launch.js -> dist/cli/policy-explain-main.js) as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, SHOP } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/policy-explain`;
const NFTPOL = `${ROOT}bin/nftpol`;

/** Runs a built program whose reader has gone before it writes: `... | head` that already closed. */
async function runWithStdoutClosed(bin: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(bin, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr };
}

function run(args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(BIN, args, { cwd: ROOT, encoding: 'utf8', input: input ?? '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
});

describe('bin/policy-explain', () => {
  it('explains a flow, plain text on a pipe, exit 0', () => {
    const r = run(['-f', SHOP, '--from', 'shop/web', '--to', 'shop/db', '--port', '5432']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^DENIED {2}shop\/web \(10\.244\.\d+\.\d+\) -> shop\/db/);
    expect(r.stdout).toContain('why not: shop/web-egress spec.egress[0].to[0].podSelector');
    expect(r.stdout).not.toContain('\u001b['); // no colour when stdout is not a terminal
  });

  it('reads stdin with -f - and prints JSON', () => {
    const yaml = ['00-namespaces.yaml', '10-workloads.yaml', '20-policies.yaml'].map((f) => readFileSync(`${SHOP}/${f}`, 'utf8')).join('\n---\n');
    const r = run(['-f', '-', 'matrix', '--port', '8080', '-o', 'json'], yaml);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ apiVersion: 'nftpol.dev/v1alpha1', kind: 'ConnectivityMatrix', summary: { allowed: 12, denied: 18 } });
  });

  it('exits 2 on bad input and 1 on lint --strict warnings', () => {
    const bad = run(['-f', fixture('bad-cidr'), 'lint']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('spec.egress[0].to[0].ipBlock.cidr: "10.0.0.0/33" is not a valid CIDR');
    expect(run(['-f', fixture('typo'), 'lint', '--strict']).status).toBe(1);
  });
});

describe('stdout closed early (piped into head)', () => {
  it.each([
    ['policy-explain matrix', BIN, ['-f', SHOP, 'matrix', '--port', '8080'], 0],
    ['policy-explain --help', BIN, ['--help'], 0],
    ['nftpol test', NFTPOL, ['test', 'policies-examples'], 0],
    ['nftpol test -o json (streamed)', NFTPOL, ['test', 'policies-examples', '-o', 'json'], 0],
  ])('%s exits quietly with its own exit code', async (_name, bin, args, code) => {
    const r = await runWithStdoutClosed(bin, args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(code);
  });

  it('keeps a failing exit code (pipefail still sees the failure)', async () => {
    const r = await runWithStdoutClosed(BIN, ['-f', fixture('typo'), 'lint', '--strict']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
  });
});
