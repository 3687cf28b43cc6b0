// Wires one agent from its config: the file or kubernetes source, the Syncer-backed
// applier (the nft command or libnftables on this node, as --nft-backend says,
// br_netfilter checked before the first sync), the node checks (bridged or
// routed pods, an eBPF datapath that bypasses netfilter, the Node's pod CIDR:
// logged at start and shown in /status), pino JSON logs, the metrics
// (per-pod drops read through the same runner) and the HTTP endpoints. The CLI calls this and
// waits for SIGTERM/SIGINT; tests call it with their own clock or runner.
import { pino, type DestinationStream, type Logger } from 'pino';
import { procSysctls } from '../dataplane/bridge-netfilter.ts';
import { LibnftablesRunner } from '../dataplane/libnftables-runner.ts';
import { openNftBackend, type NftBackend } from '../dataplane/nft-backend.ts';
import type { NftRunner } from '../dataplane/nft-runner.ts';
import { execConntrack, type ConntrackTable } from '../dataplane/conntrack.ts';
import { Agent, type AgentStatus } from './agent.ts';
import { SyncerApplier, type Applier } from './applier.ts';
import { systemClock, type Clock } from './clock.ts';
import { describeConfig, type AgentConfig } from './config.ts';
import { listenEndpoints, type Endpoints } from './http-endpoints.ts';
import { FileSource } from './file-source.ts';
import { formatProblem } from '../model/problems.ts';
import type { ClusterSource } from './cluster-source.ts';
import type { WatchClusterOptions } from '../k8s/watch-cluster.ts';
import { AgentMetrics } from './metrics.ts';
import { NodeCheckReporter, type NodeChecksStatus } from './node-check-reporter.ts';
import { commandNodeProbe, type NodeProbe } from './node-probe.ts';

export interface RunAgentDeps {
  /** Where JSON log lines go (stdout in production). */
  readonly logTo: DestinationStream;
  readonly clock?: Clock;
  readonly runner?: NftRunner;
  readonly applier?: Applier;
  /** The connection tracking table to sweep after changes (default: the conntrack command on this node, unless the runner or applier is injected). */
  readonly conntrack?: ConntrackTable;
  /** process_* and nodejs_* metrics (on in production; off in tests). */
  readonly processMetrics?: boolean;
  readonly version?: string;
  /** Watch backoff and timeouts for the kubernetes source (tests make them short). */
  readonly watch?: WatchClusterOptions;
  /** What the node checks read (iproute2 here by default; off when a runner or applier is injected, unless given). */
  readonly nodeProbe?: NodeProbe | false;
}

/** The agent, with the node checks' report in /status. */
class CheckedAgent extends Agent {
  private readonly nodeChecks: NodeCheckReporter;

  constructor(opts: ConstructorParameters<typeof Agent>[0], deps: ConstructorParameters<typeof Agent>[1], nodeChecks: NodeCheckReporter) {
    super(opts, deps);
    this.nodeChecks = nodeChecks;
  }

  override status(): AgentStatus & { readonly nodeChecks: NodeChecksStatus } {
    return { ...super.status(), nodeChecks: this.nodeChecks.status() };
  }
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly endpoints: Endpoints;
  readonly logger: Logger;
  readonly metrics: AgentMetrics;
  /** Stops the loop and the endpoints; the table stays in force. */
  stop(): Promise<void>;
}

export function agentLogger(config: Pick<AgentConfig, 'logLevel' | 'node'>, to: DestinationStream): Logger {
  return pino({ level: config.logLevel, base: { node: config.node }, timestamp: pino.stdTimeFunctions.isoTime }, to);
}

export async function runAgent(config: AgentConfig, deps: RunAgentDeps): Promise<RunningAgent> {
  const clock = deps.clock ?? systemClock;
  const logger = agentLogger(config, deps.logTo);
  // A runner (or applier) from the caller wins; otherwise the backend the flag asks for, or the command when it cannot load.
  const opened = deps.runner === undefined && deps.applier === undefined ? openNftBackend(config.nftBackend) : undefined;
  const runner = deps.runner ?? opened?.runner;
  const backend: NftBackend | 'injected' = opened?.backend ?? 'injected';
  const metrics = new AgentMetrics({
    processMetrics: deps.processMetrics ?? false,
    ...(runner !== undefined && { drops: { runner, table: config.table } }),
  });
  // The API server's client library is loaded only for that source: it takes
  // seconds to load on a busy node, and a folder of manifests does not need it.
  const k8s = config.source.kind === 'kubernetes' ? await import('./kubernetes-source.ts') : undefined;
  const nodeChecks = new NodeCheckReporter(
    deps.nodeProbe ?? (deps.runner === undefined && deps.applier === undefined ? commandNodeProbe() : false),
    { node: config.node, bridgeNetfilterCheck: config.bridgeNetfilterCheck, logger },
  );
  const source: ClusterSource = config.source.kind === 'files'
    ? new FileSource({ dir: config.source.dir, rescanIntervalMs: config.rescanIntervalMs, clock, onWatchError: (m) => logger.warn(m) })
    : new (k8s as NonNullable<typeof k8s>).KubernetesSource({
      kubeConfig: (k8s as NonNullable<typeof k8s>).agentKubeConfig(config.source),
      ...(deps.watch !== undefined && { watch: deps.watch }),
      onInvalid: (problems) => {
        metrics.objectsRejected.inc();
        logger.error({ problems: problems.map(formatProblem) }, 'invalid object from the API server: a NetworkPolicy fails closed, anything else is left out (its last valid version, if any, stays)');
      },
      onTrouble: (message) => logger.warn(`watch: ${message}`),
      // Not served is no error (most clusters have no such CRD): said once at info, and again only if it changes.
      onDiscovery: (resource, served, message) => logger.info({ resource, served }, message),
    });
  metrics.reportResources(() => source.resources);
  const applier = deps.applier ?? new SyncerApplier({
    runner: runner as NftRunner, // set whenever no applier is given
    table: config.table, bridge: config.bridgeNetfilterCheck ? procSysctls : false,
  });
  // Revoked connections are cut on the node the agent runs on (its network
  // namespace); a test that injects its own kernel injects its conntrack too.
  const conntrack = deps.conntrack ?? (opened !== undefined ? execConntrack() : undefined);
  const agent = new CheckedAgent({
    node: config.node, table: config.table, coalesceMs: config.coalesceMs,
    reconcileIntervalMs: config.reconcileIntervalMs, staleAfterMs: config.staleAfterMs, keepEstablished: config.keepEstablished,
  }, { source: nodeChecks.watch(source), applier, logger, metrics, clock, ...(conntrack !== undefined && { conntrack }) }, nodeChecks);
  const endpoints = await listenEndpoints(agent, metrics, config.listen.host, config.listen.port);
  logger.info({
    config: describeConfig(config), nftBackendInUse: backend, endpoints: endpoints.address, ...(deps.version !== undefined && { version: deps.version }),
  }, 'nftpol agent starting');
  if (opened?.fallback !== undefined) logger.warn({ requested: config.nftBackend, nftBackendInUse: opened.backend }, opened.fallback);
  await nodeChecks.inspect();
  await agent.start();
  return {
    agent, endpoints, logger, metrics,
    stop: async () => {
      await agent.stop();
      await endpoints.close();
      if (opened?.runner instanceof LibnftablesRunner) await opened.runner.close();
      logger.info(`stopped; table inet ${config.table} stays in force (remove it with nftpol cleanup)`);
    },
  };
}
