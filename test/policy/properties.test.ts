// Property tests over random clusters, policies and flows. Random by default;
// fast-check prints the seed and path of a failure, and FC_SEED=<seed>
// (plus FC_PATH=<path>) replays it.
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, Direction, NetworkPolicy, PolicyType } from '../../src/model/types.ts';
import { PolicyEngine, type Flow } from '../../src/policy/engine.ts';
import { clusterArb, endpointsOf, flowsBetween, policyArb, servicesArb } from '../generators/arbitraries.ts';
import { replay, replayingOnePath } from '../support/fc-replay.ts';
import { ReferenceModel, refParticipates, refSelects } from './reference-model.ts';

const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
fc.configureGlobal({ numRuns: NUM_RUNS, ...replay });

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

function setup(objects: ClusterObjects) {
  const state = new ClusterState(objects);
  const engine = new PolicyEngine(state);
  return { state, engine, endpoints: endpointsOf(state, objects) };
}

/**
 * Where two values differ as JSON data, or undefined when they are equal:
 * deep equality with Object.is on primitives (so NaN, -0 and Infinity, which
 * JSON cannot carry, are caught), same prototypes, and an object key whose
 * value is undefined counted as absent (JSON leaves it out, and the trace has
 * such keys, e.g. `source: undefined` for a policy read from no file).
 */
