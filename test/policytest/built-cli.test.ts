// The installed command as CI runs it: build, then spawn ./bin/nftpol (the
// launcher loading dist/cli/nftpol-main.js) on the example policies.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

async function nftpol(...args: string[]): Promise<Exit> {
  try {
    const { stdout, stderr } = await run(path.join(ROOT, 'bin/nftpol'), args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('built ./bin/nftpol test', () => {
  beforeAll(async () => {
    await run('npm', ['run', 'build'], { cwd: ROOT });
  }, 300_000);

  it('passes the example policies, ending with the summary line (exit 0)', async () => {
    const r = await nftpol('test', 'policies-examples');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last).toMatch(/^[1-9]\d* passed, 0 failed$/);
  });

  it('prints JSON and exits 2 on bad input', async () => {
    const json = await nftpol('test', '-o', 'json', 'policies-examples');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'PolicyTestReport', summary: { failed: 0 } });
    const bad = await nftpol('test', 'src');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('folder holds no PolicyTest');
  });
});
