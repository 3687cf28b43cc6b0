// The agent's Prometheus metrics (prom-client), named by the Prometheus
// conventions: nftpol_ prefix, base units (_seconds), _total for counters.
// One registry per agent, so tests (and several agents in one process) do
// not share counters.
//
// Per-pod drops are the kernel's own counters (each pod chain's final
// `counter drop`), and so are the drops of cluster-wide policies' Deny rules
// (per rule: cluster-rule-drops.ts says why not per pod), read when Prometheus scrapes: one `nft -j -t list table`
// (terse: the rules without the sets' elements, which are most of a big
// table and say nothing about drops) at most every few seconds (cached), so
// scrapes from several Prometheus replicas cost one listing. A pod that leaves the table leaves the
// metric at the next read. The kernel's counter starts at 0 when the chain is
// made again (a whole-table replace, or a delta that rewrites the pod's
// chain); Prometheus' rate() and increase() read a decrease as such a reset.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NftRunner } from '../dataplane/nft-runner.ts';
import type { ClusterPolicyChain, NodeIR } from '../compile/ir.ts';
import { clusterRuleDrops, type ClusterRuleDrop } from './cluster-rule-drops.ts';
import { listedRules, podDropCounters, type PodDropCounter } from './drop-counters.ts';
import type { IRCounts } from './node-ir.ts';
import type { WatchedResourceStatus } from './cluster-source.ts';

export type SyncTrigger = 'change' | 'reconcile' | 'retry';
export type SyncResultLabel = 'applied' | 'unchanged' | 'failed';
export type SyncErrorCause = 'nft' | 'bridge_netfilter' | 'unknown_node' | 'compile';
export type ReconcileResult = 'in_sync' | 'repaired' | 'failed';

/** Where the drop counters are read from (the pods' and the cluster-wide policies' Deny rules'): the table, through the agent's runner. */
export interface DropCounterSource {
  readonly runner: NftRunner;
  /** The table's name (family inet). */
  readonly table: string;
  /** A reading is reused for this long (default 5 s). */
  readonly cacheMs?: number;
  /** Milliseconds clock, for tests. */
  readonly now?: () => number;
}

export interface AgentMetricsOptions {
  /** process_* and nodejs_* metrics. */
  readonly processMetrics?: boolean;
  /** Report nftpol_pod_dropped_{packets,bytes}_total and nftpol_cluster_rule_dropped_{packets,bytes}_total from the table's counters (off when absent). */
  readonly drops?: DropCounterSource;
}

const DROP_CACHE_MS = 5000;
const DROP_LABELS = ['namespace', 'pod', 'direction'] as const;
const RULE_LABELS = ['policy', 'direction', 'rule'] as const;

interface DropReading {
  readonly pods: readonly PodDropCounter[];
  readonly rules: readonly ClusterRuleDrop[];
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly syncDuration = new Histogram({
    name: 'nftpol_sync_duration_seconds',
    help: 'From the first event of a burst to its table in the kernel (syncs that wrote the kernel)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly syncs = new Counter({
    name: 'nftpol_syncs_total', help: 'Syncs by what started them and how they ended',
    labelNames: ['trigger', 'result'] as const, registers: [this.registry],
  });
  readonly syncErrors = new Counter({
    name: 'nftpol_sync_errors_total', help: 'Failed syncs by cause (the previous table stays in force)',
    labelNames: ['cause'] as const, registers: [this.registry],
  });
  readonly reconciles = new Counter({
    name: 'nftpol_reconciles_total', help: 'Periodic checks of the kernel table against the desired one, by result',
    labelNames: ['result'] as const, registers: [this.registry],
  });
  readonly scriptBytes = new Histogram({
    name: 'nftpol_sync_script_bytes', help: 'Size of each nft script written to the kernel, by kind (replace: the whole table; delta: the change on the table in force)',
    labelNames: ['script'] as const,
    buckets: [256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216],
    registers: [this.registry],
  });
  readonly lastApplyDelta = new Gauge({
    name: 'nftpol_last_apply_delta', help: '1 when the last script written to the kernel was a delta, 0 when it replaced the whole table',
    registers: [this.registry],
  });
  readonly objectsRejected = new Counter({
    name: 'nftpol_objects_rejected_total', help: 'Invalid objects: in refused reads of files (or unparsable documents), once per refused revision; from the API server, once per version of the object',
    registers: [this.registry],
  });
  readonly readsRejected = new Counter({
    name: 'nftpol_source_reads_rejected_total', help: 'Source reads refused (a new revision with errors): the last good state stays', registers: [this.registry],
  });
  readonly revoked = new Counter({
    name: 'nftpol_conntrack_entries_revoked_total',
    help: 'Connection tracking entries the agent deleted after a change: denied (a flow the policy now denies) or address-owner-changed (a reused pod address)',
    labelNames: ['cause'] as const, registers: [this.registry],
  });
  readonly sweeps = new Counter({
    name: 'nftpol_conntrack_sweeps_total', help: 'Sweeps of the connection tracking table after changes, by result (done, failed)',
    labelNames: ['result'] as const, registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'nftpol_last_sync_success_timestamp_seconds', help: 'When the kernel table was last written or confirmed equal to the desired one (Unix time)',
    registers: [this.registry],
  });
  private readonly ir = {
    localPods: new Gauge({ name: 'nftpol_ir_local_pods', help: 'Local pods in the node IR in the kernel', registers: [this.registry] }),
    chains: new Gauge({ name: 'nftpol_ir_chains', help: 'Chains of the node IR in the kernel but its base chains: policy, pod, cluster policy, tier and pass chains', registers: [this.registry] }),
    rules: new Gauge({ name: 'nftpol_ir_rules', help: 'Allow rules of the policy chains, and rules of the cluster policies\' chains, of the node IR in the kernel', registers: [this.registry] }),
    sets: new Gauge({ name: 'nftpol_ir_sets', help: 'Named sets of the node IR in the kernel', registers: [this.registry] }),
    elements: new Gauge({ name: 'nftpol_ir_set_elements', help: 'Elements of the named sets of the node IR in the kernel', registers: [this.registry] }),
  };

