// Chains: per-policy accept rules, per-pod verdict chains, and the two base
// chains on the forward hook. Every rule counts (counter), and every rule
// says where it came from (comment), so a counter leads back to the YAML.
import { familyOf, type IPFamily } from '../model/addresses.ts';
import type { Direction } from '../model/types.ts';
import type { AllowRule, ClusterTierChains, LocalPod, PeerMatch, PolicyChain, PortMatch } from '../compile/ir.ts';
import { dispatchMapName, tierChainName, tierSetName } from './render-sets.ts';
import { comment, ipKeyword, nftName } from './syntax.ts';

const I = '\t\t';

/** Ingress matches the peer as source, egress as destination. */
const peerSide = (d: Direction): string => (d === 'ingress' ? 'saddr' : 'daddr');
/** The pod itself is the destination of ingress and the source of egress. */
const podSide = (d: Direction): string => (d === 'ingress' ? 'daddr' : 'saddr');

/**
 *   ip saddr @pods/3f2a9c0d1e4b5a67/v4 meta l4proto tcp th dport 80-90 counter accept comment "x/p ingress[0] from[1] ports[0]"
 *   ip6 daddr . meta l4proto . th dport @port/926aa42e28491c23/v6 counter accept comment "x/p ingress[0] ports[0]"
 */
export function renderAllowRule(rule: AllowRule, direction: Direction): string {
  return [...renderMatch(rule.peer, rule.port, direction), 'counter accept', comment(rule.comment)].join(' ');
}

/** The peer and port match of a rule: `ip saddr @set meta l4proto tcp th dport 80`, or nothing for any. */
export function renderMatch(peer: PeerMatch, p: PortMatch, direction: Direction): string[] {
  const parts: string[] = [];
  if (peer.kind === 'set') parts.push(`${ipKeyword(peer.family)} ${peerSide(direction)} @${nftName(peer.set)}`);
  if (p.kind === 'protocol') parts.push(`meta l4proto ${p.protocol.toLowerCase()}`);
  if (p.kind === 'range') parts.push(`meta l4proto ${p.protocol.toLowerCase()} th dport ${p.from === p.to ? p.from : `${p.from}-${p.to}`}`);
  // Named ports match the destination address, protocol and port together.
  if (p.kind === 'named') parts.push(`${ipKeyword(p.family)} daddr . meta l4proto . th dport @${nftName(p.set)}`);
  return parts;
}

/**
 *   chain pol-in/x/allow-web {
 *     comment "x/allow-web has errors: failing closed, allows nothing"    only for a policy with errors (it has no rules)
 *     ip saddr @pods/... counter accept comment "..."                     one per (peer, port) of each rule
 *   }
 */
export function renderPolicyChain(chain: PolicyChain): string[] {
  const failClosed = chain.failClosed === true ? [`${I}${comment(`${chain.policy} has errors: failing closed, allows nothing`)}`] : [];
  return [`\tchain ${nftName(chain.name)} {`, ...failClosed, ...chain.rules.map((r) => `${I}${renderAllowRule(r, chain.direction)}`), '\t}'];
}

/**
 * chain pod-in/x/a {
 *   ip saddr 10.244.1.10 accept comment "x/a to itself"     a pod can always reach itself
 *   jump pol-in/x/allow-web                                 each policy isolating it (accept inside = allowed)
 *   counter drop comment "ingress denied x/a"               nothing allowed it
 * }
 */
export function renderPodChain(pod: LocalPod, direction: Direction): string[] {
  const d = pod[direction];
  if (!d.isolated) return [];
  const self = pod.ips.map((ip) => `${I}${ipKeyword(familyOf(ip))} ${peerSide(direction)} ${ip} accept ${comment(`${pod.pod} ${direction === 'ingress' ? 'from' : 'to'} itself`)}`);
  const jumps = d.policyChains.map((c) => `${I}jump ${nftName(c)}`);
  return [`\tchain ${nftName(d.chain)} {`, ...self, ...jumps, `${I}counter drop ${comment(`${direction} denied ${pod.pod}`)}`, '\t}'];
}

