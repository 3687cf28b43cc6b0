// policy.networking.k8s.io cluster-wide policies -> one ClusterPolicy:
// v1alpha2 ClusterNetworkPolicy, v1alpha1 AdminNetworkPolicy and
// BaselineAdminNetworkPolicy, read as their CRDs (OpenAPI and CEL rules)
// validate them (cluster-dialect.ts says what differs):
//  - spec is required;
//  - tier (ClusterNetworkPolicy): required, Admin or Baseline. An
//    AdminNetworkPolicy is Admin, a BaselineAdminNetworkPolicy Baseline;
//  - priority (ClusterNetworkPolicy, AdminNetworkPolicy): required, an
//    integer 0-1000. A BaselineAdminNetworkPolicy has none: 0;
//  - a BaselineAdminNetworkPolicy must be named "default" (a CEL rule: the
//    cluster has one);
//  - subject: required, exactly one of namespaces and pods;
//  - ingress, egress: optional, at most 25 rules each (100 in v1alpha1); see
//    normalize-cluster-rule.ts.
// An object with errors is kept failing closed (cluster-fail-closed.ts):
// every error (the normalizers' and the schema check's, which ran first
// into the same ProblemList) inside a rule fails that rule; any other error
// fails the policy.
import { indexField, parseFieldPath } from './field-path.ts';
import type { ProblemList } from '../model/problems.ts';
import { boundedList, describe, optRecord, quote, type RawRecord } from './raw.ts';
import { CLUSTER_DIALECTS, type ClusterDialect } from './cluster-dialect.ts';
import { exactlyOne, readPodSelection } from './normalize-cluster-peer.ts';
import { normalizeClusterRule, type RuleReading } from './normalize-cluster-rule.ts';
import { denyAllRule, failedRule, failedRuleEffect } from './cluster-fail-closed.ts';
import type { ClusterPodSelection, ClusterPolicy, ClusterPolicyKind, ClusterRule, ClusterTier, SourceRef } from '../model/types.ts';

