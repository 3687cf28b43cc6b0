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
import { FAIL_ON, runDiff, type DiffOptions } from './diff.ts';
import { runExposure } from './exposure.ts';
import { runFlow, type FlowOptions } from './flow.ts';
import { runLint, type LintOptions } from './lint.ts';
import { runMatrix, type MatrixOptions } from './matrix.ts';
import { runPod } from './pod.ts';
import { runReport, type ReportOptions } from './report.ts';
import type { GlobalOptions } from './common.ts';
import { packageVersion } from '../version.ts';

const EXAMPLES = `
Examples:
  policy-explain -f manifests/ --from shop/web --to shop/db --port 5432
  policy-explain -f manifests/ -n shop --from deploy/web --to db --port postgres
  policy-explain -f manifests/ --from ip:203.0.113.9 --to shop/api --port http -o json
  policy-explain -f manifests/ pod shop/db
  policy-explain -f manifests/ matrix --port 80/TCP -n shop -o mermaid
  policy-explain -f manifests/ exposure -o markdown
  helm template chart/ | policy-explain -f - lint --strict
  policy-explain -f old/ diff --against new/ --fail-on new-allows -o markdown
  policy-explain -f manifests/ report --out report.html
  policy-explain -f manifests/ report --git-base origin/main --out report.html

Exit codes: 0 success (whatever the verdict), 1 lint --strict found warnings
or diff --fail-on's condition holds,
2 bad input (unreadable or invalid manifests, unknown pod, bad port or option).`;

/** The commands registered on `program`, in the order of its help. */
function commandNames(program: Command): string[] {
  return program.commands.map((c) => c.name());
}

/** The flow command's own flags, for the top-level help: flow is the default command. */
function flowHelp(program: Command, flow: Command): string {
  const help = program.createHelp();
  const options = help.visibleOptions(flow).filter((o) => o.long !== '--help');
  // Aligned with the program's own options and commands above it.
  const width = Math.max(help.padWidth(program, help), ...options.map((o) => help.optionTerm(o).length));
  const items = options.map((o) => help.formatItem(help.optionTerm(o), width, help.optionDescription(o), help));
  return `\nFlow (the default command):\n  policy-explain [options] [flow] --from ENDPOINT --to ENDPOINT [--port PORT]\n${items.join('\n')}\n`;
}

