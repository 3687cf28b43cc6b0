// networking.k8s.io/v1 NetworkPolicy. Defaults follow the API server:
//  - a missing podSelector is the empty selector (all pods in the namespace);
//  - policyTypes, when absent or empty, is ["Ingress"], plus "Egress" when
//    spec.egress has at least one rule (SetDefaults_NetworkPolicy checks
//    len(spec.egress) != 0, so `egress: []` does not add Egress);
//  - a rule's missing or empty from/to means every peer, missing or empty
//    ports means every port.
// A policy with errors still comes out, failing closed: a rule with an error
// is dropped whole (dropping only its bad peer could turn `from: [bad]` into
// "from everyone"), a bad podSelector selects every pod of the namespace and
// keeps no rules, and bad policyTypes become Ingress and Egress.
import { childField, indexField } from './field-path.ts';
import { normalizePeer } from './normalize-peer.ts';
import { normalizePolicyPort } from './normalize-ports.ts';
import { normalizeSelector } from './normalize-selector.ts';
import type { ProblemList } from '../model/problems.ts';
import { describe, isRecord, optArray, optRecord } from './raw.ts';
import type { NetworkPolicy, Peer, PolicyPort, PolicyRule, PolicyType, SourceRef } from '../model/types.ts';

export interface ObjectMeta {
  readonly namespace: string;
  readonly name: string;
  readonly source: SourceRef;
}

const EMPTY_SELECTOR = { matchLabels: {}, matchExpressions: [] } as const;

export function normalizePolicy(raw: unknown, meta: ObjectMeta, p: ProblemList): NetworkPolicy {
  const spec = optRecord(isRecord(raw) ? raw.spec : undefined, 'spec', p) ?? {};
  const before = p.errorCount;
  const podSelector = normalizeSelector(spec.podSelector, 'spec.podSelector', p);
  const selectorBroken = p.errorCount > before;
  const ingressRaw = optArray(spec.ingress, 'spec.ingress', p) ?? [];
  const egressRaw = optArray(spec.egress, 'spec.egress', p) ?? [];
  // Egress rules are present when the field is, even malformed (an error was
  // reported): a broken egress section must isolate egress, not leave it open.
  const hasEgress = egressRaw.length > 0 || (spec.egress != null && !Array.isArray(spec.egress));
  const types = readPolicyTypes(spec.policyTypes, hasEgress, p);
  const ingress = ingressRaw.flatMap((r, i) => normalizeRule(r, indexField('spec.ingress', i), 'from', p));
  const egress = egressRaw.flatMap((r, i) => normalizeRule(r, indexField('spec.egress', i), 'to', p));
  if (!types.defaulted) warnIgnoredRules(types.policyTypes, ingressRaw.length, egressRaw.length, p);
  if (selectorBroken) {
    p.warn('spec.podSelector', 'podSelector is invalid: failing closed, the policy isolates every pod in the namespace and allows nothing');
  }
  return {
    namespace: meta.namespace,
    name: meta.name,
    podSelector: selectorBroken ? EMPTY_SELECTOR : (podSelector ?? EMPTY_SELECTOR),
    policyTypes: types.policyTypes,
    policyTypesDefaulted: types.defaulted,
    ingress: selectorBroken ? [] : ingress,
    egress: selectorBroken ? [] : egress,
    source: meta.source,
  };
}

function readPolicyTypes(value: unknown, hasEgressRules: boolean, p: ProblemList): { policyTypes: PolicyType[]; defaulted: boolean } {
  const list = optArray(value, 'spec.policyTypes', p);
  if (list === undefined && value != null) return { policyTypes: ['Ingress', 'Egress'], defaulted: false };
  if (list === undefined || list.length === 0) {
    return { policyTypes: hasEgressRules ? ['Ingress', 'Egress'] : ['Ingress'], defaulted: true };
  }
  const before = p.errorCount;
  if (list.length > 2) p.error('spec.policyTypes', `at most two policyTypes (Ingress, Egress), got ${list.length}`);
  const seen = new Set<PolicyType>();
  list.forEach((t, i) => {
    if (t === 'Ingress' || t === 'Egress') seen.add(t);
    else p.error(indexField('spec.policyTypes', i), `unknown policy type ${describe(t)} (want Ingress or Egress)`);
  });
  if (p.errorCount > before) {
    p.warn('spec.policyTypes', 'policyTypes is invalid: failing closed, the policy isolates both Ingress and Egress');
    return { policyTypes: ['Ingress', 'Egress'], defaulted: false };
  }
  return { policyTypes: (['Ingress', 'Egress'] as const).filter((t) => seen.has(t)), defaulted: false };
}

/** Rules of a direction that policyTypes leaves out have no effect: say so. */
function warnIgnoredRules(types: readonly PolicyType[], ingress: number, egress: number, p: ProblemList): void {
  if (ingress > 0 && !types.includes('Ingress')) p.warn('spec.ingress', 'has rules but policyTypes leaves out Ingress: they have no effect');
  if (egress > 0 && !types.includes('Egress')) p.warn('spec.egress', 'has rules but policyTypes leaves out Egress: they have no effect');
}

/** One rule, or nothing when any part of it is invalid (fail closed). */
function normalizeRule(raw: unknown, field: string, peersKey: 'from' | 'to', p: ProblemList): PolicyRule[] {
  if (raw === null) return [{ peers: [], ports: [] }];
  if (!isRecord(raw)) {
    p.error(field, `must be a mapping with ${peersKey} and ports, got ${describe(raw)}`);
    return [];
  }
  const before = p.errorCount;
  const peersField = childField(field, peersKey);
  const portsField = childField(field, 'ports');
  const peers: Peer[] = [];
  (optArray(raw[peersKey], peersField, p) ?? []).forEach((r, i) => {
    const peer = normalizePeer(r, indexField(peersField, i), p);
    if (peer) peers.push(peer);
  });
  const ports: PolicyPort[] = [];
  (optArray(raw.ports, portsField, p) ?? []).forEach((r, i) => {
    const port = normalizePolicyPort(r, indexField(portsField, i), p);
    if (port) ports.push(port);
  });
  if (p.errorCount > before) {
    p.warn(field, 'rule dropped because of the errors in it: failing closed, it allows nothing');
    return [];
  }
  return [{ peers, ports }];
}
