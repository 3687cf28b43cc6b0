// `nftpol render -f DIR --node NAME`: prints the nft script the agent would
// apply on one node (the atomic table replace), without root, for review and
// for diffs. The output is byte-deterministic: the same input gives the same
// bytes (no timestamps, no header), so it can be diffed and kept in git.
//
// Manifests rarely say where pods run: pods with spec.nodeName stay there,
// the others are spread round-robin over the known nodes (placePods), the
// same rule the golden files and the kernel dataplane use.
//
// --check pipes the script through `nft -c -f -` (nothing is applied; nft
// still needs CAP_NET_ADMIN to read the kernel's cache, so usually root).
// Exit 0 rendered (and checked), 1 nft rejected the script, 2 bad input
// (manifest errors, no objects, unknown node, bad table name, nft not usable
// for --check). A NetworkPolicy with errors is rendered failing closed (no
// rules: the pods it selects are isolated, it allows nothing), as the agent
// enforces it, and the exit status is 2.
import path from 'node:path';
import type { Command } from 'commander';
import { compileForNode } from '../../compile/compile-for-node.ts';
import { execNftRunner, NftError, type NftRunner } from '../../dataplane/nft-runner.ts';
import { renderReplaceScript, DEFAULT_TABLE } from '../../nft/render-table.ts';
import { addInputOptions, InputProblemsError, inputExit, loadInput, type InputOptions, type LoadedInput } from '../input.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { CommandContext } from './command-context.ts';
import { tableNameProblem } from '../../nft/syntax.ts';

export interface RenderCommandOptions extends InputOptions {
  readonly node: string;
  readonly table: string;
  readonly check?: boolean;
  /** Manifest mode: more nodes to spread pods without spec.nodeName over. */
  readonly spreadOver?: readonly string[];
}

export interface RenderDeps {
  /** Runs `nft -c` for --check; tests point it into a network namespace. */
  readonly nft?: NftRunner;
}


function nodeList(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

export function registerRenderCommand(program: Command, ctx: CommandContext, deps: RenderDeps = {}): Command {
  const cmd = program
    .command('render')
    .description("print the nft script one node would apply (the whole table, replaced atomically), for review and diffs");
  addInputOptions(cmd, 'as kubectl apply -n: the namespace of manifests without one (default: "default"); the script still covers the pods of every namespace on the node');
  return cmd
    .requiredOption('--node <name>', 'the node to render: its pods are the ones the table protects')
    .option('--table <name>', 'nftables table name (family inet)', DEFAULT_TABLE.name)
    .option('--check', 'also check the script with `nft -c -f -` (applies nothing; nft usually needs root even to check)')
    .option(
      '--spread-over <nodes>',
      'manifest mode: also spread pods without spec.nodeName over these nodes (comma-separated, repeatable)',
      nodeList,
      [],
    )
    .addHelpText('after', [
      '',
      'Pods with spec.nodeName run there. Pods without one (workload templates, unscheduled Pods) are',
      'spread round-robin, in namespace/name order, over the known nodes: the Node objects, the nodes',
      'pods name, --node, and --spread-over. The output is deterministic: same input, same bytes.',
      '',
      'Exit status: 0 rendered (and checked), 1 nft rejected the script, 2 bad input.',
    ].join('\n'))
    .action(async (opts: RenderCommandOptions) => {
      const resolved = ctx.cwd === undefined
        ? opts
        : { ...opts, filename: (opts.filename ?? []).map((f) => (f === '-' ? f : path.resolve(ctx.cwd as string, f))) };
      ctx.setExitCode(await runRenderCommand(resolved, ctx.io, deps));
    });
}

export async function runRenderCommand(opts: RenderCommandOptions, io: CliIO, deps: RenderDeps = {}): Promise<number> {
  if (opts.node.trim() === '') throw new UsageError('--node needs a node name');
  const tableProblem = tableNameProblem(opts.table);
  if (tableProblem !== undefined) throw new UsageError(tableProblem);
  let loaded: LoadedInput;
  try {
    loaded = await loadInput(opts, io);
  } catch (err) {
    if (!(err instanceof InputProblemsError)) throw err;
    const n = err.problems.filter((p) => p.severity === 'error').length;
    throw new UsageError(`${n} error${n === 1 ? '' : 's'} in the input; nothing was rendered`);
  }
  const spread = opts.spreadOver ?? [];
  if (loaded.mode === 'cluster' && spread.length > 0) throw new UsageError('--spread-over is for manifests (-f); live pods are already on their nodes');

  const compiled = compileForNode(loaded.objects, opts.node, { place: loaded.mode === 'manifests', spreadOver: spread });
  if (!compiled.ok) {
    const { unknown, known } = compiled;
    throw new UsageError(`unknown node${unknown.length === 1 ? '' : 's'} ${unknown.map((n) => `"${n}"`).join(', ')}; the input knows ${known.join(', ')}`);
  }
  const script = renderReplaceScript(compiled.ir, { family: 'inet', name: opts.table });
  io.stdout.write(script);
  if (opts.check !== true) return inputExit(loaded, EXIT.ok);
  return inputExit(loaded, await checkScript(script, deps.nft ?? execNftRunner(), io));
}

/** nft -c: 0 valid, 1 rejected (a bug: report it), 2 nft could not be used here. */
async function checkScript(script: string, nft: NftRunner, io: CliIO): Promise<number> {
  try {
    await nft.check(script);
    io.stderr.write('nft -c: the script is valid\n');
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof NftError)) throw err;
    const stderr = err.stderr.trim();
    if (stderr === '') {
      io.stderr.write(`error: --check could not run nft (is nftables installed and \`nft\` on PATH?): ${err.message}\n`);
      return EXIT.badInput;
    }
    if (/Operation not permitted|Permission denied/i.test(stderr)) {
      io.stderr.write(
        'error: --check needs nft to read the kernel\'s ruleset, which takes CAP_NET_ADMIN: run it as root '
        + `(nothing is applied), or leave out --check. nft said: ${stderr.split('\n')[0] ?? ''}\n`,
      );
      return EXIT.badInput;
    }
    io.stderr.write(`error: nft rejected the rendered script (a bug in nftpol: please report it with the input):\n${stderr}\n`);
    return EXIT.failure;
  }
}
