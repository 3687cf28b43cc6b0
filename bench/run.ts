// Benchmark runner: `npm run bench` runs every benchmark, `node bench/run.ts
// <name>...` runs the named ones, `node bench/run.ts --list` lists them.
// `--baseline REV` also measures git revision REV's code in the same run,
// side by side, in the benchmarks that support it (e.g.
// `npm run bench -- engine --baseline a7ad9e1`).
// Benchmarks print figures; they assert nothing (tests never time things).
// To add one, write a module exporting a Bench and list it below.
import type { Bench, BenchOptions } from './bench.ts';
import { agentKubernetes } from './agent-kubernetes.ts';
import { agentSync } from './agent-sync.ts';
import { compileRender } from './compile-render.ts';
import { deltaBench } from './delta.ts';
import { engineVerdicts } from './engine-verdicts.ts';
import { largeInputs } from './large-inputs.ts';
import { packetPath } from './packet-path.ts';
import { policyTestBench } from './policytest-bench.ts';
import { policyTestJsonMemory } from './policytest-json-memory.ts';
import { schemaCheck } from './schema-check.ts';

const BENCHES: readonly Bench[] = [engineVerdicts, policyTestBench, compileRender, deltaBench, packetPath, largeInputs, policyTestJsonMemory, schemaCheck, agentSync, agentKubernetes];

/** Bench names and options; undefined after printing what is wrong. */
function parseArgs(argv: readonly string[]): { names: string[]; options: BenchOptions; list: boolean } | undefined {
  const names: string[] = [];
  let baseline: string | undefined;
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--list' || a === '-l') list = true;
    else if (a === '--baseline') {
      baseline = argv[++i];
      if (baseline === undefined || baseline.startsWith('-')) {
        console.error('--baseline needs a git revision, e.g. --baseline HEAD~1');
        return undefined;
      }
    } else if (a.startsWith('--baseline=')) baseline = a.slice('--baseline='.length);
    else names.push(a);
  }
  return { names, options: baseline === undefined ? {} : { baseline }, list };
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed) return 2;
  const { names: args, options } = parsed;
  if (parsed.list) {
    for (const b of BENCHES) console.log(`${b.name.padEnd(15)} ${b.description}${b.baseline ? ' (--baseline)' : ''}`);
    return 0;
  }
  const unknown = args.filter((a) => !BENCHES.some((b) => b.name === a));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const chosen = args.length === 0 ? BENCHES : BENCHES.filter((b) => args.includes(b.name));
  if (options.baseline !== undefined && !chosen.some((b) => b.baseline)) {
    console.error(`--baseline: none of ${chosen.map((b) => b.name).join(', ')} supports it; ${BENCHES.filter((b) => b.baseline).map((b) => b.name).join(', ')} does`);
    return 2;
  }
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const b of chosen) {
    console.log(`\n== ${b.name}: ${b.description}`);
    if (options.baseline !== undefined && !b.baseline) console.log('   (no --baseline comparison in this benchmark)');
    await b.run((line) => console.log(`   ${line}`), options);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