export interface BaseChainOptions {
  /** The node's families: each gets its dispatch (and IPv6 its neighbour discovery). */
  readonly families: readonly IPFamily[];
  /** Families the node has pod CIDRs of: each gets its fail-closed drop. */
  readonly podCidrFamilies: readonly IPFamily[];
  /** The cluster tiers' chains per direction, in order (absent: no cluster policy on the node). */
  readonly tiers?: { readonly ingress: ClusterTierChains; readonly egress: ClusterTierChains };
}

const ND_ACCEPT = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, nd-redirect } accept';

/**
 * The entries of the cluster tiers, per family of the node, for the local
 * pods the tiers' policies select (the tier sets):
 *   ip saddr @admin-out-v4 jump admin-out          Admin: accept/drop final; Pass skips to admin-out-pass; no match returns here
 *   ip saddr @baseline-out-v4 goto baseline-out    Baseline (pods NetworkPolicy does not isolate): drop, or accept
 * admin-out-pass holds the same Baseline entry (withAdmin false).
 */
export function tierEntries(direction: Direction, opts: BaseChainOptions, withAdmin = true): string[] {
  const t = opts.tiers?.[direction];
  if (t === undefined) return [];
  const side = podSide(direction);
  const lines: string[] = [];
  if (withAdmin && t.admin.length > 0) for (const f of opts.families) lines.push(`${I}${ipKeyword(f)} ${side} @${tierSetName('Admin', direction, f)} jump ${tierChainName('Admin', direction)}`);
  if (t.baseline.length > 0) for (const f of opts.families) lines.push(`${I}${ipKeyword(f)} ${side} @${tierSetName('Baseline', direction, f)} goto ${tierChainName('Baseline', direction)}`);
  return lines;
}

/**
 * What a forward base chain does after its tier entries (and an Admin Pass
 * too, in admin-out-pass):
 *   ip saddr vmap @egress-v4                           local pod -> its chain, or accept when open
 *   ip saddr @pod-cidrs-v4 counter drop                a local address no known pod holds: fail closed
 */
export function dispatchTail(direction: Direction, opts: BaseChainOptions): string[] {
  const side = podSide(direction);
  const lines: string[] = [];
  for (const f of opts.families) lines.push(`${I}${ipKeyword(f)} ${side} vmap @${dispatchMapName(direction, f)}`);
  for (const f of opts.podCidrFamilies) {
    lines.push(`${I}${ipKeyword(f)} ${side} @pod-cidrs-v${f} counter drop ${comment(`${direction} unknown local pod`)}`);
  }
  return lines;
}

/**
 * The base chain of a direction on the forward hook, which sees bridged
 * traffic on cni0 (br_netfilter), routed traffic from other nodes (vxlan),
 * and pod traffic before SNAT. Egress runs first (priority filter - 10), then
 * ingress (filter - 5). An accept ends only this base chain; drop is final.
 *
 *   ct state established,related accept
 *   ct state invalid counter drop
 *   ip saddr @pod-cidrs-v4 tcp flags & (fin | syn | rst | ack) != syn ct state new counter drop
 *                                                      no TCP connection of a local pod starts but with a SYN
 *   icmpv6 type { nd-... } accept                      neighbour discovery always passes (IPv6 nodes)
 *   ip saddr vmap @egress-v4                           local pod -> its chain, or accept when open
 *   ip saddr @pod-cidrs-v4 counter drop                a local address no known pod holds: fail closed
 *
 * The last two per family of the node (the drop only where it has a pod CIDR).
 *
 * Why TCP must start with a SYN: conntrack picks up a TCP connection in mid
 * stream by default (nf_conntrack_tcp_loose). After the agent deletes the
 * entry of a connection a change revoked (or of an address a new pod
 * reuses), the next packet of either side would be a "new" flow; sent by
 * the server, it is judged as server -> client, which the client's policies
 * may allow, and the connection would live on reversed. A local pod's TCP
 * packet that is new but no SYN is dropped instead, in both directions, so a
 * connection cut stays cut (as with tcp_loose=0, but only for pod addresses,
 * not for the whole node).
 */