function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('policy-explain')
    .description('Explain Kubernetes NetworkPolicy and the cluster-wide policies (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy): why a flow is allowed or denied, what selects a pod, who can reach whom.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(styleFor(io.stderr).red(s)),
    })
    .showSuggestionAfterError()
    // Each command's help also lists -f, -n, -o and the other program options: they apply to every command.
    .configureHelp({ showGlobalOptions: true });
  addInputOptions(program, 'as kubectl -n: the namespace of names and manifests without one (default: the live context\'s, else "default"); every command but flow and pod shows only it')
    .addOption(new Option('-o, --output <format>', 'output format (dot and mermaid: matrix only; sarif: lint only)').choices(OUTPUT_FORMATS).default('text'))
    .option('--debug', 'print stack traces of unexpected errors');

  // --from and --to are checked in the action, not by commander: its
  // required-option check runs before its unknown-option check, and would
  // answer a typo (--frm) with "required option '--from' not specified".
  const flow = program
    .command('flow')
    .description('the verdict of one flow, with the rules that decided it and, for a denial, why not (the default command)')
    .option('--from <endpoint>', 'source: NAME, NAMESPACE/NAME or KIND/[NAMESPACE/]NAME (pod or workload), ip:ADDRESS or ADDRESS, node:NAME')
    .option('--to <endpoint>', 'destination, as --from')
    .option('--port <port>', 'destination port: number or container-port name, optionally /PROTOCOL (80, 80/UDP, http)')
    .option('--protocol <protocol>', 'TCP (default), UDP, SCTP, or a portless protocol such as ICMP')
    .action(async (_opts: unknown, cmd: Command) => setExit(await runFlow(cmd.optsWithGlobals<FlowOptions>(), io, commandNames(program).filter((name) => name !== 'flow'))));
  program.addHelpText('after', () => `${flowHelp(program, flow)}${EXAMPLES}`);

  program
    .command('pod')
    .description('the policies selecting a pod or workload, who may reach it on which ports, and whom it may reach')
    .argument('<pod>', 'NAME, NAMESPACE/NAME or KIND/[NAMESPACE/]NAME of a pod or workload')
    .action(async (pod: string, _opts: unknown, cmd: Command) => setExit(await runPod(pod, cmd.optsWithGlobals<GlobalOptions>(), io)));

  program
    .command('matrix')
    .description('connectivity matrix between pods and workloads (rows: from, columns: to): each pair\'s allowed connections (every port and protocol), or one port\'s verdict with --port; with -n, of that namespace only')
    .option('--port <port>', 'port to check (80, 80/UDP, http); default: the exact set of allowed ports and protocols of each pair')
    .option('--protocol <protocol>', 'protocol of --port (default TCP), or a protocol without ports (ICMP)')
    .option('--ip <address>', 'also an address outside the cluster (or a node\'s) as a row and column; repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .action(async (_opts: unknown, cmd: Command) => setExit(await runMatrix(cmd.optsWithGlobals<MatrixOptions>(), io)));

  program
    .command('lint')
    .description('findings about policies that are valid but probably not what was meant; with -n, of that namespace only')
    .option('--strict', 'exit 1 when there is any warning (info findings never fail)')
    .action(async (_opts: unknown, cmd: Command) => setExit(await runLint(cmd.optsWithGlobals<LintOptions>(), io)));

  program
    .command('exposure')
    .description('per workload, who may reach it (workloads, namespaces; outside addresses through which ipBlocks, on which ports) and what it may reach outside the cluster; the widest exposed first; with -n, that namespace\'s workloads')
    .action(async (_opts: unknown, cmd: Command) => setExit(await runExposure(cmd.optsWithGlobals<GlobalOptions>(), io)));

  // --out, not -o: -o is the output format of every command.
  program
    .command('report')
    .description('one self-contained HTML page: the connection matrix by namespace (click a pair for its trace), the policies with the pods each selects, and the lint findings; with --against or --git-base, what changed marked; with -n, of that namespace only')
    .option('--out <file>', 'write the page to this file (default: stdout)')
    .option('--against <path>', 'show these manifests (file, folder or glob; "-" reads stdin; repeatable) with what changed from -f marked, as diff computes it', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--git-base <rev>', 'show -f as it is, with what changed from -f at this git revision marked (e.g. origin/main)')
    .action(async (_opts: unknown, cmd: Command) => setExit(await runReport(cmd.optsWithGlobals<ReportOptions>(), io)));

  program
    .command('diff')
    .description('what changes between two sets of manifests (old: -f, new: --against; or -f at --git-base REV against -f now): each pair of pods and workloads whose allowed connections changed, newly allowed first; with -n, of that namespace only')
    .option('--against <path>', 'the new side: manifest file, folder or glob; "-" reads stdin (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--git-base <rev>', 'the other side is the -f paths at this git revision of their repository (e.g. origin/main): old at REV, new as they are')
    .addOption(new Option('--fail-on <what>', 'exit 1 when anything becomes newly allowed (new-allows), or on any change (any-change)').choices(FAIL_ON))
    .option('--ip <address>', 'also an address outside the cluster (or a node\'s) as an end of pairs; repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .action(async (_opts: unknown, cmd: Command) => setExit(await runDiff(cmd.optsWithGlobals<DiffOptions>(), io)));

  return program;
}

/**
 * flow is the default command, but only when no command word is given: the
 * arguments are read once with the global options alone, and when the first
 * word that is no option (or option value) is not a command, commander is
 * left to say "unknown command", instead of handing the word to flow.
 */
function withDefaultCommand(argv: readonly string[], io: CliIO): string[] {
  if (argv.some((a) => ['-h', '--help', '-V', '--version'].includes(a))) return [...argv];
  const probe = buildProgram(io, () => undefined).configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  let operands: string[];
  try {
    operands = probe.parseOptions([...argv]).operands;
  } catch {
    // A bad global option: the real parse reports it, flow or not.
    return ['flow', ...argv];
  }
  const first = operands[0];
  if (first !== undefined && [...commandNames(probe), 'help'].includes(first)) return [...argv];
  return first === undefined ? ['flow', ...argv] : [...argv];
}

/** Runs policy-explain with `argv` (the arguments after the program name); returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(withDefaultCommand(argv, io), { from: 'user' });
    return code;
  } catch (err) {
    return reportCliError(err, io, argv.includes('--debug'));
  }
}
