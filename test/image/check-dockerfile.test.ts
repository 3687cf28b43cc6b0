// The image without a Docker engine: scripts/check-dockerfile.sh runs the
// Dockerfile's steps in a scratch folder (both npm ci's, the build, the
// entrypoint's --help and --version, koffi loading libnftables.so.1 from the
// production node_modules). Needs no root; needs Node 24 (npm ci's `node`
// dev dependency), the image's Debian packages installed here
// (scripts/system-deps.sh) and the npm registry or npm's cache. Broken
// Dockerfiles and .dockerignore files in temporary contexts show each check
// can fail, and the context copier is held to Docker's .dockerignore rules.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRequiring } from '../support/describe-requiring.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(REPO, 'scripts/check-dockerfile.sh');
const PACKAGES = ['nftables', 'libnftables1', 'conntrack', 'iproute2'];
const temps: string[] = [];

async function temp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-image-test-'));
  temps.push(dir);
  return dir;
}

afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

async function prerequisites(): Promise<string[]> {
  const missing: string[] = [];
  const node = await execa(path.join(REPO, 'node_modules/node/bin/node'), ['--version'], { reject: false });
  if (node.exitCode !== 0) missing.push('Node 24 from the `node` dev dependency (npm ci)');
  for (const pkg of PACKAGES) {
    const res = await execa('dpkg-query', ['-W', '-f=${Status}', pkg], { reject: false });
    if (!String(res.stdout).includes('install ok installed')) missing.push(`Debian package ${pkg} (scripts/system-deps.sh)`);
  }
  return missing;
}

/** Runs the check on a context folder holding the given files. */
async function checkContext(files: Record<string, string>): Promise<{ exitCode: number | undefined; out: string }> {
  const dir = await temp();
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  const res = await execa('bash', [SCRIPT], { reject: false, env: { CHECK_CONTEXT: dir }, all: true });
  return { exitCode: res.exitCode, out: String(res.all) };
}

const PKG = JSON.stringify({ name: 'x', version: '1.0.0' });

await describeRequiring('image', prerequisites, 'the Dockerfile, checked without Docker', () => {
  it('runs every build step and the entrypoint answers --help and --version', { timeout: 600_000 }, async () => {
    const res = await execa('bash', [SCRIPT], { reject: false, all: true, cwd: os.tmpdir() });
    const out = String(res.all);
    expect(res.exitCode, out).toBe(0);
    expect(out).toContain('run in /src/: npm run build');
    expect(out).toContain('run in /opt/nftpol/: npm ci --omit=dev --ignore-scripts --no-audit --no-fund');
    expect(out).toContain('COPY --from=build /src/dist -> /opt/nftpol/dist');
    expect(out).toContain('final stage: ENTRYPOINT nftpol agent is /opt/nftpol/bin/nftpol; USER 0:0');
    expect(out).toContain('nftpol agent --help: Usage: nftpol agent [options]');
    expect(out).toContain('nftpol agent --version: 0.1.0');
    expect(out).toMatch(/koffi [\d.]+ loads libnftables\.so\.1/);
    expect(out).toContain('RUN apt-get install -y --no-install-recommends nftables libnftables1 conntrack iproute2 (inside the image)');
  });

  it('fails on a COPY of something .dockerignore leaves out', async () => {
    const res = await checkContext({
      'package.json': PKG, 'bin/x': '',
      '.dockerignore': '*\n!package.json\n',
      Dockerfile: 'FROM node:24-bookworm-slim\nWORKDIR /app\nCOPY package.json ./\nCOPY bin ./bin\nENTRYPOINT ["x"]\n',
    });
    expect(res.exitCode).toBe(1);
    expect(res.out).toContain('FAIL: COPY bin: not there (not in the context: excluded by .dockerignore?)');
  });

  it('fails on a base image that is not Node 24, a RUN step it does not know, a package not in the archive, an entrypoint not on PATH', async () => {
    const base = { 'package.json': PKG, '.dockerignore': '' };
    expect((await checkContext({ ...base, Dockerfile: 'FROM node:20-bookworm-slim\n' })).out).toContain('FAIL: FROM node:20-bookworm-slim: want a Node 24 image');
    expect((await checkContext({ ...base, Dockerfile: 'FROM node:24-bookworm-slim\nRUN curl -sL https://example.invalid | sh\n' })).out)
      .toContain('FAIL: RUN curl -sL https://example.invalid | sh: a step this check does not know');
    expect((await checkContext({ ...base, Dockerfile: 'FROM node:24-bookworm-slim\nRUN apt-get update && apt-get install -y nftpol-no-such-package\n' })).out)
      .toContain('FAIL: apt-get install: nftpol-no-such-package is not in this machine\'s Debian archive');
    const noEntry = await checkContext({ ...base, Dockerfile: 'FROM node:24-bookworm-slim\nWORKDIR /app\nENTRYPOINT ["nftpol", "agent"]\n' });
    expect(noEntry.exitCode).toBe(1);
    expect(noEntry.out).toContain('FAIL: ENTRYPOINT nftpol: not found on the image\'s PATH');
  });
});

describe('dockerignore-context.mjs: the build context Docker would send', () => {
  async function contextOf(dockerignore: string): Promise<string[]> {
    const root = await temp();
    for (const f of ['a/b.txt', 'a/c.log', 'a/d/e.log', 'node_modules/m/index.js', 'keep/y.txt', 'top.log', 'src/z.ts']) {
      await mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await writeFile(path.join(root, f), f);
    }
    await writeFile(path.join(root, '.dockerignore'), dockerignore);
    const dest = await temp();
    const res = await execa('node', [path.join(REPO, 'scripts/dockerignore-context.mjs'), root, dest]);
    const listed = String(res.stdout).split('\n').filter((l) => l !== '').sort();
    const copied = (await readdir(dest, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
      .map((e) => path.relative(dest, path.join(e.parentPath, e.name))).sort();
    expect(copied).toEqual(listed);
    return listed;
  }

  it('a directory pattern excludes what is under it; ** spans directories; * stays in one; the last match wins', async () => {
    expect(await contextOf('node_modules\n**/*.log\n!a/d/e.log\n')).toEqual(['.dockerignore', 'a/b.txt', 'a/d/e.log', 'keep/y.txt', 'src/z.ts']);
    expect(await contextOf('*.log\n/node_modules/\n')).toEqual(['.dockerignore', 'a/b.txt', 'a/c.log', 'a/d/e.log', 'keep/y.txt', 'src/z.ts']);
  });

  it('an allow-list (* then exceptions) keeps only the exceptions, and their contents', async () => {
    expect(await contextOf('*\n!src\n!keep/y.txt\n')).toEqual(['keep/y.txt', 'src/z.ts']);
  });

  it('refuses a pattern it cannot follow rather than guessing', async () => {
    await expect(contextOf('[ab]/*.txt\n')).rejects.toThrow(/character classes and escapes are not supported/);
  });
});
