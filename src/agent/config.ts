// The agent's configuration: flags (as the command line gave them, strings)
// plus NODE_NAME from the environment, checked all at once so an operator
// fixing a DaemonSet sees every mistake in one go, not one per restart.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NFT_BACKENDS, type NftBackend } from '../dataplane/nft-backend.ts';
import { tableNameProblem } from '../nft/syntax.ts';
import type { KubernetesSourceConfig } from './kubernetes-source.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Where the cluster comes from: a folder of manifests, or the API server. */
export type SourceConfig = { readonly kind: 'files'; readonly dir: string } | KubernetesSourceConfig;

export interface AgentConfig {
  readonly source: SourceConfig;
  readonly node: string;
  /** Whether the node name came from --node or from $NODE_NAME (logged at start). */
  readonly nodeFrom: 'flag' | 'env';
  readonly table: string;
  /** Window after the first event of a burst before the one sync for it. */
  readonly coalesceMs: number;
  /** 0: no periodic reconcile. */
  readonly reconcileIntervalMs: number;
  /** 0: the file source relies on fs events alone. */
  readonly rescanIntervalMs: number;
  /** 0: /readyz never goes stale. */
  readonly staleAfterMs: number;
  readonly listen: { readonly host: string; readonly port: number };
  readonly logLevel: LogLevel;
  readonly bridgeNetfilterCheck: boolean;
  /** How tables reach the kernel: the nft command, or libnftables in-process (falls back to the command when missing). */
  readonly nftBackend: NftBackend;
  /**
   * false (default): when a change denies a flow that conntrack holds as
   * established, those entries are deleted, so the revoked connection stops
   * within one sync. true: they are left alone (upstream is neutral on it).
   */
  readonly keepEstablished: boolean;
}

/** The flags as commander hands them over: strings, unchecked. */
export interface AgentFlags {
  readonly source?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly node?: string;
  readonly table?: string;
  readonly coalesceMs?: string;
  readonly reconcileInterval?: string;
  readonly rescanInterval?: string;
  readonly staleAfter?: string;
  readonly listen?: string;
  readonly logLevel?: string;
  /** commander's --no-bridge-netfilter-check: false when given. */
  readonly bridgeNetfilterCheck?: boolean;
  readonly nftBackend?: string;
  readonly keepEstablished?: boolean;
}

export const AGENT_DEFAULTS = {
  table: 'nftpol',
  coalesceMs: '5',
  reconcileInterval: '5m',
  rescanInterval: '30s',
  staleAfter: '15m',
  listen: '127.0.0.1:9807',
  logLevel: 'info',
  nftBackend: 'nft',
} as const;

export type ConfigResult = { readonly ok: true; readonly config: AgentConfig } | { readonly ok: false; readonly problems: readonly string[] };

/** Kubernetes object names of Nodes: a DNS subdomain (RFC 1123), at most 253 characters. */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as Kubernetes users write them: "250ms", "30s", "5m", "1h30m"; "0" turns a period off. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * (UNITS_MS[m[2] as string] as number);
  return Math.round(ms);
}

function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** "host:port", "[v6]:port" or ":port" (every interface). */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

function durationFlag(flag: string, text: string, minMs: number, problems: string[]): number | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) {
    problems.push(`--${flag} ${JSON.stringify(text)} is not a duration (e.g. 250ms, 30s, 5m, 1h30m; 0 turns it off)`);
    return undefined;
  }
  if (ms !== 0 && ms < minMs) problems.push(`--${flag} ${text} is too short: at least ${formatDuration(minMs)} (or 0 to turn it off)`);
  return ms;
}

/**
 * --source kubernetes: the kubeconfig (and context) are loaded now, so a
 * wrong path, an unreadable file or a missing context is a flag problem
 * (exit 2), not a failure after start. Without --kubeconfig, the pod's
 * service account, which needs the variables the kubelet sets in every pod.
 */
async function checkKubernetes(flags: AgentFlags, env: Readonly<Record<string, string | undefined>>, cwd: string, problems: string[]): Promise<KubernetesSourceConfig | undefined> {
  if (flags.kubeconfig === undefined) {
    if (flags.context !== undefined) {
      problems.push('--context needs --kubeconfig: the in-cluster config (the pod\'s service account) has one context');
      return undefined;
    }
    const missing = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'].filter((v) => (env[v] ?? '') === '');
    if (missing.length > 0) {
      problems.push(`--source kubernetes without --kubeconfig uses the pod's service account, but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set (not in a pod?): give --kubeconfig PATH`);
      return undefined;
    }
    return { kind: 'kubernetes' };
  }
  const cfg: KubernetesSourceConfig = { kind: 'kubernetes', kubeconfig: path.resolve(cwd, flags.kubeconfig), ...(flags.context !== undefined && { context: flags.context }) };
  try {
    // Loaded here, not at start: only this source needs the client library.
    const { agentKubeConfig } = await import('./kubernetes-source.ts');
    agentKubeConfig(cfg);
  } catch (err) {
    problems.push(`--kubeconfig ${flags.kubeconfig}: ${((err as Error).message.split('\n')[0] ?? '').trim()}`);
    return undefined;
  }
  return cfg;
}

