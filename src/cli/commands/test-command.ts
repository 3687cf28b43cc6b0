// `nftpol test PATH...`: runs PolicyTests (files, or folders searched
// recursively) and reports as text or JSON, optionally also as JUnit XML.
// Exit 0 when every case passed, 1 when a case failed, 2 on bad input (a test
// file that does not validate, manifests with errors, an endpoint or port that
// names nothing, a folder without tests, an unavailable dataplane: the kernel or
// agent one without root or its tools, or an agent that died, refused its folder or
// never reached a state's revision).
import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { collectPolicyTests } from '../../policytest/collect-tests.ts';
import { FAMILY_NAMES, familyFromName, type FamilyName } from '../../policytest/flow-family.ts';
import { chooseVerdictSource, VerdictSourceUnavailableError, type VerdictSource, type VerdictSources } from '../../policytest/verdict-source.ts';
import type { ValidationMode } from '../../sources/schema-check.ts';
import { LAB_TOPOLOGIES, type LabTopology } from '../../lab/spec.ts';
import { validateOption } from '../validate-option.ts';
import { TestWorldLoader } from '../../policytest/load-test-world.ts';
import { JsonReportWriter, renderJsonReport } from '../../policytest/report-json.ts';
import { renderJunitReport } from '../../policytest/report-junit.ts';
import { renderTextReport } from '../../policytest/report-text.ts';
import { runPolicyTests, type CaseResult } from '../../policytest/run-tests.ts';
import { styleFor } from '../../explain/style.ts';
import { printProblems } from '../input.ts';
import { EXIT, type CliIO } from '../io.ts';
import type { CommandContext } from './command-context.ts';

export interface TestCommandOptions {
  readonly output: 'text' | 'json';
  readonly junit?: string;
  readonly verbose?: boolean;
  readonly dataplane: string;
  readonly validate?: ValidationMode;
  readonly topology?: LabTopology;
  /** Decide every case over this family; absent: IPv4 when both ends have it, else IPv6. */
  readonly family?: FamilyName;
}

export function registerTestCommand(program: Command, ctx: CommandContext): Command {
  return program
    .command('test')
    .description('run PolicyTests: check that connections are allowed or denied as the tests expect')
    .argument('<paths...>', 'PolicyTest files, or folders searched recursively for them')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('--junit <file>', 'also write a JUnit XML report to FILE')
    .option('-v, --verbose', 'also list passing cases, and debug notes about the manifests')
    .addOption(new Option('--dataplane <name>', 'what decides each flow: model (the policy engine), kernel (real packets through the compiled nftables rules, in network namespaces; needs root) or agent (the same, with one nftpol agent per node applying each state from its folder; needs root)').choices(['model', 'kernel', 'agent']).default('model'))
    .addOption(new Option('--topology <name>', 'how the kernel and agent dataplanes wire pods in their lab nodes: bridge (flannel: a cni0 bridge per node, vxlan between nodes) or routed (kindnet, Calico, CNI ptp: a veth and a /32 route per pod, no bridge, nodes routed to each other)').choices(LAB_TOPOLOGIES).default('bridge'))
    .addOption(new Option('--family <family>', 'decide every case over this address family: a pod means its address of the family (a host-network pod its node\'s), node:NAME the node\'s; a case whose end has none, or an ip: address of the other family, is an input error (exit 2). Default: IPv4 when both ends have it, else IPv6').choices(FAMILY_NAMES))
    .addOption(validateOption())
    .addHelpText('after', '\nExit status: 0 every case passed, 1 a case failed, 2 bad input.')
    .action(async (paths: string[], opts: TestCommandOptions) => {
      ctx.setExitCode(await runTestCommand(paths, opts, ctx.io, ctx.cwd ?? process.cwd(), ctx.verdictSources));
    });
}

/** Why a file cannot be written there, when that can be told without writing it. */
async function unwritable(file: string): Promise<string | undefined> {
  try {
    if ((await stat(file)).isDirectory()) return 'it is a directory';
  } catch {
    // Absent: the directory decides.
  }
  try {
    await access(path.dirname(file), constants.W_OK);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export async function runTestCommand(
  paths: readonly string[], opts: TestCommandOptions, io: CliIO, cwd: string, sources: VerdictSources,
): Promise<number> {
  const verbose = opts.verbose === true;
  let verdicts: VerdictSource;
  try {
    verdicts = chooseVerdictSource(sources, opts.dataplane, opts.topology === undefined ? {} : { topology: opts.topology });
  } catch (err) {
    if (!(err instanceof VerdictSourceUnavailableError)) throw err;
    io.stderr.write(`error: ${err.message}\n`);
    return EXIT.badInput;
  }
  // A JUnit path that cannot be written is found before the run, not after
  // minutes of kernel probes; the write below is still what decides.
  const junitProblem = opts.junit === undefined ? undefined : await unwritable(path.resolve(cwd, opts.junit));
  if (opts.junit !== undefined && junitProblem !== undefined) {
    io.stderr.write(`error: cannot write the JUnit report ${opts.junit}: ${junitProblem}\n`);
    return EXIT.badInput;
  }
  const collected = await collectPolicyTests(paths, cwd);
  // JSON is written as the run goes, so memory stays flat however many cases
  // it has; with --junit every case is kept for the XML, and written at the end.
  const family = opts.family === undefined ? undefined : familyFromName(opts.family);
  const stream = opts.output === 'json' && opts.junit === undefined ? new JsonReportWriter(io.stdout, verdicts.name, family) : undefined;
  let outcome;
  try {
    outcome = await runPolicyTests(collected, {
      verdicts, loader: new TestWorldLoader({ cwd, validate: opts.validate ?? 'strict' }),
      ...(family !== undefined && { family }), ...(stream && { onCase: (c: CaseResult) => stream.add(c) }),
    });
  } catch (err) {
    // The kernel and agent dataplanes find out only when they start: not root, nft or ip
    // missing, an agent that does not come up...
    if (!(err instanceof VerdictSourceUnavailableError)) throw err;
    io.stderr.write(`error: ${err.message}\n`);
    return EXIT.badInput;
  }
  if (!outcome.ok) {
    printProblems(outcome.problems, io, verbose);
    const n = outcome.problems.filter((p) => p.severity === 'error').length;
    io.stderr.write(`error: ${n} error${n === 1 ? '' : 's'} in the PolicyTests or their manifests; no case was run\n`);
    return EXIT.badInput;
  }
  const { run } = outcome;
  printProblems(run.problems, io, verbose);
  // The JUnit file first: when it cannot be written the command fails as bad
  // input, and bad input prints nothing on stdout (a CI step must not read a
  // report whose run "failed" for another reason).
  if (opts.junit !== undefined) {
    try {
      // Relative to where the command runs, like the test paths.
      await writeFile(path.resolve(cwd, opts.junit), renderJunitReport(run));
    } catch (err) {
      io.stderr.write(`error: cannot write the JUnit report ${opts.junit}: ${err instanceof Error ? err.message : String(err)}\n`);
      return EXIT.badInput;
    }
  }
  if (stream) await stream.end(run.summary);
  else io.stdout.write(opts.output === 'json' ? renderJsonReport(run) : renderTextReport(run, { verbose, style: styleFor(io.stdout) }));
  return run.summary.failed > 0 ? EXIT.failure : EXIT.ok;
}
