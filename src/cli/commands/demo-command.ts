// `nftpol demo`: NetworkPolicy steps on a two-node flannel-style world in network
// namespaces, each node enforced by a real `nftpol agent`, the live matrix (real
// connections) beside the engine's after every step, with how long each change took to
// reach the kernel. Without root or a tool the lab needs, the engine's matrices alone,
// said to be so. See docs/demo.md.
//
// Exit status: 0 every step's live matrix equals the engine's (or a model-only run);
// 1 a step differed, or the live run failed (an agent died, refused, never got there);
// 2 the scenario could not be read.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { runDemo, type DemoDeps, type DemoEvent } from '../../demo/run-demo.ts';
import { DEFAULT_SCENARIO_ROOT, loadScenario, ScenarioError } from '../../demo/scenario.ts';
import { styleFor } from '../../explain/style.ts';
import { demoReport, renderKeepText, renderModelOnlyText, renderStepsList, renderStepText, renderSummaryText, renderWorldText } from '../format/demo-output.ts';
import { toJson } from '../format/output.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { CommandContext } from './command-context.ts';

export interface DemoCommandOptions {
  readonly json?: boolean;
  readonly steps?: boolean;
  readonly keep?: boolean;
}

/** What tests may replace: the prerequisite check, the scenario, the timeouts (the agent command too). */
export type DemoCommandDeps = Partial<DemoDeps>;

// The agents are this very program (`nftpol agent`): the entry point beside the CLI
// (nftpol-main.ts from src, nftpol-main.js from dist), on the node binary running us.
const NFTPOL_MAIN = fileURLToPath(new URL(`../nftpol-main${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export function registerDemoCommand(program: Command, ctx: CommandContext, deps: DemoCommandDeps = {}): Command {
  return program
    .command('demo')
    .description('as root: NetworkPolicy and cluster-wide policy (Admin and Baseline tiers) steps on two flannel-style nodes in network namespaces, each enforced by a real nftpol agent; the live matrix (real connections) beside the expected one after each step. Without root: the expected matrices only')
    .option('--json', 'print one DemoReport JSON document at the end instead of text as it goes')
    .option('--steps', 'list the steps (and the files each changes) and exit; needs nothing')
    .option('--keep', 'leave the world up after the last step, until Ctrl-C (prints how to poke at it)')
    .addHelpText('after', "\nThe scenario is demo/scenario/ in the package: a folder per step, each the whole cluster after it.\n\nExit status: 0 the kernel agreed with the engine at every step (or model only: no root or tools), 1 it did not or the live run failed, 2 the scenario could not be read.")
    .action(async (opts: DemoCommandOptions) => {
      ctx.setExitCode(await runDemoCommand(opts, ctx.io, deps, ctx.cwd ?? process.cwd()));
    });
}

/** The scenario folder as the user would type it: relative to where they are, when it is below. */
function shown(root: string, cwd: string): string {
  const rel = path.relative(cwd, root);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : root;
}

export async function runDemoCommand(opts: DemoCommandOptions, io: CliIO, deps: DemoCommandDeps, cwd: string): Promise<number> {
  const root = deps.scenarioRoot ?? DEFAULT_SCENARIO_ROOT;
  const style = styleFor(io.stdout);
  const json = opts.json === true;
  // --keep ends only by a signal, which ends the command before any report is printed.
  if (json && opts.keep === true && opts.steps !== true) throw new UsageError('--keep holds the world until Ctrl-C, and --json prints its report at the end: use one or the other');
  try {
    if (opts.steps === true) {
      const steps = await loadScenario(root);
      io.stdout.write(json
        ? toJson(steps.map((st) => ({ index: st.index, dir: st.dir, title: st.title, says: st.says, change: st.change, files: [...st.files.keys()] })))
        : renderStepsList(steps, shown(root, cwd)));
      return EXIT.ok;
    }
    if (!json) io.stdout.write(`${style.bold('nftpol demo')}: NetworkPolicy and cluster-wide policy step by step on two flannel-style nodes\n\n`);
    const onEvent = (e: DemoEvent): void => {
      if (json) return;
      switch (e.type) {
        case 'model-only': io.stdout.write(renderModelOnlyText(e.missing, style)); break;
        case 'world': io.stdout.write(renderWorldText(e.world, style)); break;
        case 'step': io.stdout.write(renderStepText(e.result, shown(root, cwd), style)); break;
        case 'keep': io.stdout.write(renderKeepText(e.world, e.pid, e.last, style)); break;
        case 'interrupted': io.stderr.write(`\n${e.signal}: removing the demo's namespaces, agents and folders\n`); break;
      }
    };
    const outcome = await runDemo({ command: [process.execPath, NFTPOL_MAIN], ...deps }, { keep: opts.keep === true }, onEvent);
    io.stdout.write(json ? toJson(demoReport(outcome)) : renderSummaryText(outcome, style));
    if (outcome.failure !== null && !json) io.stderr.write(`error: the live demo failed: ${outcome.failure}\n`);
    return outcome.agree ? EXIT.ok : EXIT.failure;
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    io.stderr.write(`error: ${err.message}\n`);
    return EXIT.badInput;
  }
}
