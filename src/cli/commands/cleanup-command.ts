// `nftpol cleanup [--table NAME]`: removes the agent's table (uninstall).
// Idempotent: no table is success too, so an uninstall hook can run it
// twice. Touches nothing but that one table (see docs/agent.md).
import type { Command } from 'commander';
import { execNftRunner, isNoSuchTable, type NftError, type NftRunner } from '../../dataplane/nft-runner.ts';
import { Syncer } from '../../dataplane/syncer.ts';
import { DEFAULT_TABLE } from '../../nft/render-table.ts';
import { EXIT, UsageError, type CliIO } from '../io.ts';
import type { CommandContext } from './command-context.ts';
import { tableNameProblem } from '../../nft/syntax.ts';


export function registerCleanupCommand(program: Command, ctx: CommandContext, nft?: NftRunner): Command {
  return program
    .command('cleanup')
    .description("remove the agent's nftables table (uninstall); nothing else is touched, and no table is not an error")
    .option('--table <name>', 'nftables table name (family inet)', DEFAULT_TABLE.name)
    .addHelpText('after', '\nStop the agent first: a running agent puts the table back at its next reconcile.\n\nExit status: 0 removed or not there, 1 nft failed (e.g. not root), 2 bad table name.')
    .action(async (opts: { table: string }) => {
      ctx.setExitCode(await runCleanupCommand(opts.table, ctx.io, nft ?? execNftRunner()));
    });
}

export async function runCleanupCommand(table: string, io: CliIO, nft: NftRunner): Promise<number> {
  const tableProblem = tableNameProblem(table);
  if (tableProblem !== undefined) throw new UsageError(tableProblem);
  let present = true;
  try {
    await nft.read(['list', 'table', 'inet', table]);
  } catch (err) {
    if (!isNoSuchTable(err)) {
      io.stderr.write(`error: cannot read the ruleset: ${(err as Error).message}${/Operation not permitted/.test((err as NftError).stderr ?? '') ? ' (run as root)' : ''}\n`);
      return EXIT.failure;
    }
    present = false;
  }
  if (!present) {
    io.stdout.write(`no table inet ${table}: nothing to remove\n`);
    return EXIT.ok;
  }
  try {
    await new Syncer({ runner: nft, table: { family: 'inet', name: table }, bridge: false }).remove();
  } catch (err) {
    io.stderr.write(`error: could not remove table inet ${table}: ${(err as Error).message}\n`);
    return EXIT.failure;
  }
  io.stdout.write(`removed table inet ${table}\n`);
  return EXIT.ok;
}
