// Property tests of cluster-wide policy: random clusters with NetworkPolicies
// and cluster policies of every tier, kind, action and peer kind, held to the
// naive tiered reference (reference-tiers.ts). FC_SEED / FC_PATH replay a failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterChange } from '../../src/model/cluster-change.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterRule, Labels } from '../../src/model/types.ts';
import { clusterPolicyKey, podKey } from '../../src/model/types.ts';
import { addressEndpoint } from '../../src/policy/endpoint.ts';
import { PolicyEngine, type Flow } from '../../src/policy/engine.ts';
import type { DirectionVerdict } from '../../src/policy/trace.ts';
import { addressesOf, clusterArb, endpointsOf, flowsBetween, LABEL_VALUES, NAMESPACE_NAMES, NS_LABEL_KEYS, POD_LABEL_KEYS, servicesArb } from '../generators/arbitraries.ts';
import { ns } from '../generators/cluster-builders.ts';
import { withClusterPolicies } from '../generators/cluster-policies.ts';
import { replay, replayingOnePath } from '../support/fc-replay.ts';
import { TieredReference } from './reference-tiers.ts';

const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
const params = { numRuns: NUM_RUNS, ...replay };

type Services = readonly (readonly [string, number | undefined])[];

const tiered = clusterArb().chain((objects) => withClusterPolicies(objects, 5));

function describeFlow(f: Flow): string {
  return `${f.from.kind} ${f.from.ip} -> ${f.to.kind} ${f.to.ip} ${f.protocol}${f.port !== undefined ? `/${f.port}` : ''}`;
}

/** The trace's decision names a real rule of a real policy, with that rule's action, in the tier it says. */
function checkDecision(objects: ClusterObjects, d: DirectionVerdict): void {
  if (d.decision === undefined) return;
  const policy = (objects.clusterPolicies ?? []).find((p) => clusterPolicyKey(p) === d.decision?.policy);
  const rule = policy?.[d.direction][d.decision.rule] as ClusterRule | undefined;
  if (!policy || !rule) throw new Error(`${d.direction}: decision names ${d.decision.policy} rule ${d.decision.rule}, which does not exist`);
  if (rule.action !== d.decision.action || policy.tier !== d.tier) throw new Error(`${d.direction}: decision ${d.decision.action} in ${d.tier}, rule is ${rule.action} in ${policy.tier}`);
  if (d.allowed !== (rule.action === 'Accept')) throw new Error(`${d.direction}: allowed=${d.allowed} decided by a ${rule.action} rule`);
}

/** `items` with the one under `key` replaced in place (added at the end if new), or removed when `item` is absent. */
function replaced<T>(items: readonly T[], keyOf: (t: T) => string, key: string, item: T | undefined): T[] {
  const at = items.findIndex((t) => keyOf(t) === key);
  if (item === undefined) return items.filter((t) => keyOf(t) !== key);
  return at < 0 ? [...items, item] : items.map((t, i) => (i === at ? item : t));
}

/** The objects after a change, as a fresh ClusterState should be built from them. */
function applied(o: ClusterObjects, c: ClusterChange): ClusterObjects {
  switch (c.kind) {
    case 'node': return { ...o, nodes: replaced(o.nodes, (n) => n.name, c.name, c.node) };
    case 'namespace': return { ...o, namespaces: replaced(o.namespaces, (n) => n.name, c.name, c.namespace) };
    case 'pod': return { ...o, pods: replaced(o.pods, podKey, c.key, c.pod) };
    case 'clusterPolicy': return { ...o, clusterPolicies: replaced(o.clusterPolicies ?? [], clusterPolicyKey, c.key, c.clusterPolicy) };
    case 'policy': throw new Error('unexpected change policy');
  }
}

/**
 * An edit of a namespace or pod, by position among those there when it is
 * applied (so it names a real object whatever came before it): namespace
 * labels change what cluster policies' namespace selectors pick, without
 * a new pod object for a memo keyed by pod to miss.
 */
type Edit =
  | { readonly kind: 'namespaceLabels' | 'namespaceReadd' | 'podLabels'; readonly at: number; readonly labels: Labels }
  | { readonly kind: 'namespaceDelete' | 'podDelete'; readonly at: number };

function labelsArb(keys: readonly string[]): fc.Arbitrary<Labels> {
  return fc.tuple(...keys.map(() => fc.option(fc.constantFrom(...LABEL_VALUES), { nil: undefined })))
    .map((values) => Object.fromEntries(keys.flatMap((k, i) => (values[i] === undefined ? [] : [[k, values[i]]]))));
}

