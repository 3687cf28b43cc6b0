// LintContext answers "which pods does this peer match / does this policy
// select?" from indexes (pods by namespace, IPv4 addresses sorted) so lint
// on 100k pods does not ask the engine about every pod for every peer. The
// answers must be exactly those of asking the engine about every pod, in
// the same order: checked on random clusters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LintContext, effectiveRules } from '../../src/lint/lint-context.ts';
import { policySelects } from '../../src/policy/isolation.ts';
import { peerMatches } from '../../src/policy/peer-match.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { ipBlock, ns, pod, policy, rule, sel } from '../generators/cluster-builders.ts';

describe('LintContext indexes', () => {
  it('match what the engine says of every pod, in order', () => {
    fc.assert(fc.property(clusterArb(), (objects) => {
      const ctx = new LintContext(objects);
      for (const policy of ctx.state.policies) {
        expect(ctx.podsSelectedBy(policy)).toEqual(ctx.pods.filter((p) => policySelects(policy, p)));
        for (const at of effectiveRules(policy)) {
          for (const peer of at.rule.peers) {
            const expected = peer.kind === 'pods'
              ? ctx.pods.filter((pod) => peerMatches(ctx.state, policy, peer, { kind: 'pod', ip: '', pod }))
              : [...ctx.state.participatingPods()].filter((pod) => pod.ips.some((ip) => peerMatches(ctx.state, policy, peer, { kind: 'pod', ip, pod })));
            expect(ctx.peerPods(policy, peer)).toEqual(expected);
          }
        }
      }
    }), { numRuns: 300 });
  });

  it('finds pods at both ends of an IPv4 range, and none just outside it', () => {
    const ips = ['10.0.0.255', '10.0.1.0', '10.0.1.3', '10.0.1.4', 'fd00::1'];
    const pods = ips.map((ip, i) => pod(`a/p${i}`, {}, { ips: [ip] }));
    const p = policy('a/np', { podSelector: sel(), ingress: [rule([ipBlock('10.0.1.0/30')])] });
    const ctx = new LintContext({ namespaces: [ns('a')], pods, policies: [p], nodes: [] });
    const peer = p.ingress[0]?.peers[0];
    if (!peer) throw new Error('no peer');
    expect(ctx.peerPods(p, peer).map((x) => x.name)).toEqual(['p1', 'p2']);
  });
});
