// Runs the node checks for the agent and keeps their report for /status: the
// node's shape once at start (logged at info; every way traffic would bypass
// nftpol at warn, one line each), then the pod CIDR once the source's first
// good read names this node's Node object. A check that cannot run (ip
// missing, unreadable output) is a warning, never a reason not to enforce:
// the rules are still right for the traffic that reaches them.
import type { Logger } from 'pino';
import type { ClusterSource, SourceRead } from './cluster-source.ts';
import { checkPodCidr, inspectNode, type NodeCheckReport } from './node-checks.ts';
import type { NodeProbe } from './node-probe.ts';

/** What /status shows under nodeChecks. */
export type NodeChecksStatus =
  | (NodeCheckReport & { readonly state: 'done' })
  | { readonly state: 'pending' | 'off' }
  | { readonly state: 'failed'; readonly error: string };

export interface NodeCheckReporterOptions {
  readonly node: string;
  readonly bridgeNetfilterCheck: boolean;
  readonly logger: Logger;
}

export class NodeCheckReporter {
  private current: NodeChecksStatus;
  private podCidrChecked = false;
  private readonly opts: NodeCheckReporterOptions;
  private readonly probe: NodeProbe | false;

  constructor(probe: NodeProbe | false, opts: NodeCheckReporterOptions) {
    this.probe = probe;
    this.opts = opts;
    this.current = { state: probe === false ? 'off' : 'pending' };
  }

  status(): NodeChecksStatus {
    return this.current;
  }

  /** Inspects the node and logs which case it is in. */
  async inspect(): Promise<void> {
    if (this.probe === false) return;
    const { logger } = this.opts;
    try {
      const report = await inspectNode(this.probe, { bridgeNetfilterCheck: this.opts.bridgeNetfilterCheck });
      this.current = { ...report, state: 'done' };
      logger.info({
        podNetwork: report.podNetwork, bridges: report.bridges, routedPodInterfaces: report.routedPodInterfaces,
        bridgeNetfilter: report.bridgeNetfilter, ebpf: report.ebpf,
      }, `node checks: ${report.summary}`);
      for (const reason of report.bypass) logger.warn({ bypass: true }, `POD TRAFFIC MAY BYPASS NFTPOL: ${reason}`);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.current = { state: 'failed', error };
      logger.warn({ error }, `node checks could not run (${error}): cannot tell whether pod traffic reaches nftables on this node`);
    }
  }

  /** The source, seen through: its first good read checks the Node object's pod CIDR. */
  watch(source: ClusterSource): ClusterSource {
    const read = async (): Promise<SourceRead> => {
      const result = await source.read();
      if (result.kind === 'state' && !this.podCidrChecked) {
        this.podCidrChecked = true;
        this.checkPodCidr(result.snapshot.objects.nodes.find((n) => n.name === this.opts.node)?.podCIDRs);
      }
      return result;
    };
    return {
      kind: source.kind,
      location: source.location,
      start: (onChange) => source.start(onChange),
      read,
      get synced() { return source.synced; },
      get revision() { return source.revision; },
      get resources() { return source.resources; },
      stop: () => source.stop(),
    };
  }

  private checkPodCidr(podCIDRs: readonly string[] | undefined): void {
    if (this.current.state !== 'done') return;
    const check = checkPodCidr(this.current, this.opts.node, podCIDRs);
    this.current = { ...this.current, podCidr: check };
    if (check.ok) this.opts.logger.info({ podCIDRs: check.fromNode }, `node checks: ${check.message}`);
    else this.opts.logger.warn({ podCIDRs: check.fromNode, outside: check.outside }, `node checks: ${check.message}`);
  }
}
