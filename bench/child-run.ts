// Commands as a user runs them, for the benches that measure whole runs:
// `node src/cli/<program>-main.ts …` as a child process, timed, with its
// peak RSS and CPU time (written by a hook the child loads as it exits), and
// the same sources of another git revision beside this tree's, for
// before/after figures in one run.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Writes the child's peak RSS (KiB) and CPU time (µs) to the file named by NFTPOL_BENCH_RSS as it exits. */
export const RSS_HOOK = `data:text/javascript,${encodeURIComponent(
  "import {writeFileSync} from 'node:fs'; process.on('exit', () => { const u = process.resourceUsage(); " +
  "writeFileSync(process.env.NFTPOL_BENCH_RSS, `${u.maxRSS} ${u.userCPUTime + u.systemCPUTime}`); });",
)}`;

/** Where a revision's src/ is: this tree, or an exported one. */
export interface CodeRoot {
  readonly root: string;
  readonly label: string;
  remove(): void;
}

/** A revision's src/ (and package.json) beside this tree's node_modules. */
export function exportSources(repo: string, rev: string): CodeRoot {
  const git = (args: string[]): Buffer => execFileSync('git', args, { cwd: repo, maxBuffer: 1 << 30 });
  const commit = git(['rev-parse', '--verify', `${rev}^{commit}`]).toString().trim();
  const root = mkdtempSync(path.join(tmpdir(), `nftpol-rev-${commit.slice(0, 7)}-`));
  execFileSync('tar', ['-x', '-C', root], { input: git(['archive', '--format=tar', commit, '--', 'package.json', 'src']) });
  symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  return { root, label: commit.slice(0, 7), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ChildRun {
  readonly ms: number;
  readonly cpuMs: number | undefined;
  readonly rssMb: number | undefined;
  readonly exit: number | null;
  readonly timedOut: boolean;
  readonly stderr: string;
}

/** Runs `program` of a code root in `cwd`; stopped (and so reported) after `limitMs`. */
export function runChild(root: string, program: 'policy-explain' | 'nftpol', args: readonly string[], cwd: string, limitMs: number): Promise<ChildRun> {
  const entry = path.join(root, 'src/cli', `${program}-main.ts`);
  const rssFile = path.join(cwd, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', RSS_HOOK, entry, ...args], {
      cwd, env: { ...process.env, NFTPOL_BENCH_RSS: rssFile }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 4000) stderr += d.toString(); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limitMs);
    child.on('close', (exit) => {
      clearTimeout(timer);
      const figures = readFigures(rssFile);
      resolve({ ms: performance.now() - start, ...figures, exit, timedOut, stderr });
    });
  });
}

/** Peak RSS and CPU time the hook wrote, if the child lived to write them. */
export function readFigures(file: string): { rssMb: number | undefined; cpuMs: number | undefined } {
  try {
    const [rss, cpu] = readFileSync(file, 'utf8').split(' ').map(Number);
    rmSync(file);
    return { rssMb: rss === undefined ? undefined : rss / 1024, cpuMs: cpu === undefined ? undefined : cpu / 1000 };
  } catch {
    return { rssMb: undefined, cpuMs: undefined };
  }
}