async function checkSource(flags: AgentFlags, env: Readonly<Record<string, string | undefined>>, cwd: string, problems: string[]): Promise<SourceConfig | undefined> {
  const text = flags.source;
  if (text === undefined || text.trim() === '') {
    problems.push('--source is required: files:DIR (a folder of manifests) or kubernetes (the API server)');
    return undefined;
  }
  if (text === 'kubernetes') return await checkKubernetes(flags, env, cwd, problems);
  for (const flag of ['kubeconfig', 'context'] as const) {
    if (flags[flag] !== undefined) problems.push(`--${flag} is for --source kubernetes only`);
  }
  if (!text.startsWith('files:')) {
    problems.push(`--source ${JSON.stringify(text)}: want files:DIR or kubernetes`);
    return undefined;
  }
  const given = text.slice('files:'.length);
  if (given === '') {
    problems.push('--source files: needs a folder: files:DIR');
    return undefined;
  }
  const dir = path.resolve(cwd, given);
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) problems.push(`--source ${text}: no such folder (${dir})`);
  else if (!info.isDirectory()) problems.push(`--source ${text}: not a folder (${dir})`);
  return { kind: 'files', dir };
}

/** Checks every flag and returns the config, or every problem found. */
export async function resolveAgentConfig(flags: AgentFlags, env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<ConfigResult> {
  const problems: string[] = [];
  const source = await checkSource(flags, env, cwd, problems);

  const fromFlag = flags.node !== undefined;
  const node = (flags.node ?? env.NODE_NAME ?? '').trim();
  if (node === '') problems.push('--node is required (or set NODE_NAME, e.g. from the downward API: spec.nodeName)');
  else if (node.length > 253 || !NODE_NAME.test(node)) {
    problems.push(`${fromFlag ? '--node' : 'NODE_NAME'} ${JSON.stringify(node)} is not a node name (lower-case letters, digits, "-" and ".", at most 253)`);
  }

  const table = flags.table ?? AGENT_DEFAULTS.table;
  const tableProblem = tableNameProblem(table);
  if (tableProblem !== undefined) problems.push(tableProblem);

  const coalesceText = flags.coalesceMs ?? AGENT_DEFAULTS.coalesceMs;
  const coalesceMs = Number(coalesceText);
  if (!/^\d+$/.test(coalesceText.trim()) || coalesceMs > 10_000) {
    problems.push(`--coalesce-ms ${JSON.stringify(coalesceText)}: want a whole number of milliseconds from 0 to 10000`);
  }

  const reconcileIntervalMs = durationFlag('reconcile-interval', flags.reconcileInterval ?? AGENT_DEFAULTS.reconcileInterval, 1000, problems);
  const rescanIntervalMs = durationFlag('rescan-interval', flags.rescanInterval ?? AGENT_DEFAULTS.rescanInterval, 100, problems);
  const staleAfterMs = durationFlag('stale-after', flags.staleAfter ?? AGENT_DEFAULTS.staleAfter, 1000, problems);
  // A steady agent writes nothing; it confirms the table once per reconcile.
  // Staleness shorter than that would turn /readyz red on a healthy node.
  if (staleAfterMs !== undefined && reconcileIntervalMs !== undefined && staleAfterMs !== 0 && (reconcileIntervalMs === 0 || staleAfterMs <= reconcileIntervalMs)) {
    problems.push(`--stale-after ${formatDuration(staleAfterMs)} must be longer than --reconcile-interval (${formatDuration(reconcileIntervalMs)}; a steady agent confirms the table once per reconcile), or 0 to never go stale`);
  }

  const listenText = flags.listen ?? AGENT_DEFAULTS.listen;
  const listen = parseListen(listenText);
  if (listen === undefined) problems.push(`--listen ${JSON.stringify(listenText)}: want HOST:PORT, [IPv6]:PORT or :PORT (port 0 to 65535)`);

  const logLevel = (flags.logLevel ?? AGENT_DEFAULTS.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`--log-level ${JSON.stringify(logLevel)}: want one of ${LOG_LEVELS.join(', ')}`);

  const nftBackend = (flags.nftBackend ?? AGENT_DEFAULTS.nftBackend) as NftBackend;
  if (!NFT_BACKENDS.includes(nftBackend)) problems.push(`--nft-backend ${JSON.stringify(nftBackend)}: want ${NFT_BACKENDS.join(' or ')}`);

  if (problems.length > 0 || source === undefined || listen === undefined || reconcileIntervalMs === undefined || rescanIntervalMs === undefined || staleAfterMs === undefined) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: {
      source, node, nodeFrom: fromFlag ? 'flag' : 'env', table, coalesceMs, reconcileIntervalMs, rescanIntervalMs, staleAfterMs,
      listen, logLevel, bridgeNetfilterCheck: flags.bridgeNetfilterCheck !== false, nftBackend, keepEstablished: flags.keepEstablished === true,
    },
  };
}

/** The config as logged at start and shown in /status: durations in words. */
export function describeConfig(c: AgentConfig): Record<string, unknown> {
  return {
    source: c.source.kind === 'files' ? `files:${c.source.dir}` : 'kubernetes',
    ...(c.source.kind === 'kubernetes' && { kubeconfig: c.source.kubeconfig ?? 'in-cluster', ...(c.source.context !== undefined && { context: c.source.context }) }),
    node: c.node, nodeFrom: c.nodeFrom, table: `inet ${c.table}`, coalesceMs: c.coalesceMs,
    reconcileInterval: formatDuration(c.reconcileIntervalMs), rescanInterval: formatDuration(c.rescanIntervalMs),
    staleAfter: formatDuration(c.staleAfterMs), listen: `${c.listen.host.includes(':') ? `[${c.listen.host}]` : c.listen.host}:${c.listen.port}`,
    logLevel: c.logLevel, bridgeNetfilterCheck: c.bridgeNetfilterCheck, nftBackend: c.nftBackend, keepEstablished: c.keepEstablished,
  };
}
