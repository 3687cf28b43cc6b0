// policy-explain pod's classification of a flow a NetworkPolicy rule admits
// but the engine denies: by the direction that denied it (the pod's own, in
// a cluster tier, or the peer's), from the engine's verdict of each
// direction, not from the NetworkPolicy rule that admitted it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { podReach } from '../../src/explain/pod-reach.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { podKey } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { loadManifests, placeAndAddress } from '../../src/sources/load-cluster.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

async function engineOf(example: string): Promise<PolicyEngine> {
  const loaded = await loadManifests([path.join('policies-examples', example, 'manifests')], { cwd: REPO });
  expect(loaded.problems).toEqual([]);
  return new PolicyEngine(new ClusterState(placeAndAddress(loaded.objects)));
}

function podOf(engine: PolicyEngine, key: string) {
  const pod = [...engine.state.pods.values()].find((p) => podKey(p) === key);
  if (pod === undefined) throw new Error(`no pod ${key}`);
  return pod;
}

describe('pod reach: who denied a flow an isolating rule admits', () => {
  it('an Admin Deny on the pod\'s own ingress is its own denial in the Admin tier, naming the rule', async () => {
    const engine = await engineOf('admin-protect-namespace');
    const reach = podReach(engine, podOf(engine, 'monitoring/alertmanager'));
    const rule = reach.ingress.rules.find((r) => r.policy === 'monitoring/allow-prometheus-queries');
    expect(rule?.allowed).toEqual(['monitoring/prometheus']);
    expect(rule?.blocked.map((b) => b.pod)).toEqual(['apps/checkout', 'sandbox/fake-prometheus']);
    for (const b of rule?.blocked ?? []) {
      expect(b.deniedBy).toHaveLength(1);
      expect(b.deniedBy[0]).toMatchObject({
        end: 'own', direction: 'ingress', pod: 'monitoring/alertmanager', tier: 'Admin',
        decision: { policy: 'cnp/protect-monitoring', name: 'deny-all-pods', action: 'Deny', tier: 'Admin', field: 'spec.ingress[1]' },
      });
      expect(b.reason).toBe('ingress of monitoring/alertmanager denied by cnp/protect-monitoring spec.ingress[1] "deny-all-pods" (Deny, Admin tier, priority 10)');
    }
  });

  it('agrees with the engine on every blocked pair of every example: own when the pod\'s direction denies, peer when the other end\'s does', async () => {
    for (const example of ['admin-protect-namespace', 'admin-deny-metadata']) {
      const engine = await engineOf(example);
      for (const pod of engine.state.participatingPods()) {
        const reach = podReach(engine, pod);
        for (const d of [reach.ingress, reach.egress]) {
          for (const b of d.rules.flatMap((r) => r.blocked)) {
            expect(b.deniedBy.length, `${podKey(pod)} ${d.direction} ${b.pod}`).toBeGreaterThan(0);
            for (const x of b.deniedBy) {
              expect(x.direction).toBe(x.end === 'own' ? d.direction : d.direction === 'ingress' ? 'egress' : 'ingress');
              expect(x.pod).toBe(x.end === 'own' ? podKey(pod) : b.pod);
            }
          }
        }
      }
    }
  });
});