// Namespace label edits most: they are what a memo keyed by pod cannot see.
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('namespaceLabels' as const), at: fc.nat(), labels: labelsArb(NS_LABEL_KEYS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('namespaceReadd' as const), at: fc.nat(), labels: labelsArb(NS_LABEL_KEYS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('podLabels' as const), at: fc.nat(), labels: labelsArb(POD_LABEL_KEYS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('namespaceDelete' as const, 'podDelete' as const), at: fc.nat() }) },
);

/** The change an edit makes to these objects; undefined when there is nothing for it to touch. */
function editChange(o: ClusterObjects, e: Edit): ClusterChange | undefined {
  const pick = <T>(items: readonly T[]): T | undefined => items[e.at % Math.max(1, items.length)];
  switch (e.kind) {
    case 'namespaceLabels': {
      const n = pick(o.namespaces);
      return n && { kind: 'namespace', name: n.name, namespace: ns(n.name, e.labels) };
    }
    case 'namespaceDelete': {
      const n = pick(o.namespaces);
      return n && { kind: 'namespace', name: n.name };
    }
    case 'namespaceReadd': {
      // Mostly one that was deleted: its pods are still there, now selected by its new labels.
      const name = pick(NAMESPACE_NAMES.filter((x) => !o.namespaces.some((n) => n.name === x)));
      return name && { kind: 'namespace', name, namespace: ns(name, e.labels) };
    }
    case 'podLabels': {
      const p = pick(o.pods);
      return p && { kind: 'pod', key: podKey(p), pod: { ...p, labels: e.labels } };
    }
    case 'podDelete': {
      const p = pick(o.pods);
      return p && { kind: 'pod', key: podKey(p) };
    }
  }
}

/** The tiers and verdict of evaluate(), as compared between two engines. */
function verdictOf(engine: PolicyEngine, f: Flow): string {
  const v = engine.evaluate(f);
  return JSON.stringify([v.allowed, ...[v.egress, v.ingress].map((d) => [d.allowed, d.tier, d.decision?.policy, d.decision?.rule])]);
}

/**
 * The engine that lived through the changes answers allows(), pair() and
 * evaluate() as a fresh engine on a fresh state of the same objects, at
 * every pair of these addresses (each resolved by its own state).
 */
function checkSameAsFresh(state: ClusterState, engine: PolicyEngine, objects: ClusterObjects, addresses: readonly string[], services: Services, after: string): void {
  const fresh = new PolicyEngine(new ClusterState(objects));
  const mine = addresses.map((ip) => addressEndpoint(state, ip));
  const theirs = addresses.map((ip) => addressEndpoint(fresh.state, ip));
  for (const [i, from] of mine.entries()) {
    for (const [j, to] of mine.entries()) {
      const flows = flowsBetween([from, to], services).filter((f) => f.from === from && f.to === to);
      const freshFlows = flowsBetween([theirs[i]!, theirs[j]!], services).filter((f) => f.from === theirs[i] && f.to === theirs[j]);
      if (flows.length === 0) continue;
      const pair = engine.pair(from, to);
      for (const [k, f] of flows.entries()) {
        const want = fresh.allows(freshFlows[k]!);
        const got = { allows: engine.allows(f), pair: pair.allows(f.protocol, f.port) };
        if (got.allows !== want || got.pair !== want) throw new Error(`after ${after}: allows() ${got.allows}, pair() ${got.pair}, fresh ${want}: ${describeFlow(f)}`);
        const [v, w] = [verdictOf(engine, f), verdictOf(fresh, freshFlows[k]!)];
        if (v !== w) throw new Error(`after ${after}: evaluate() ${v}, fresh ${w}: ${describeFlow(f)}`);
      }
    }
  }
}

