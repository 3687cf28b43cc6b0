// One rule of a cluster-wide policy, as the CRDs validate it:
//  - name: optional, at most 100 characters;
//  - action: required, one of the version's enum (v1alpha2 Accept, Deny,
//    Pass; v1alpha1 Allow, Deny, Pass; the baseline Allow, Deny), Allow read
//    as Accept;
//  - from (ingress) / to (egress): required, 1 to 25 peers (100 in v1alpha1);
//  - protocols (v1alpha2) / ports (v1alpha1): optional, 1 to 25 (100) when
//    present; absent means every protocol and port;
//  - egress, a CEL rule: a named port may not be combined with a networks,
//    nodes or domainNames peer in one rule (those have no named ports);
//  - a domainNames peer in a Deny or Pass rule is a warning (see below).
// What is read is returned as written; whether the rule had errors (its own,
// or the schema check's on fields inside it) is the policy normalizer's call,
// which replaces it with its fail-closed form.
import { childField, indexField } from './field-path.ts';
import type { ProblemList } from '../model/problems.ts';
import { boundedList, describe, isRecord, quote } from './raw.ts';
import { closestKey } from './near-miss.ts';
import type { ClusterDialect } from './cluster-dialect.ts';
import { normalizeClusterPeer } from './normalize-cluster-peer.ts';
import { normalizeClusterPort } from './normalize-cluster-ports.ts';
import type { ClusterPeer, ClusterPort, ClusterRule, ClusterRuleAction } from '../model/types.ts';

const RULE_NAME_MAX = 100;

/** What a rule reads as: the rule, when every part of it was read, and its action and name when those were. */
export interface RuleReading {
  readonly rule?: ClusterRule;
  readonly action?: ClusterRuleAction;
  readonly name?: string;
}

export function normalizeClusterRule(raw: unknown, field: string, direction: 'ingress' | 'egress', d: ClusterDialect, p: ProblemList): RuleReading {
  const peersKey = direction === 'ingress' ? 'from' : 'to';
  if (!isRecord(raw)) {
    p.error(field, `must be a mapping with action, ${peersKey} and ${d.portsKey}, got ${describe(raw)}`);
    return {};
  }
  const before = p.errorCount;
  const name = readRuleName(raw.name, childField(field, 'name'), p);
  const action = readAction(raw.action, childField(field, 'action'), d, p);
  const peersField = childField(field, peersKey);
  const peers: ClusterPeer[] = [];
  boundedList(raw[peersKey], peersField, { min: 1, max: d.maxPeers, required: peersKey }, p)?.forEach((r, i) => {
    const peer = normalizeClusterPeer(r, indexField(peersField, i), direction, d, p);
    if (peer) peers.push(peer);
  });
  const portsField = childField(field, d.portsKey);
  const ports: ClusterPort[] = [];
  boundedList(raw[d.portsKey], portsField, { min: 1, max: d.maxPorts }, p)?.forEach((r, i) => {
    const port = normalizeClusterPort(r, indexField(portsField, i), d.portsKey, p);
    if (port) ports.push(port);
  });
  if (direction === 'egress') checkNamedPortPeers(raw, field, d, p);
  // Upstream supports domainNames in Accept rules only (its docs; no CEL rule
  // refuses the others). nftpol never enforces them: in a Deny or Pass rule
  // the peer decides nothing, which the author would not expect.
  if (action !== undefined && action !== 'Accept') {
    peers.forEach((peer, i) => {
      if (peer.kind === 'domainNames') p.warn(indexField(peersField, i), `domainNames in a ${action} rule: upstream supports them in Accept rules only, and nftpol does not enforce them, so this peer ${action === 'Deny' ? 'denies' : 'passes'} nothing`);
    });
  }
  const named = { ...(name !== undefined && { name }), ...(action !== undefined && { action }) };
  if (p.errorCount > before || action === undefined) return named;
  return { ...named, rule: { ...(name !== undefined && { name }), action, peers, ports } };
}

function readRuleName(value: unknown, field: string, p: ProblemList): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    p.error(field, `must be a string, got ${describe(value)}`);
    return undefined;
  }
  if (value.length > RULE_NAME_MAX) p.error(field, `must be at most ${RULE_NAME_MAX} characters, got ${value.length}`);
  return value === '' ? undefined : value.slice(0, RULE_NAME_MAX);
}

/** The other version's word for an action, for the hint when it is used in the wrong one. */
const OTHER_VERSION: Readonly<Record<string, string>> = { Allow: 'Accept', Accept: 'Allow' };

function readAction(value: unknown, field: string, d: ClusterDialect, p: ProblemList): ClusterRuleAction | undefined {
  const allowed = Object.keys(d.actions);
  const want = `want ${allowed.join(', ')}`;
  if (value === undefined || value === null) {
    p.error(field, `action is required (${want})`);
    return undefined;
  }
  if (typeof value === 'string' && Object.hasOwn(d.actions, value)) return d.actions[value];
  let hint = '';
  if (typeof value === 'string') {
    const other = OTHER_VERSION[value];
    const close = closestKey(value, allowed);
    if (other !== undefined && allowed.includes(other)) hint = `; ${d.kind} says ${other} where the other API version says ${value}`;
    else if (close !== undefined) hint = `; did you mean ${close}?`;
    else if (value === 'Pass') hint = `; a ${d.kind} has no tier after it to pass to`;
  }
  p.error(field, `unknown action ${typeof value === 'string' ? quote(value) : describe(value)} (${want})${hint}`);
  return undefined;
}

/**
 * The CEL rule on egress rules: when any peer sets networks, nodes or
 * domainNames (the baseline: networks or nodes), no port may be a named port.
 */
function checkNamedPortPeers(raw: Readonly<Record<string, unknown>>, field: string, d: ClusterDialect, p: ProblemList): void {
  const addressPeers = d.egressPeers.filter((k) => k !== 'namespaces' && k !== 'pods');
  const peers = Array.isArray(raw.to) ? (raw.to as readonly unknown[]) : [];
  const ports = Array.isArray(raw[d.portsKey]) ? (raw[d.portsKey] as readonly unknown[]) : [];
  const namedKey = d.portsKey === 'protocols' ? 'destinationNamedPort' : 'namedPort';
  const peer = peers.find((pe) => isRecord(pe) && addressPeers.some((k) => pe[k] != null));
  const named = ports.some((po) => isRecord(po) && po[namedKey] != null);
  if (peer === undefined || !named) return;
  const kinds = addressPeers.filter((k) => isRecord(peer) && peer[k] != null).join(', ');
  p.error(field, `a ${kinds} peer cannot be combined with a named port (${namedKey}): only pods have named ports`);
}
