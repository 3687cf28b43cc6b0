// The child of bench/nft-backend.ts, started with `ip netns exec` in a
// throwaway namespace (libnftables acts in its caller's namespace; the nft
// command spawned from here does too). Argument: a JSON file
// {backend, full, forward, back, runs}. It applies the full table, then
// `runs` deltas alternating forward (a pod added) and back (removed), timing
// each apply here, so the figures hold no IPC; then lists the table with -j
// (with and without -t) and reads the drop counters from it, `runs` / 5
// times each. With `freshContext`, the deltas are also applied each through
// a new libnftables context (made and freed around the apply, its cost
// included), to show what the long-lived one saves. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { podDropCounters } from '../src/agent/drop-counters.ts';
import { LibnftablesRunner } from '../src/dataplane/libnftables-runner.ts';
import { openNftBackend, type NftBackend } from '../src/dataplane/nft-backend.ts';
import type { NftRunner } from '../src/dataplane/nft-runner.ts';

interface Job { backend: NftBackend; full: string; forward: string; back: string; runs: number; freshContext: boolean }

const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Job;
const opened = openNftBackend(job.backend);
if (opened.fallback !== undefined) throw new Error(opened.fallback);
const runner: NftRunner = opened.runner;

async function timedMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const fullMs = await timedMs(() => runner.apply(job.full));
// Two warm-up pairs: the first calls fill caches (the library's ruleset cache, the page cache for the nft binary).
for (let i = 0; i < 2; i++) {
  await runner.apply(job.forward);
  await runner.apply(job.back);
}
const deltaMs: number[] = [];
for (let i = 0; i < job.runs; i++) deltaMs.push(await timedMs(() => runner.apply(i % 2 === 0 ? job.forward : job.back)));
const freshMs: number[] = [];
if (job.freshContext) {
  for (let i = 0; i < job.runs; i++) {
    freshMs.push(await timedMs(async () => {
      const once = new LibnftablesRunner();
      try {
        await once.apply(i % 2 === 0 ? job.forward : job.back);
      } finally {
        await once.close();
      }
    }));
  }
}
/** Reads of the drop counters: -j list table + parse, with -t (terse: no set elements, what the metrics read) and without. */
async function listTimes(args: readonly string[]): Promise<{ ms: number[]; pods: number }> {
  const ms: number[] = [];
  let pods = 0;
  for (let i = 0; i < Math.max(1, Math.floor(job.runs / 5)); i++) {
    ms.push(await timedMs(async () => {
      pods = podDropCounters(await runner.read(args), 'nftpol').counters.length;
    }));
  }
  return { ms, pods };
}
const terse = await listTimes(['-j', '-t', 'list', 'table', 'inet', 'nftpol']);
const whole = await listTimes(['-j', 'list', 'table', 'inet', 'nftpol']);
process.stdout.write(`${JSON.stringify({ backend: opened.backend, fullMs, deltaMs, freshMs, terseListMs: terse.ms, listMs: whole.ms, pods: terse.pods })}\n`);
