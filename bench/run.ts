// Benchmark runner: `npm run bench` runs every benchmark, `node bench/run.ts
// <name>...` runs the named ones, `node bench/run.ts --list` lists them.
// Benchmarks print figures; they assert nothing (tests never time things).
// To add one, write a module exporting a Bench and list it below.
import type { Bench } from './bench.ts';
import { compileRender } from './compile-render.ts';
import { engineVerdicts } from './engine-verdicts.ts';
import { packetPath } from './packet-path.ts';
import { policyTestBench } from './policytest-bench.ts';

const BENCHES: readonly Bench[] = [engineVerdicts, policyTestBench, compileRender, packetPath];

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--list') || args.includes('-l')) {
    for (const b of BENCHES) console.log(`${b.name.padEnd(15)} ${b.description}`);
    return 0;
  }
  const unknown = args.filter((a) => !BENCHES.some((b) => b.name === a));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const chosen = args.length === 0 ? BENCHES : BENCHES.filter((b) => args.includes(b.name));
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const b of chosen) {
    console.log(`\n== ${b.name}: ${b.description}`);
    await b.run((line) => console.log(`   ${line}`));
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
