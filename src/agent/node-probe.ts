// What the node checks read from the node: its links (with their kind, bridge
// master, addresses and XDP program), its routes, and the tc filters on a pod
// interface's ingress. The checks see only this seam, so unit tests feed them
// outputs captured from real nodes; production reads them with iproute2 in the
// agent's own network namespace (the host's: the DaemonSet runs with
// hostNetwork). Every output is parsed as hostile input: a field with an
// unexpected type is dropped, never trusted.
import { execa } from 'execa';
import type { SysctlAccess } from '../dataplane/bridge-netfilter.ts';
import { procSysctls } from '../dataplane/bridge-netfilter.ts';

export interface NodeProbe {
  /** `ip -j -d addr show`: every link with its details and addresses. */
  links(): Promise<string>;
  /** `ip -j [-6] route show table main`. */
  routes(family: 4 | 6): Promise<string>;
  /** `tc -j filter show dev DEV ingress`; undefined when tc cannot tell (missing, or no such device). */
  ingressFilters(dev: string): Promise<string | undefined>;
  /** The br_netfilter sysctls, read only (the dataplane's check sets them). */
  readonly sysctls: Pick<SysctlAccess, 'read'>;
}

export interface LinkFact {
  readonly name: string;
  /** linkinfo.info_kind: bridge, veth, vxlan, …; undefined for a plain device. */
  readonly kind: string | undefined;
  /** The bridge (or other master) the link is a port of. */
  readonly master: string | undefined;
  /** Addresses as ADDR/PREFIX. */
  readonly addresses: readonly string[];
  /** An XDP program is attached (ip prints an `xdp` object only then). */
  readonly xdp: boolean;
}

export interface RouteFact {
  /** The destination as ip prints it: "default", "10.244.1.5" (a host route) or "10.244.1.0/24". */
  readonly dst: string;
  readonly dev: string | undefined;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

function jsonArray(text: string, what: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim() === '' ? '[]' : text);
  } catch (e) {
    throw new Error(`${what}: not JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  if (!Array.isArray(parsed)) throw new Error(`${what}: want a JSON array`);
  return parsed;
}

/** Links from `ip -j -d addr show` (or `ip -j -d link show`, without addresses). */
export function parseLinks(text: string): LinkFact[] {
  const out: LinkFact[] = [];
  for (const item of jsonArray(text, 'ip -j -d addr show')) {
    const l = record(item);
    const name = str(l?.ifname);
    if (l === undefined || name === undefined) continue;
    const info = record(l.linkinfo);
    const addresses = Array.isArray(l.addr_info)
      ? l.addr_info.flatMap((a) => {
        const r = record(a);
        const local = str(r?.local);
        return local !== undefined && typeof r?.prefixlen === 'number' ? [`${local}/${r.prefixlen}`] : [];
      })
      : [];
    out.push({ name, kind: str(info?.info_kind), master: str(l.master), addresses, xdp: record(l.xdp) !== undefined });
  }
  return out;
}

export function parseRoutes(text: string): RouteFact[] {
  const out: RouteFact[] = [];
  for (const item of jsonArray(text, 'ip -j route show')) {
    const r = record(item);
    const dst = str(r?.dst);
    if (dst !== undefined) out.push({ dst, dev: str(r?.dev) });
  }
  return out;
}

/** Whether `tc -j filter show dev X ingress` lists an eBPF classifier (kind "bpf"). */
export function hasBpfFilter(text: string): boolean {
  return jsonArray(text, 'tc -j filter show').some((f) => record(f)?.kind === 'bpf');
}

/** iproute2 in this network namespace, or through a prefix (e.g. `ip netns exec NAME` in tests). */
export function commandNodeProbe(prefix: readonly string[] = [], sysctls: Pick<SysctlAccess, 'read'> = procSysctls): NodeProbe {
  const run = async (argv: readonly string[]): Promise<{ ok: boolean; out: string; err: string }> => {
    const [cmd, ...rest] = [...prefix, ...argv];
    const res = await execa(cmd as string, rest, { reject: false, timeout: 10_000 });
    return { ok: res.exitCode === 0, out: String(res.stdout), err: String(res.stderr).trim() };
  };
  const must = async (argv: readonly string[]): Promise<string> => {
    const res = await run(argv);
    if (!res.ok) throw new Error(`${argv.join(' ')} failed${res.err === '' ? '' : `: ${res.err}`}`);
    return res.out;
  };
  return {
    links: () => must(['ip', '-j', '-d', 'addr', 'show']),
    routes: (family) => must(['ip', '-j', ...(family === 6 ? ['-6'] : []), 'route', 'show', 'table', 'main']),
    ingressFilters: async (dev) => {
      const res = await run(['tc', '-j', 'filter', 'show', 'dev', dev, 'ingress']).catch(() => undefined);
      return res?.ok === true ? res.out : undefined;
    },
    sysctls,
  };
}
