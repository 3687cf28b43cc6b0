// nftpol's subcommands as the program registers them (commander), for the chart
// tests: their option lists, and a parse of a container's arguments into the
// flags the command's action would get (the action itself is swapped out).
import { Command, type Option } from 'commander';
import { registerAgentCommand } from '../../src/cli/commands/agent-command.ts';
import { registerCleanupCommand } from '../../src/cli/commands/cleanup-command.ts';
import type { CommandContext } from '../../src/cli/commands/command-context.ts';
import { findObject, type Rendered } from './helm.ts';

const ctx: CommandContext = {
  io: { stdout: process.stdout, stderr: process.stderr } as unknown as CommandContext['io'],
  verdictSources: {} as CommandContext['verdictSources'],
  setExitCode: () => undefined,
};

export interface Subcommand {
  readonly command: Command;
  /** Parses `[subcommand, ...flags]`; throws commander's error on an unknown option or a missing value. */
  parse(args: readonly string[]): Promise<Record<string, unknown>>;
}

export function subcommand(name: 'agent' | 'cleanup'): Subcommand {
  const program = new Command('nftpol').exitOverride();
  const command = name === 'agent' ? registerAgentCommand(program, ctx) : registerCleanupCommand(program, ctx);
  command.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  let parsed: Record<string, unknown> = {};
  command.action((opts: Record<string, unknown>) => void (parsed = opts));
  return {
    command,
    parse: async (args) => {
      await program.parseAsync([...args], { from: 'user' });
      return parsed;
    },
  };
}

export const longFlags = (command: Command): Set<string> => new Set(command.options.map((o: Option) => o.long).filter((l): l is string => l !== undefined));

export type Container = { name: string; args?: string[]; command?: string[] };

export function containers(o: Rendered): Container[] {
  const spec = (o as unknown as { spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } } }).spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** The agent container's arguments in the chart's agent DaemonSet (the one that is not a hook). */
export function agentArgs(objects: readonly Rendered[]): string[] {
  const ds = findObject(objects, 'DaemonSet', (o) => o.metadata.annotations?.['helm.sh/hook'] === undefined);
  return containers(ds).find((c) => c.name === 'agent')?.args ?? [];
}
