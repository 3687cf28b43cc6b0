// Peak memory of `nftpol test --output json` as the number of cases grows:
// one generated world (20 namespaces x 10 workloads, 60 policies) and a
// PolicyTest whose list cases (10 sources x 10 destinations each) expand to
// 30,000, 100,000 and 300,000 cases, about a third of them failing (a
// failed case carries the engine's verdict with its trace). Each run is a
// child process (`node src/cli/nftpol-main.ts`) writing its JSON to a file;
// its peak RSS and the size of the document are printed. With `--baseline
// REV` (or NFTPOL_BENCH_BASELINE=REV alone) revision REV runs beside.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Bench, BenchOptions } from './bench.ts';
import { count, millis } from './bench.ts';
import { exportSources, readFigures, RSS_HOOK, type CodeRoot } from './child-run.ts';
import { manifests } from './policytest-bench.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const SIZES = [30_000, 100_000, 300_000];

function testFile(cases: number): string {
  const rows: string[] = [];
  const ports = ['http', 5432, 8080];
  for (let i = 0; rows.length * 100 < cases; i++) {
    const from = Array.from({ length: 10 }, (_, k) => `ns-${(i + k) % 20}/app-${(i * 3 + k) % 10}`);
    const to = Array.from({ length: 10 }, (_, k) => `ns-${(i * 7 + k) % 20}/app-${(i + k * 3) % 10}`);
    rows.push(`  - {from: [${from.join(', ')}], to: [${to.join(', ')}], port: ${ports[i % ports.length]}, expect: ${i % 3 === 0 ? 'allow' : 'deny'}}\n`);
  }
  return `apiVersion: nftpol.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: memory}\nresources: [cluster.yaml]\ncases:\n${rows.join('')}`;
}

interface JsonRun {
  readonly ms: number;
  readonly rssMb: number | undefined;
  readonly exit: number | null;
  readonly bytes: number;
}

function runJson(root: string, dir: string, test: string): Promise<JsonRun> {
  const out = path.join(dir, 'report.json');
  const rssFile = path.join(dir, 'rss');
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RSS_HOOK, path.join(root, 'src/cli/nftpol-main.ts'), 'test', '--output', 'json', test], {
      cwd: dir, env: { ...process.env, NFTPOL_BENCH_RSS: rssFile }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const file = createWriteStream(out);
    child.stdout.pipe(file);
    child.on('error', reject);
    const closed = new Promise<number | null>((done) => child.on('close', done));
    const written = new Promise<void>((done) => file.on('finish', done));
    void Promise.all([closed, written]).then(([exit]) => {
      resolve({ ms: performance.now() - start, rssMb: readFigures(rssFile).rssMb, exit, bytes: statSync(out).size });
    });
  });
}

export async function runJsonMemory(report: (line: string) => void, opts: { baseline?: string } = {}): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nftpol-json-'));
  const roots: CodeRoot[] = [{ root: REPO, label: 'this tree', remove: () => undefined }];
  if (opts.baseline !== undefined) roots.unshift(exportSources(REPO, opts.baseline));
  try {
    writeFileSync(path.join(dir, 'cluster.yaml'), manifests());
    for (const size of SIZES) {
      writeFileSync(path.join(dir, `t${size}.yaml`), testFile(size));
      for (const r of roots) {
        const run = await runJson(r.root, dir, `t${size}.yaml`);
        const rss = run.rssMb === undefined ? 'n/a' : `${count(run.rssMb)} MB`;
        report(`${count(size)} cases [${r.label}]: peak RSS ${rss}, ${millis(run.ms)}, ${(run.bytes / 1e6).toFixed(0)} MB of JSON, exit ${run.exit}`);
      }
    }
  } finally {
    for (const r of roots) r.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const policyTestJsonMemory: Bench = {
  name: 'policytest-json',
  description: 'nftpol test --output json: peak RSS at 30k, 100k and 300k cases',
  baseline: true,
  run: (report, options: BenchOptions) => runJsonMemory(report, { ...(options.baseline !== undefined && { baseline: options.baseline }) }),
};

if (import.meta.main) {
  const baseline = process.env.NFTPOL_BENCH_BASELINE;
  await runJsonMemory((line) => console.log(line), { ...(baseline !== undefined && { baseline }) });
}