const TIERS: readonly ClusterTier[] = ['Admin', 'Baseline'];
const PRIORITY_MAX = 1000;
const SPEC_KEYS = ['tier', 'priority', 'subject', 'ingress', 'egress'];
/** A field inside a rule: spec.ingress[3], spec.egress[0].to[1]..., not spec.ingress[3]x. */
const RULE_FIELD = /^spec\.(ingress|egress)\[(\d+)\](?=$|[.[])/;
const EVERY_POD: ClusterPodSelection = { kind: 'namespaces', namespaceSelector: { matchLabels: {}, matchExpressions: [] } };

type Direction = 'ingress' | 'egress';

export function normalizeClusterPolicy(raw: RawRecord, kind: ClusterPolicyKind, name: string, source: SourceRef, p: ProblemList): ClusterPolicy {
  const d = CLUSTER_DIALECTS[kind];
  if (raw.spec === undefined || raw.spec === null) p.error('spec', 'spec is required');
  const spec = optRecord(raw.spec, 'spec', p);
  if (kind === 'BaselineAdminNetworkPolicy' && name !== 'default') {
    p.error('metadata.name', `a BaselineAdminNetworkPolicy must be named "default" (a cluster has one baseline), got ${quote(name)}`);
  }
  const tier = readTier(spec, d, p);
  const priority = readPriority(spec, d, p);
  const subject = readSubject(spec?.subject, d, p);
  const rules = { ingress: readRules(spec, 'ingress', d, p), egress: readRules(spec, 'egress', d, p) };
  // Each error, once: inside a rule read (that rule fails), or the policy's.
  const failedRules = new Set<string>();
  const policyErrors: (string | undefined)[] = [];
  for (const pr of p.items) {
    if (pr.severity !== 'error') continue;
    const at = pr.field === undefined ? undefined : RULE_FIELD.exec(pr.field);
    if (at !== null && at !== undefined && Number(at[2]) < rules[at[1] as Direction].length) failedRules.add(`${at[1]}[${at[2]}]`);
    else policyErrors.push(pr.field);
  }
  if (policyErrors.length > 0 || tier === undefined || priority === undefined || subject === undefined) {
    return failClosedPolicy(kind, name, source, { tier, priority, subject, spec, policyErrors }, p);
  }
  const settle = (dir: Direction): ClusterRule[] => rules[dir].map((r, i) => {
    if (r.rule !== undefined && !failedRules.has(`${dir}[${i}]`)) return r.rule;
    p.warn(indexField(`spec.${dir}`, i), `rule has errors: failing closed, ${failedRuleEffect(r.action)}`);
    return failedRule(r.action, r.name);
  });
  return { kind, name, tier, priority, subject, ingress: settle('ingress'), egress: settle('egress'), source };
}

function readTier(spec: RawRecord | undefined, d: ClusterDialect, p: ProblemList): ClusterTier | undefined {
  if (d.kind !== 'ClusterNetworkPolicy') return d.kind === 'AdminNetworkPolicy' ? 'Admin' : 'Baseline';
  const value = spec?.tier;
  if (value === undefined || value === null) {
    if (spec !== undefined) p.error('spec.tier', 'tier is required (Admin or Baseline)');
    return undefined;
  }
  if (typeof value === 'string' && (TIERS as readonly string[]).includes(value)) return value as ClusterTier;
  const hint = typeof value === 'string' && TIERS.find((t) => t.toLowerCase() === value.toLowerCase());
  p.error('spec.tier', `unknown tier ${typeof value === 'string' ? quote(value) : describe(value)} (want Admin or Baseline)${hint ? `; tiers are case-sensitive: write ${hint}` : ''}`);
  return undefined;
}

function readPriority(spec: RawRecord | undefined, d: ClusterDialect, p: ProblemList): number | undefined {
  if (d.kind === 'BaselineAdminNetworkPolicy') return 0;
  const value = spec?.priority;
  if (value === undefined || value === null) {
    if (spec !== undefined) p.error('spec.priority', `priority is required (an integer 0-${PRIORITY_MAX}, lower first)`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    p.error('spec.priority', `must be an integer 0-${PRIORITY_MAX}, got ${describe(value)}`);
    return undefined;
  }
  if (value < 0 || value > PRIORITY_MAX) {
    p.error('spec.priority', `priority ${value} is out of range 0-${PRIORITY_MAX}`);
    return undefined;
  }
  return value;
}

function readSubject(value: unknown, d: ClusterDialect, p: ProblemList): ClusterPodSelection | undefined {
  if (value === undefined || value === null) {
    p.error('spec.subject', 'subject is required (namespaces or pods)');
    return undefined;
  }
  const rec = optRecord(value, 'spec.subject', p);
  if (rec === undefined) return undefined;
  const before = p.errorCount;
  const key = exactlyOne(rec, ['namespaces', 'pods'], 'spec.subject', 'subject', p);
  const subject = key === 'namespaces' || key === 'pods' ? readPodSelection(rec, key, 'spec.subject', d, p) : undefined;
  return p.errorCount > before ? undefined : subject;
}

function readRules(spec: RawRecord | undefined, dir: Direction, d: ClusterDialect, p: ProblemList): RuleReading[] {
  const list = boundedList(spec?.[dir], `spec.${dir}`, { min: 0, max: d.maxRules }, p) ?? [];
  return list.map((r, i) => normalizeClusterRule(r, indexField(`spec.${dir}`, i), dir, d, p));
}

interface PolicyReading {
  readonly tier: ClusterTier | undefined;
  readonly priority: number | undefined;
  readonly subject: ClusterPodSelection | undefined;
  readonly spec: RawRecord | undefined;
  readonly policyErrors: readonly (string | undefined)[];
}

/** The directions the object has rules in; both when the spec (or a misspelled field of it) leaves that unknown. */
function directionsOf(spec: RawRecord | undefined, policyErrors: readonly (string | undefined)[]): Direction[] {
  const unreadable = spec === undefined || policyErrors.some((f) => {
    if (f === undefined) return false;
    const [top, key] = parseFieldPath(f);
    return top === 'spec' && (key === undefined || !SPEC_KEYS.includes(String(key)));
  });
  if (unreadable) return ['ingress', 'egress'];
  const has = (v: unknown): boolean => v !== undefined && v !== null && (!Array.isArray(v) || v.length > 0);
  return (['ingress', 'egress'] as const).filter((dir) => has(spec[dir]));
}

function failClosedPolicy(kind: ClusterPolicyKind, name: string, source: SourceRef, r: PolicyReading, p: ProblemList): ClusterPolicy {
  const dirs = directionsOf(r.spec, r.policyErrors);
  const tier = r.tier ?? 'Admin';
  const priority = r.priority ?? 0;
  const who = r.subject === undefined ? 'every pod (its subject is unreadable)' : 'its subject';
  const what = dirs.length === 0 ? 'it has no rules, so it decides nothing'
    : `${who} is denied every peer and port for ${dirs.join(' and ')}, at tier ${tier} priority ${priority}`;
  p.warn(undefined, `has errors: failing closed, ${what}`);
  return {
    kind, name, tier, priority,
    subject: r.subject ?? EVERY_POD,
    ingress: dirs.includes('ingress') ? [denyAllRule()] : [],
    egress: dirs.includes('egress') ? [denyAllRule()] : [],
    failClosed: true,
    source,
  };
}