export function renderBaseChain(direction: Direction, opts: BaseChainOptions): string[] {
  const priority = direction === 'egress' ? 'filter - 10' : 'filter - 5';
  const lines = [
    `\tchain ${direction} {`,
    `${I}type filter hook forward priority ${priority}; policy accept;`,
    `${I}ct state established,related accept`,
    `${I}ct state invalid counter drop ${comment(`${direction} invalid`)}`,
  ];
  lines.push(...tcpWithoutSyn(direction, opts));
  if (opts.families.includes(6)) lines.push(`${I}${ND_ACCEPT}`);
  // Admin before the NetworkPolicy dispatch; Baseline only for pods the dispatch would accept.
  lines.push(...tierEntries(direction, opts), ...dispatchTail(direction, opts));
  lines.push('\t}');
  return lines;
}

/**
 * A local pod's TCP packet that conntrack would take up mid-stream (new, but
 * no SYN) is dropped (why: renderBaseChain), one rule per pod CIDR family:
 *   ip saddr @pod-cidrs-v4 tcp flags & (fin | syn | rst | ack) != syn ct state new counter drop comment "egress tcp without syn"
 */
function tcpWithoutSyn(direction: Direction, opts: BaseChainOptions): string[] {
  return opts.podCidrFamilies.map((f) =>
    `${I}${ipKeyword(f)} ${podSide(direction)} @pod-cidrs-v${f} tcp flags & (fin | syn | rst | ack) != syn ct state new counter drop ${comment(`${direction} tcp without syn`)}`);
}

/** The chain between a node's pods and the node itself, per direction: "egress-to-node", "ingress-from-node". */
export const nodeChainName = (direction: Direction): string => (direction === 'egress' ? 'egress-to-node' : 'ingress-from-node');

/**
 * Between a pod and its own node the packet takes the input hook (pod to
 * node) or the output hook (node to pod), never forward. NetworkPolicy always
 * lets a pod and its node talk, but the cluster tiers decide before it (Admin)
 * or in its place (Baseline, for pods it does not isolate): so an Admin Deny
 * of `nodes` or `networks` cuts a pod off its own node (and a host-network
 * pod there), as the network-policy-api conformance suite checks. Both
 * chains are there when the node has cluster policy in either direction
 * (none without: a table without cluster policies is what it was before
 * them), with the tier entries of their direction, and TCP without SYN
 * dropped as on the forward hook: a connection between a pod and its node
 * that a change revokes (the agent deletes its conntrack entry) stays cut
 * when the other side sends first (the node, through the output hook, after
 * a pod's egress to it was revoked; the pod, through the input hook, after
 * its ingress from the node was), instead of living again the other way round.
 *
 * chain egress-to-node {
 *   type filter hook input priority filter - 10; policy accept;
 *   ct state established,related accept
 *   ip saddr @pod-cidrs-v4 tcp flags & (fin | syn | rst | ack) != syn ct state new counter drop comment "egress tcp without syn"
 *   ip saddr @admin-out-v4 jump admin-out
 *   ip saddr @baseline-out-v4 goto baseline-out
 * }
 * chain ingress-from-node { type filter hook output priority filter - 5; ... the same keyed on daddr }
 */
export function renderNodeChain(direction: Direction, opts: BaseChainOptions): string[] {
  if (opts.tiers === undefined) return [];
  const hook = direction === 'egress' ? 'input priority filter - 10' : 'output priority filter - 5';
  return [
    `\tchain ${nodeChainName(direction)} {`,
    `${I}type filter hook ${hook}; policy accept;`,
    `${I}ct state established,related accept`,
    ...tcpWithoutSyn(direction, opts),
    ...(opts.families.includes(6) ? [`${I}${ND_ACCEPT}`] : []),
    ...tierEntries(direction, opts),
    '\t}',
  ];
}