function jsonDiff(a: unknown, b: unknown, path: string): string | undefined {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: different kinds of object`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = jsonDiff(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)].filter((k) => ra[k] !== undefined || rb[k] !== undefined));
  for (const k of keys) {
    const d = jsonDiff(ra[k], rb[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

function describeFlow(f: Flow): string {
  return `${f.from.kind} ${f.from.ip} -> ${f.to.kind} ${f.to.ip} ${f.protocol}${f.port !== undefined ? `/${f.port}` : ''}`;
}

describe('random clusters and policies', () => {
  it('generated clusters are valid model objects (what validation at the source guarantees)', () => {
    fc.assert(fc.property(clusterArb(), (objects) => {
      const podIps = objects.pods.filter((p) => !p.hostNetwork).flatMap((p) => p.ips);
      expect(new Set(podIps).size).toBe(podIps.length);
      for (const p of objects.pods) {
        const names = p.ports.flatMap((c) => (c.name === undefined ? [] : [c.name]));
        expect(new Set(names).size).toBe(names.length);
      }
      for (const pol of objects.policies) {
        expect(pol.policyTypes.length).toBeGreaterThan(0);
        if (pol.policyTypesDefaulted) expect(pol.policyTypes).toEqual(pol.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
        for (const r of [...pol.ingress, ...pol.egress]) {
          for (const peer of r.peers) {
            if (peer.kind === 'ipBlock') {
              const [net, bits] = ipaddr.parseCIDR(peer.ipBlock.cidr);
              expect(net.toString()).toBe(ipaddr.parse(peer.ipBlock.cidr.split('/')[0]!).toString());
              for (const e of peer.ipBlock.except) {
                const [enet, ebits] = ipaddr.parseCIDR(e);
                expect(enet.kind()).toBe(net.kind());
                expect(enet.match(net, bits) && ebits > bits).toBe(true);
              }
            } else {
              expect(peer.podSelector !== null || peer.namespaceSelector !== null).toBe(true);
              for (const sel of [peer.podSelector, peer.namespaceSelector]) {
                for (const req of sel?.matchExpressions ?? []) {
                  expect(req.values.length > 0).toBe(req.operator === 'In' || req.operator === 'NotIn');
                }
              }
            }
          }
          for (const pp of r.ports) {
            if (pp.endPort !== undefined) expect(typeof pp.port === 'number' && pp.port <= pp.endPort).toBe(true);
            if (pp.protocolDefaulted) expect(pp.protocol).toBe('TCP');
          }
        }
      }
    }));
  });

  // allows() and evaluate() are one evaluation, without and with a tracer, so
  // agreeing with each other proves little: both are held to the reference
  // model, evaluate() down to which rules its trace says allowed or missed.
  it('(a) allows() and evaluate() agree with a naive reading of the upstream rules, and so does the trace', () => {
    fc.assert(fc.property(clusterArb(), servicesArb, (objects, services) => {
      const { engine, endpoints } = setup(objects);
      const ref = new ReferenceModel(objects);
      for (const flow of flowsBetween(endpoints, services)) {
        const af = { from: flow.from.ip, to: flow.to.ip, protocol: flow.protocol, ...(flow.port !== undefined ? { port: flow.port } : {}) };
        const want = ref.allows(af);
        if (engine.allows(flow) !== want) throw new Error(`allows() says ${!want}, reference says ${want}: ${describeFlow(flow)}`);
        const v = engine.evaluate(flow);
        if (v.allowed !== want) throw new Error(`evaluate() says ${v.allowed}, reference says ${want}: ${describeFlow(flow)}`);
        // The parts agree with the whole.
        if (v.decidedBy === 'policy' && v.allowed !== (v.egress.allowed && v.ingress.allowed)) throw new Error(`inconsistent directions: ${describeFlow(flow)}`);
        const src = ref.end(af.from);
        const dst = ref.end(af.to);
        for (const d of [v.egress, v.ingress]) {
          if (d.allowed !== (!d.isolated || d.allowedBy.length > 0 || (d.ownNode === true && v.decidedBy === 'node'))) throw new Error(`${d.direction} allowed=${d.allowed} with isolated=${d.isolated}, ${d.allowedBy.length} allowing rules`);
          if (!d.allowed && d.misses.length !== d.policies.length) throw new Error(`${d.direction}: ${d.misses.length} misses for ${d.policies.length} policies`);
          // Every rule the reference says allows, and when none does, every rule with what of it matched.
          const rules = d.direction === 'egress' ? ref.rules(src, dst, 'egress', af, dst) : ref.rules(dst, src, 'ingress', af, dst);
          const allowing = rules.filter((r) => r.peerOk && r.portOk).map((r) => `${r.policy}#${r.rule}`).join(' ');
          const allowedBy = d.allowedBy.map((m) => `${m.policy}#${m.rule}`).join(' ');
          if (allowedBy !== allowing) throw new Error(`${d.direction} allowed by [${allowedBy}], reference [${allowing}]: ${describeFlow(flow)}`);
          if (d.allowed) continue;
          const missed = d.misses.flatMap((pm) => pm.rules.map((r) => `${pm.policy}#${r.rule} peer=${r.peerMatched} port=${r.portMatched}`)).join(', ');
          const refMissed = rules.map((r) => `${r.policy}#${r.rule} peer=${r.peerOk} port=${r.portOk}`).join(', ');
          if (missed !== refMissed) throw new Error(`${d.direction} misses [${missed}], reference [${refMissed}]: ${describeFlow(flow)}`);
        }
      }
    }));
  });

  it('(b) a pod that no policy selects for a direction is open in that direction', () => {
    fc.assert(fc.property(clusterArb(), servicesArb, (objects, services) => {
      const { engine, endpoints } = setup(objects);
      const ref = new ReferenceModel(objects);
      let checked = 0;
      for (const flow of flowsBetween(endpoints, services)) {
        const v = engine.evaluate(flow);
        for (const direction of DIRECTIONS) {
          const subject = direction === 'egress' ? flow.from : flow.to;
          if (subject.kind === 'pod' && ref.isolating(subject.pod, direction).length > 0) continue;
          checked++;
          const d = v[direction];
          if (!d.allowed || d.isolated || d.policies.length > 0 || d.allowedBy.length > 0 || d.misses.length > 0) {
            throw new Error(`${direction} of ${describeFlow(flow)} not open: ${JSON.stringify(d)}`);
          }
        }
      }
      return checked > 0;
    }));
  });

  it('(c) adding a policy that selects only already-isolated pods never removes an allowed flow', () => {
    const scenario = clusterArb().chain((objects) => {
      const names = objects.namespaces.map((n) => n.name);
      // Either a random policy, or one that reuses an existing policy's
      // podSelector with some of its policyTypes (so it selects only pods
      // that policy already isolates), with random rules.
      const templates = objects.policies;
      const added = templates.length === 0
        ? policyArb(names, fc.constant('added'))
        : fc.oneof(
          policyArb(names, fc.constant('added')),
          fc.tuple(fc.constantFrom(...templates), policyArb(names, fc.constant('added')), fc.subarray(['Ingress', 'Egress'] as PolicyType[], { minLength: 1 }))
            .map(([t, p, types]): NetworkPolicy => ({ ...p, namespace: t.namespace, podSelector: t.podSelector, policyTypes: types.filter((x) => t.policyTypes.includes(x)), policyTypesDefaulted: false })),
        );
      return fc.tuple(fc.constant(objects), added, servicesArb);
    });
    let meaningful = 0;
    fc.assert(fc.property(scenario, ([objects, candidate, services]) => {
      const before = new ReferenceModel(objects);
      // Keep the directions for which every participating pod the policy
      // selects is already isolated; nothing left = nothing to test.
      const selected = objects.pods.filter((p) => refParticipates(p) && p.namespace === candidate.namespace && refSelects(candidate.podSelector, p.labels));
      const types = candidate.policyTypes.filter((t) => selected.every((p) => before.isolating(p, t === 'Ingress' ? 'ingress' : 'egress').length > 0));
      fc.pre(types.length > 0);
      const added: NetworkPolicy = { ...candidate, policyTypes: types, policyTypesDefaulted: false };
      if (selected.length > 0) meaningful++;

      const a = setup(objects);
      const b = setup({ ...objects, policies: [...objects.policies, added] });
      for (const flow of flowsBetween(a.endpoints, services)) {
        if (!a.engine.allows(flow)) continue;
        // Endpoints are resolved per state; the same addresses resolve to the same pods.
        const same = b.endpoints.find((e) => e.ip === flow.from.ip);
        const to = b.endpoints.find((e) => e.ip === flow.to.ip);
        if (!same || !to) throw new Error('endpoint lost');
        const after: Flow = { ...flow, from: same, to };
        if (!b.engine.allows(after)) throw new Error(`adding ${added.namespace}/${added.name} removed ${describeFlow(flow)}`);
      }
    }));
    // The precondition must not make the property vacuous (a replayed path is one case).
    if (!replayingOnePath) expect(meaningful).toBeGreaterThan(NUM_RUNS / 10);
  });

  it('(d) a FlowVerdict survives a JSON round trip', () => {
    // Every fourth flow, from a random offset: (a) already evaluates them all.
    fc.assert(fc.property(clusterArb(), servicesArb, fc.nat(3), (objects, services, offset) => {
      const { engine, endpoints } = setup(objects);
      const flows = flowsBetween(endpoints, services).filter((_, i) => i % 4 === offset);
      const verdicts = flows.map((flow) => engine.evaluate(flow));
      const text = JSON.stringify(verdicts);
      const back: unknown = JSON.parse(text);
      const diff = jsonDiff(back, verdicts, '$');
      if (diff) throw new Error(`verdict changed in a JSON round trip at ${diff}`);
      expect(JSON.stringify(back)).toBe(text);
    }));
  });
});
