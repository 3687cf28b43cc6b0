// `nftpol agent --source files:DIR|kubernetes --node NAME`: the daemon each node runs.
// Every flag is checked before anything starts, and all problems are printed
// at once (exit 2). SIGTERM and SIGINT stop it with exit 0 and leave the
// table enforcing (a restart or an upgrade must not open traffic);
// `nftpol cleanup` removes the table.
import type { Command } from 'commander';
import { AGENT_DEFAULTS, resolveAgentConfig, type AgentFlags } from '../../agent/config.ts';
import { runAgent, type RunAgentDeps } from '../../agent/run-agent.ts';
import { EXIT, type CliIO } from '../io.ts';
import { packageVersion } from '../version.ts';
import type { CommandContext } from './command-context.ts';

export interface AgentCommandDeps extends Partial<Omit<RunAgentDeps, 'logTo'>> {
  /** Resolves when the agent should stop; by default the first SIGTERM or SIGINT. */
  readonly untilStopped?: () => Promise<string>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Told the running agent (tests read its endpoint address). */
  readonly onStarted?: (address: string) => void;
}

/**
 * The first SIGTERM or SIGINT. The handlers stay installed (a second signal
 * while stopping changes nothing): execa's child-process cleanup (signal-exit)
 * re-raises a signal that no other listener handles, so removing ours on
 * the first one killed the agent by that very signal whenever a child (nft,
 * conntrack) was running at the moment, instead of stopping it with exit 0.
 */
function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals): void => resolve(s);
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export function registerAgentCommand(program: Command, ctx: CommandContext, deps: AgentCommandDeps = {}): Command {
  return program
    .command('agent')
    .description('run the node agent: keep this node\'s nftables table equal to the policies of its source')
    .option('--source <source>', 'where the cluster comes from: files:DIR (a folder of manifests, watched) or kubernetes (the API server, listed and watched)')
    .option('--kubeconfig <path>', 'kubernetes source: a kubeconfig file (default: the pod\'s service account, in-cluster)')
    .option('--context <name>', 'kubernetes source: the kubeconfig context to use instead of its current one (needs --kubeconfig)')
    .option('--node <name>', 'the node this agent enforces for (default: $NODE_NAME)')
    .option('--table <name>', 'nftables table name (family inet)', AGENT_DEFAULTS.table)
    .option('--coalesce-ms <ms>', 'after the first change, wait this long for more before the one sync for the burst', AGENT_DEFAULTS.coalesceMs)
    .option('--reconcile-interval <duration>', 'check the kernel table against the desired one this often, re-apply on drift (0: never)', AGENT_DEFAULTS.reconcileInterval)
    .option('--rescan-interval <duration>', 'files source: re-read the folder this often, in case a watch event was missed (0: never)', AGENT_DEFAULTS.rescanInterval)
    .option('--stale-after <duration>', '/readyz turns 503 when the table was not written or confirmed for this long (0: never)', AGENT_DEFAULTS.staleAfter)
    .option('--listen <host:port>', 'address of /healthz, /readyz, /metrics and /status (":PORT" for every interface)', AGENT_DEFAULTS.listen)
    .option('--log-level <level>', 'fatal, error, warn, info (changes), debug (one line per sync), trace or silent', AGENT_DEFAULTS.logLevel)
    .option('--no-bridge-netfilter-check', 'do not require br_netfilter (only for nodes whose pods are not on a Linux bridge)')
    .option('--nft-backend <backend>', 'how tables reach the kernel: nft (the command, spawned per change) or libnftables (in-process, needs libnftables1; falls back to nft with a logged message when missing)', AGENT_DEFAULTS.nftBackend)
    .option('--keep-established', 'leave alone the conntrack entries of established connections a change denies, as upstream is neutral on it (default: delete them, so a revoked connection stops within one sync)')
    .addHelpText('after', [
      '',
      'Durations: 250ms, 30s, 5m, 1h30m. Logs are JSON lines on stdout.',
      'Nothing is written to the kernel before the source\'s first complete, valid read; a previous run\'s',
      'table keeps enforcing until then, and is replaced in one transaction; later changes are applied as',
      'deltas. files: a read with an error anywhere is refused whole and the last good state stays.',
      'kubernetes: nothing is applied before the first lists of Namespaces, Pods, NetworkPolicies and Nodes',
      'are in, discovery has answered which cluster-wide policy kinds (ClusterNetworkPolicy, AdminNetworkPolicy,',
      'BaselineAdminNetworkPolicy) the API server serves, and the first list of each served one is in.',
      'An invalid NetworkPolicy or cluster-wide policy fails closed (a cluster-wide rule with errors fails on',
      'its own); another invalid object is logged, counted and left out.',
      'SIGTERM/SIGINT: exit 0, the table stays in force (remove it with `nftpol cleanup`).',
      '',
      'Exit status: 0 stopped by a signal, 1 could not start (e.g. the address is in use), 2 bad flags.',
    ].join('\n'))
    .action(async (flags: AgentFlags) => {
      ctx.setExitCode(await runAgentCommand(flags, ctx, deps));
    });
}

export async function runAgentCommand(flags: AgentFlags, ctx: Pick<CommandContext, 'io' | 'cwd'>, deps: AgentCommandDeps = {}): Promise<number> {
  const io: CliIO = ctx.io;
  const resolved = await resolveAgentConfig(flags, deps.env ?? process.env, ctx.cwd ?? process.cwd());
  if (!resolved.ok) {
    for (const p of resolved.problems) io.stderr.write(`error: ${p}\n`);
    io.stderr.write(`${resolved.problems.length} problem${resolved.problems.length === 1 ? '' : 's'} with the flags; the agent did not start (nftpol agent --help)\n`);
    return EXIT.badInput;
  }
  // Listen for the stop signal before starting, so a SIGTERM during start-up also ends with exit 0.
  const stopSignal = (deps.untilStopped ?? firstSignal)();
  let running;
  try {
    running = await runAgent(resolved.config, { ...deps, logTo: { write: (s: string) => void io.stdout.write(s) }, processMetrics: deps.processMetrics ?? true, version: packageVersion() });
  } catch (err) {
    io.stderr.write(`error: the agent could not start: ${(err as Error).message}\n`);
    return EXIT.failure;
  }
  deps.onStarted?.(running.endpoints.address);
  const signal = await stopSignal;
  running.logger.info({ signal }, 'stopping');
  await running.stop();
  return EXIT.ok;
}

