// `nftpol demo` on the real kernel: the whole command in-process (`main(['demo', '--json'])`)
// builds the two-node world, runs one real agent per node, and at every step the live
// matrix (real connections) equals the engine's, each step having reached both kernels
// (the first by a replace, the rest by deltas or an unchanged table), the cell each step
// explains flipping in the kernel as the engine says (the cluster administrator's Admin
// and Baseline tiers included); afterwards nothing
// is left: no netns of the run, no agent process, no folder. Then Ctrl-C: the built
// command interrupted in its first step leaves nothing behind either.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { cleanupOrphans, listNetns } from '../../src/lab/index.ts';
import { DEMO_STEPS } from '../../src/demo/scenario.ts';
import { cellAt, count, EXPECTED_COUNTS, nftpolDemo, type Report } from '../demo/helpers.ts';
import { describeKernel } from '../support/describe-requiring.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The nodes whose table a step leaves as it was. shop/allow-api-to-db isolates shop/db
 * (node-2) for ingress; node-1's pods (monitoring/prometheus, shop/web) neither gain nor
 * lose a rule, so its agent finds nothing to write.
 */
const UNCHANGED: Readonly<Record<string, readonly string[]>> = { '07-namespace-opens': ['node-1'] };

/** Pids whose command line mentions `text` (an agent runs with --source files:<its folder>). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

interface Child {
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
  readonly kill: (signal: NodeJS.Signals) => void;
  /** The run's netns prefix and folder, as its text names them. */
  readonly prefix: string;
  readonly root: string;
}

/** `nftpol demo ARGS` as a child, once its text shows `until`. */
async function demoChild(args: readonly string[], until: string): Promise<Child> {
  const child = spawn(process.execPath, [path.join(ROOT, 'src/cli/nftpol-main.ts'), 'demo', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(until)) resolve();
    });
    void ended.then(() => reject(new Error(`the demo ended before "${until}":\n${out}\n${err}`)));
  });
  const prefix = /network namespaces (np\d+r[0-9a-f]{4}-)\*/.exec(out)?.[1];
  const root = /files:(\/\S+)\/NODE/.exec(out)?.[1];
  if (prefix === undefined || root === undefined) throw new Error(`no prefix or folder in:\n${out}`);
  return { ended, stderr: () => err, kill: (signal) => child.kill(signal), prefix, root };
}

async function expectUp(c: Child): Promise<void> {
  expect((await listNetns()).filter((n) => n.startsWith(c.prefix)).length).toBeGreaterThan(0);
  expect(existsSync(c.root)).toBe(true);
  expect(processesMentioning(c.root).length).toBeGreaterThan(0);
}

async function expectGone(c: Child): Promise<void> {
  expect((await listNetns()).filter((n) => n.startsWith(c.prefix))).toEqual([]);
  expect(existsSync(c.root)).toBe(false);
  expect(processesMentioning(c.root)).toEqual([]);
}

await describeKernel('nftpol demo', () => {
  beforeAll(async () => {
    await cleanupOrphans();
  });

  it('every step: the live matrix equals the engine\'s, each step in both kernels; nothing left afterwards', async () => {
    const r = await nftpolDemo(['--json']);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.failure).toBeNull();
    expect(r.stderr).toBe('');
    expect(report.mode).toBe('kernel');
    expect(report.steps.map((s) => s.dir)).toEqual(DEMO_STEPS.map((s) => s.dir));
    for (const [i, step] of report.steps.entries()) {
      expect(step.live, step.dir).toEqual(step.expected);
      expect(step.agree).toBe(true);
      expect({ allowed: count(step.expected, 'allowed'), denied: count(step.expected, 'denied') }).toEqual(EXPECTED_COUNTS[i]);
      expect(step.kernel.map((k) => k.node)).toEqual(['node-1', 'node-2']);
      for (const k of step.kernel) {
        expect(k.how, `${step.dir} ${k.node}`).toBe(i === 0 ? 'replace' : UNCHANGED[step.dir]?.includes(k.node) === true ? 'unchanged' : 'delta');
        expect(k.ms).toBeLessThanOrEqual(k.seenMs);
      }
      // The cell the step explains flipped in the kernel too: real packets, this step and the one before.
      const why = step.why;
      if (i > 0 && why === null) throw new Error(`${step.dir} explains no cell`);
      if (why !== null) {
        expect([cellAt(step, report.steps[i - 1]?.live ?? null, why.from, why.to), cellAt(step, step.live, why.from, why.to)], `${step.dir} ${why.from} -> ${why.to}`)
          .toEqual([why.before, why.verdict]);
      }
    }
    // The cluster administrator's steps: the tier, policy and rule that decided the explained cell.
    expect(report.steps.slice(5).map((s) => s.why?.reason)).toEqual([
      'ingress of shop/api denied by cnp/protect-shop spec.ingress[0] "deny-from-dev" (Deny, Admin tier, priority 10)',
      'ingress of shop/db denied by cnp/default-deny spec.ingress[0] "deny-from-pods" (Deny, Baseline tier, priority 100)',
      'shop/db ingress allowed by shop/allow-api-to-db spec.ingress[0]',
    ]);
    console.log(`[demo] write to kernel, ms: ${report.steps.map((s) => `${s.dir} ${s.kernel.map((k) => k.ms).join('/')}`).join(', ')}`);
    expect(r.code).toBe(0);
    expect(report.agree).toBe(true);
    const world = report.world;
    if (world === null) throw new Error('no world in a kernel run');
    expect(report.cleanup).toEqual({ netnsLeft: [], folderRemoved: true });
    expect((await listNetns()).filter((n) => n.startsWith(world.prefix))).toEqual([]);
    expect(existsSync(world.root)).toBe(false);
    expect(processesMentioning(world.root)).toEqual([]);
  }, 120_000);

  it('Ctrl-C (SIGINT) during a run removes the namespaces, the agents and the folders, and ends by the signal', async () => {
    // Interrupted once the agents enforce the first step (they are up, their folders written).
    const c = await demoChild([], 'reached the kernel');
    await expectUp(c);
    c.kill('SIGINT');
    expect(await c.ended).toEqual({ code: null, signal: 'SIGINT' });
    expect(c.stderr()).toContain('SIGINT: removing the demo\'s namespaces, agents and folders');
    await expectGone(c);
  }, 60_000);

  it('--keep: the world and its agents stay up after the last step, until SIGTERM removes them', async () => {
    const c = await demoChild(['--keep'], 'Remove it: Ctrl-C here');
    await expectUp(c);
    c.kill('SIGTERM');
    expect(await c.ended).toEqual({ code: null, signal: 'SIGTERM' });
    await expectGone(c);
  }, 90_000);
});