  /** The cluster policy chains of the IR in the kernel (setIR). */
  private clusterChains: readonly ClusterPolicyChain[] = [];

  /** The source's resources, read at each scrape (the kubernetes source's; none for files). */
  private resourceStates: (() => readonly WatchedResourceStatus[] | undefined) | undefined;

  constructor({ processMetrics = false, drops }: AgentMetricsOptions = {}) {
    const states = (): readonly WatchedResourceStatus[] => this.resourceStates?.() ?? [];
    new Gauge({
      name: 'nftpol_resource_watched',
      help: 'The kubernetes source: 1 for each resource it lists and watches, 0 for one it does not (a cluster-wide policy kind the API server does not serve, or not known yet)',
      labelNames: ['resource', 'api_version'] as const, registers: [this.registry],
      collect() {
        this.reset();
        for (const r of states()) this.set({ resource: r.resource, api_version: r.apiVersion }, r.state === 'listing' || r.state === 'watching' ? 1 : 0);
      },
    });
    // process_* and nodejs_* (CPU, memory, event loop lag), under their usual names.
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    if (drops !== undefined) this.registerDrops(drops);
    // Both results of each trigger exist from the start, so rate() sees the first increase.
    for (const trigger of ['change', 'reconcile', 'retry'] as const) for (const result of ['applied', 'unchanged', 'failed'] as const) this.syncs.inc({ trigger, result }, 0);
    for (const cause of ['nft', 'bridge_netfilter', 'unknown_node', 'compile'] as const) this.syncErrors.inc({ cause }, 0);
    for (const result of ['in_sync', 'repaired', 'failed'] as const) this.reconciles.inc({ result }, 0);
  }

  private registerDrops(source: DropCounterSource): void {
    const now = source.now ?? Date.now;
    const cacheMs = source.cacheMs ?? DROP_CACHE_MS;
    let cached: { at: number; reading: Promise<DropReading> } | undefined;
    // No table yet (before the first sync) or a failed listing: no series, until a read succeeds.
    const read = async (): Promise<DropReading> => {
      try {
        const rules = listedRules(await source.runner.read(['-j', '-t', 'list', 'table', 'inet', source.table]), source.table);
        return { pods: podDropCounters(rules, source.table).counters, rules: clusterRuleDrops(rules, source.table, this.clusterChains) };
      } catch {
        return { pods: [], rules: [] };
      }
    };
    const reading = (): Promise<DropReading> => {
      const t = now();
      if (cached === undefined || t - cached.at >= cacheMs) cached = { at: t, reading: read() };
      return cached.reading;
    };
    const fill = async (metric: Counter<(typeof DROP_LABELS)[number]>, value: (c: PodDropCounter) => number): Promise<void> => {
      const { pods } = await reading();
      metric.reset(); // pods that left the table leave the metric
      for (const c of pods) metric.inc({ namespace: c.namespace, pod: c.pod, direction: c.direction }, value(c));
    };
    const fillRules = async (metric: Counter<(typeof RULE_LABELS)[number]>, value: (c: ClusterRuleDrop) => number): Promise<void> => {
      const { rules } = await reading();
      metric.reset(); // rules and policies that left the table leave the metric
      for (const r of rules) metric.inc({ policy: r.policy, direction: r.direction, rule: r.rule }, value(r));
    };
    new Counter({
      name: 'nftpol_cluster_rule_dropped_packets_total',
      help: 'Packets a Deny rule of a cluster-wide policy dropped on this node, for all the local pods its policy selects, from the kernel\'s counters on the rule',
      labelNames: RULE_LABELS, registers: [this.registry],
      collect() { return fillRules(this, (r) => r.packets); },
    });
    new Counter({
      name: 'nftpol_cluster_rule_dropped_bytes_total', help: 'Bytes of the packets counted by nftpol_cluster_rule_dropped_packets_total',
      labelNames: RULE_LABELS, registers: [this.registry],
      collect() { return fillRules(this, (r) => r.bytes); },
    });
    new Counter({
      name: 'nftpol_pod_dropped_packets_total', help: 'Packets to (ingress) or from (egress) a local pod that its NetworkPolicies denied, from the kernel\'s counter in its pod chain (drops by cluster-wide policies: nftpol_cluster_rule_dropped_packets_total)',
      labelNames: DROP_LABELS, registers: [this.registry],
      collect() { return fill(this, (c) => c.packets); },
    });
    new Counter({
      name: 'nftpol_pod_dropped_bytes_total', help: 'Bytes of the packets counted by nftpol_pod_dropped_packets_total',
      labelNames: DROP_LABELS, registers: [this.registry],
      collect() { return fill(this, (c) => c.bytes); },
    });
  }

  /** Where nftpol_resource_watched reads from. */
  reportResources(states: () => readonly WatchedResourceStatus[] | undefined): void {
    this.resourceStates = states;
  }

  /**
   * The IR now in the kernel: its counts, and its cluster policy chains, against which the rules' drop counters are read.
   * Both are required: counts without the IR would leave the drop counters read against an older table's chains.
   */
  setIR(c: IRCounts, ir: NodeIR): void {
    for (const k of Object.keys(this.ir) as (keyof IRCounts)[]) this.ir[k].set(c[k]);
    this.clusterChains = ir.clusterChains ?? [];
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
