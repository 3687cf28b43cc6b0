// Benchmark runner: `npm run bench` runs every benchmark, `node bench/run.ts
// <name>...` runs the named ones, `node bench/run.ts --list` lists them.
// `--baseline REV` also measures git revision REV's code in the same run,
// side by side, in the benchmarks that support it (e.g.
// `npm run bench -- engine --baseline a7ad9e1`).
// `--json` (one bench that supports it) prints that bench's figures as one
// JSON object on stdout and nothing else there: the runner's headers are
// left out and the bench's progress lines go to stderr (`npm run -s` keeps
// npm's own header off stdout too). A bench may take flags of its own
// (`npm run bench -- agent --sizes 1k,10k`); `--list` shows them.
// Benchmarks print figures; they assert nothing (tests never time things).
// To add one, write a module exporting a Bench and list it below.
import type { Bench, BenchOptions } from './bench.ts';
import { agentKubernetes } from './agent-kubernetes.ts';
import { agentLatency } from './agent-latency.ts';
import { agentSync } from './agent-sync.ts';
import { compileRender } from './compile-render.ts';
import { deltaBench } from './delta.ts';
import { engineVerdicts } from './engine-verdicts.ts';
import { engineTiers } from './engine-tiers.ts';
import { largeInputs } from './large-inputs.ts';
import { nftBackendBench } from './nft-backend.ts';
import { conntrackSweep } from './conntrack-sweep.ts';
import { exposureBench } from './exposure.ts';
import { semanticDiffBench } from './semantic-diff.ts';
import { reportBench } from './report.ts';
import { connectionSets } from './connection-sets.ts';
import { packetPath } from './packet-path.ts';
import { policyTestBench } from './policytest-bench.ts';
import { policyTestJsonMemory } from './policytest-json-memory.ts';
import { schemaCheck } from './schema-check.ts';
import { lintBench } from './lint.ts';
import { compileTiers } from './compile-tiers.ts';
import { clusterPolicyNormalize } from './cluster-policy-normalize.ts';
import { dropMetricsBench } from './drop-metrics.ts';

const BENCHES: readonly Bench[] = [engineVerdicts, engineTiers, policyTestBench, compileRender, deltaBench, packetPath, largeInputs, policyTestJsonMemory, schemaCheck, agentSync, agentKubernetes, agentLatency, nftBackendBench, conntrackSweep, connectionSets, exposureBench, semanticDiffBench, reportBench, lintBench, compileTiers, clusterPolicyNormalize, dropMetricsBench];

/** Bench names and options; undefined after printing what is wrong. */
function parseArgs(argv: readonly string[]): { names: string[]; options: BenchOptions; list: boolean } | undefined {
  const names: string[] = [];
  const flags = new Map<string, string>();
  let baseline: string | undefined;
  let list = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--list' || a === '-l') list = true;
    else if (a === '--json') json = true;
    else if (a === '--baseline') {
      baseline = argv[++i];
      if (baseline === undefined || baseline.startsWith('-')) {
        console.error('--baseline needs a git revision, e.g. --baseline HEAD~1');
        return undefined;
      }
    } else if (a.startsWith('--baseline=')) baseline = a.slice('--baseline='.length);
    else if (a.startsWith('-')) {
      const [flag, inline] = a.replace(/^--?/, '').split(/=(.*)/s) as [string, string | undefined];
      const owners = BENCHES.filter((b) => b.flags?.[flag] !== undefined);
      if (owners.length === 0) {
        console.error(`unknown flag ${a}; see --list for each benchmark's flags`);
        return undefined;
      }
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('-')) {
        console.error(`--${flag} needs a value: ${owners.map((b) => `${b.name}: ${b.flags?.[flag] ?? ''}`).join('; ')}`);
        return undefined;
      }
      flags.set(flag, value);
    } else names.push(a);
  }
  return { names, options: { ...(baseline !== undefined && { baseline }), ...(json && { json }), ...(flags.size > 0 && { flags }) }, list };
}

/** What is wrong with asking the chosen benches for these options, if anything. */
function optionsProblem(chosen: readonly Bench[], options: BenchOptions): string | undefined {
  const names = (bs: readonly Bench[]): string => bs.map((b) => b.name).join(', ');
  if (options.baseline !== undefined && !chosen.some((b) => b.baseline)) {
    return `--baseline: none of ${names(chosen)} supports it; ${names(BENCHES.filter((b) => b.baseline))} does`;
  }
  if (options.json === true && (chosen.length !== 1 || chosen[0]?.json !== true)) {
    return `--json prints one benchmark's object: name one of ${names(BENCHES.filter((b) => b.json))}`;
  }
  for (const flag of options.flags?.keys() ?? []) {
    if (!chosen.some((b) => b.flags?.[flag] !== undefined)) return `--${flag}: only ${names(BENCHES.filter((b) => b.flags?.[flag] !== undefined))} takes it`;
  }
  return undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed) return 2;
  const { names: args, options } = parsed;
  if (parsed.list) {
    for (const b of BENCHES) {
      console.log(`${b.name.padEnd(15)} ${b.description}${b.baseline ? ' (--baseline)' : ''}${b.json ? ' (--json)' : ''}`);
      for (const [flag, help] of Object.entries(b.flags ?? {})) console.log(`${''.padEnd(15)}   --${flag}: ${help}`);
    }
    return 0;
  }
  const unknown = args.filter((a) => !BENCHES.some((b) => b.name === a));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const chosen = args.length === 0 ? BENCHES : BENCHES.filter((b) => args.includes(b.name));
  const problem = optionsProblem(chosen, options);
  if (problem !== undefined) {
    console.error(problem);
    return 2;
  }
  if (options.json === true) {
    await (chosen[0] as Bench).run((line) => console.error(line), options);
    return exitCodeSet();
  }
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const b of chosen) {
    console.log(`\n== ${b.name}: ${b.description}`);
    if (options.baseline !== undefined && !b.baseline) console.log('   (no --baseline comparison in this benchmark)');
    await b.run((line) => console.log(`   ${line}`), options);
  }
  return exitCodeSet();
}

/** What a bench set as the exit code (e.g. 2 for a flag value it refused), else 0. */
function exitCodeSet(): number {
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

process.exitCode = await main(process.argv.slice(2));