describe('cluster-wide policy tiers on random clusters', () => {
  it('allows() and evaluate() agree with a naive tiered reading of the API, and the trace names the deciding rule', () => {
    let decidedByCluster = 0;
    let passes = 0;
    fc.assert(fc.property(tiered, servicesArb, (objects, services) => {
      const state = new ClusterState(objects);
      const engine = new PolicyEngine(state);
      const ref = new TieredReference(objects);
      for (const flow of flowsBetween(endpointsOf(state, objects), services)) {
        const af = { from: flow.from.ip, to: flow.to.ip, protocol: flow.protocol, ...(flow.port !== undefined ? { port: flow.port } : {}) };
        const want = ref.allows(af);
        if (engine.allows(flow) !== want) throw new Error(`allows() says ${!want}, reference says ${want}: ${describeFlow(flow)}`);
        const v = engine.evaluate(flow);
        if (v.allowed !== want) throw new Error(`evaluate() says ${v.allowed}, reference says ${want}: ${describeFlow(flow)}`);
        if (v.decidedBy === 'policy' && v.allowed !== (v.egress.allowed && v.ingress.allowed)) throw new Error(`inconsistent directions: ${describeFlow(flow)}`);
        const src = ref.end(af.from);
        const dst = ref.end(af.to);
        for (const d of [v.egress, v.ingress]) {
          checkDecision(objects, d);
          if (d.tier === 'Admin' || d.tier === 'Baseline') decidedByCluster++;
          passes += d.passes?.length ?? 0;
          const [subject, other] = d.direction === 'egress' ? [src, dst] : [dst, src];
          const r = ref.tiered(subject, other, d.direction, af, dst);
          // NetworkPolicy's own-node rule: the direction NetworkPolicy would deny is allowed, and the flow says so.
          if (d.ownNode === true) {
            if (v.decidedBy !== 'node' || !d.allowed || r.tier !== 'NetworkPolicy' || r.allowed) throw new Error(`${d.direction}: own-node allow where the reference says ${r.tier}: ${describeFlow(flow)}`);
            continue;
          }
          if (d.allowed !== r.allowed || (d.tier ?? (d.isolated ? 'NetworkPolicy' : 'default')) !== r.tier) {
            throw new Error(`${d.direction}: ${String(d.allowed)} by ${d.tier ?? '(no tier)'}, reference ${String(r.allowed)} by ${r.tier}: ${describeFlow(flow)}`);
          }
        }
      }
    }), params);
    // The generator must reach the tiers, or the property says little (a replayed path is one case).
    if (replayingOnePath) return;
    expect(decidedByCluster).toBeGreaterThan(NUM_RUNS);
    expect(passes).toBeGreaterThan(0);
  });

  it('cluster policy, node, namespace and pod changes seen through ClusterState.apply give the answers of a fresh state (memos follow the change)', () => {
    let namespaceEdits = 0;
    fc.assert(fc.property(tiered, tiered, servicesArb, fc.array(editArb, { maxLength: 8 }), (a, b, services, edits) => {
      const state = new ClusterState(a);
      const engine = new PolicyEngine(state);
      // The addresses of a stay asked about: a deleted pod's becomes an unknown address.
      const addresses = addressesOf(a);
      const changes: ClusterChange[] = [
        ...(a.clusterPolicies ?? []).map((p): ClusterChange => ({ kind: 'clusterPolicy', key: clusterPolicyKey(p) })),
        ...(b.clusterPolicies ?? []).map((p): ClusterChange => ({ kind: 'clusterPolicy', key: clusterPolicyKey(p), clusterPolicy: p })),
        ...b.nodes.map((n): ClusterChange => ({ kind: 'node', name: n.name, node: n })),
      ];
      // Edits go between those changes, so they meet old and new cluster policies.
      const steps: (ClusterChange | Edit)[] = [];
      for (let i = 0; i < Math.max(changes.length, edits.length); i++) steps.push(...[edits[i], changes[i]].filter((x) => x !== undefined));
      // Ask after every change, so that a memo filled before a change is there
      // to be wrongly reused after it, and hold each answer to a fresh state's.
      let objects: ClusterObjects = a;
      checkSameAsFresh(state, engine, objects, addresses, services, 'no change');
      for (const step of steps) {
        const change = 'at' in step ? editChange(objects, step) : step;
        if (change === undefined) continue;
        if (change.kind === 'namespace') namespaceEdits++;
        state.apply(change);
        objects = applied(objects, change);
        checkSameAsFresh(state, engine, objects, addresses, services, JSON.stringify(change).slice(0, 160));
      }
    }), { ...params, numRuns: Math.max(20, Math.floor(NUM_RUNS / 4)) });
    // The edits must reach namespaces, or the property says little of them (a replayed path is one case).
    if (!replayingOnePath) expect(namespaceEdits).toBeGreaterThan(NUM_RUNS / 4);
  });
});
