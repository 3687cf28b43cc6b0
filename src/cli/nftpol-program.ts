// The `nftpol` command line as a function: `main(argv, io)` parses the
// arguments (without the node and script names), runs the subcommand and
// returns the exit code, writing only to io. Tests call it in-process;
// nftpol-main.ts calls it with the process streams.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { NftRunner } from '../dataplane/nft-runner.ts';
import { registerAgentCommand, type AgentCommandDeps } from './commands/agent-command.ts';
import { registerCleanupCommand } from './commands/cleanup-command.ts';
import { registerDemoCommand, type DemoCommandDeps } from './commands/demo-command.ts';
import { registerRenderCommand } from './commands/render-command.ts';
import { createAgentVerdictSource } from '../policytest/agent-verdicts.ts';
import { createKernelVerdictSource } from '../policytest/kernel-verdicts.ts';
import { modelVerdicts, type VerdictSources } from '../policytest/verdict-source.ts';
import { registerTestCommand } from './commands/test-command.ts';
import { EXIT, type CliIO } from './io.ts';
import { reportCliError } from './report-error.ts';
import { packageVersion } from './version.ts';

export interface MainOptions {
  /** Directory that relative paths start from; process.cwd() by default. */
  readonly cwd?: string;
  /** What `nftpol test --dataplane` chooses from; by default the model, the kernel and the agent. */
  readonly verdictSources?: VerdictSources;
  /** What `nftpol agent` runs with: tests give it a stop signal, a clock, an nft runner. */
  readonly agent?: AgentCommandDeps;
  /** The nft that `nftpol cleanup` runs (tests point it into a network namespace). */
  readonly nft?: NftRunner;
  /** What `nftpol demo` runs with: tests simulate a missing prerequisite. */
  readonly demo?: DemoCommandDeps;
}

// The agent dataplane runs this very program as `nftpol agent` in each lab node: the
// entry point beside this module (nftpol-main.ts from src, nftpol-main.js from dist), with
// the node binary running us now.
const NFTPOL_MAIN = fileURLToPath(new URL(`./nftpol-main${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

const VERDICT_SOURCES: VerdictSources = {
  model: () => modelVerdicts,
  kernel: (o) => createKernelVerdictSource({ ...o }),
  agent: (o) => createAgentVerdictSource({ command: [process.execPath, NFTPOL_MAIN], ...o }),
};

export async function main(argv: readonly string[], io: CliIO, opts: MainOptions = {}): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('nftpol')
    .description('Kubernetes NetworkPolicy with nftables: policy tests, the nft script each node enforces, and the agent that applies it')
    .version(packageVersion())
    .option('--debug', 'print stack traces of unexpected failures')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    });
  const ctx = {
    io,
    ...(opts.cwd !== undefined && { cwd: opts.cwd }),
    verdictSources: opts.verdictSources ?? VERDICT_SOURCES,
    setExitCode: (code: number) => void (exitCode = code) };
  registerTestCommand(program, ctx);
  registerRenderCommand(program, ctx);
  registerAgentCommand(program, ctx, opts.agent);
  registerCleanupCommand(program, ctx, opts.nft);
  registerDemoCommand(program, ctx, opts.demo);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    return reportCliError(err, io, argv.includes('--debug'));
  }
  return exitCode;
}
