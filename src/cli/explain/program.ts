// policy-explain: the command line. `main(argv, io)` parses the arguments,
// runs one command and returns its exit code; it never calls process.exit
// and never prints a stack trace for a user's mistake (only with --debug).
//
//   0  success (flow prints the verdict, allowed or denied)
//   1  lint --strict found warnings; or an unexpected internal error
//   2  bad input: unreadable or invalid manifests, unknown pod, bad port or option
import { Command, Option } from 'commander';
import { OUTPUT_FORMATS } from '../format/output.ts';
import { styleFor } from '../../explain/style.ts';
import { addInputOptions } from '../input.ts';
import { reportCliError } from '../report-error.ts';
import { EXIT, type CliIO } from '../io.ts';
import { runFlow, type FlowOptions } from './flow.ts';
import { runLint, type LintOptions } from './lint.ts';
import { runMatrix, type MatrixOptions } from './matrix.ts';
import { runPod } from './pod.ts';
import type { GlobalOptions } from './common.ts';

const EXAMPLES = `
Examples:
  policy-explain -f manifests/ --from shop/web --to shop/db --port 5432
  policy-explain -f manifests/ --from ip:203.0.113.9 --to shop/api --port http -o json
  policy-explain -f manifests/ pod shop/db
  policy-explain -f manifests/ matrix --port 80/TCP --namespace shop -o mermaid
  helm template chart/ | policy-explain -f - lint --strict

Exit codes: 0 success (whatever the verdict), 1 lint --strict found warnings,
2 bad input (unreadable or invalid manifests, unknown pod, bad port or option).`;

function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('policy-explain')
    .description('Explain Kubernetes NetworkPolicy: why a flow is allowed or denied, what selects a pod, who can reach whom.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(styleFor(io.stderr).red(s)),
    })
    .showSuggestionAfterError();
  addInputOptions(program)
    .addOption(new Option('-o, --output <format>', 'output format (dot and mermaid: matrix only)').choices(OUTPUT_FORMATS).default('text'))
    .option('--debug', 'print stack traces of unexpected errors')
    .addHelpText('after', EXAMPLES);

  program
    .command('flow', { isDefault: true })
    .description('the verdict of one flow, with the rules that decided it and, for a denial, why not (default command)')
    .requiredOption('--from <endpoint>', 'source: NAMESPACE/NAME (pod or workload), ip:ADDRESS or ADDRESS, node:NAME')
    .requiredOption('--to <endpoint>', 'destination, as --from')
    .option('--port <port>', 'destination port: number or container-port name, optionally /PROTOCOL (80, 80/UDP, http)')
    .option('--protocol <protocol>', 'TCP (default), UDP, SCTP, or a portless protocol such as ICMP')
    .action(async (_opts: unknown, cmd: Command) => setExit(await runFlow(cmd.optsWithGlobals<FlowOptions>(), io)));

  program
    .command('pod')
    .description('the policies selecting a pod or workload, who may reach it on which ports, and whom it may reach')
    .argument('<pod>', 'NAMESPACE/NAME of a pod or workload')
    .action(async (pod: string, _opts: unknown, cmd: Command) => setExit(await runPod(pod, cmd.optsWithGlobals<GlobalOptions>(), io)));

  program
    .command('matrix')
    .description('connectivity matrix between pods and workloads (rows: from, columns: to)')
    .option('--port <port>', "port to check (80, 80/UDP, http); default: each destination's declared container ports")
    .option('--protocol <protocol>', 'protocol of --port (default TCP)')
    .option('-n, --namespace <namespace>', 'only pods and workloads of this namespace')
    .action(async (_opts: unknown, cmd: Command) => setExit(await runMatrix(cmd.optsWithGlobals<MatrixOptions>(), io)));

  program
    .command('lint')
    .description('findings about policies that are valid but probably not what was meant')
    .option('--strict', 'exit 1 when there is any warning (info findings never fail)')
    .action(async (_opts: unknown, cmd: Command) => setExit(await runLint(cmd.optsWithGlobals<LintOptions>(), io)));

  return program;
}

/** Runs policy-explain with `argv` (the arguments after the program name); returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    return reportCliError(err, io, argv.includes('--debug'));
  }
}
