// policy-explain pod with cluster-wide policies: a flow a NetworkPolicy rule
// admits but the engine denies is put down to the direction that denied it,
// in text, markdown and JSON: the pod's own (a cluster tier decided before
// the rule was looked at), the peer's, or both.
import { describe, expect, it } from 'vitest';
import type { PodExplanation } from '../../src/cli/format/pod-output.ts';
import { explain } from './helpers.ts';

const PROTECT = 'policies-examples/admin-protect-namespace/manifests';
const DENY_RULE = 'cnp/protect-monitoring spec.ingress[1] "deny-all-pods" (Deny, Admin tier, priority 10)';

/** db admits every pod on ingress; an Admin policy denies ingress to db from ns a, another egress from ns b to ns db. */
const WORLD = `
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: db, labels: {app: db}}
spec: {containers: [{name: db, image: pg, ports: [{containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: a, labels: {app: a}}
spec: {containers: [{name: a, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: b, labels: {app: b}}
spec: {containers: [{name: b, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: db}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard-db}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: db}}}
  ingress:
    - {name: no-a, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: a}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: fence}
spec:
  tier: Admin
  priority: 20
  subject: {namespaces: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [a, b]}]}}
  egress:
    - {name: no-db, action: Deny, to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: db}}}]}
`;

describe('policy-explain pod: which direction denied a flow the rule admits', () => {
  it('text: an Admin Deny on the pod\'s own ingress is not the peer\'s egress', async () => {
    const r = await explain(['-f', PROTECT, 'pod', 'monitoring/alertmanager']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`admitted, but denied by its own ingress in the Admin tier: apps/checkout (ingress of monitoring/alertmanager denied by ${DENY_RULE})`);
    expect(r.stdout).toContain('admitted, but denied by its own ingress in the Admin tier: sandbox/fake-prometheus (');
    expect(r.stdout).not.toContain("the peer's egress");
  });

  it('markdown names the denier per pod; JSON lists the denying directions with tier and rule', async () => {
    const md = await explain(['-f', PROTECT, 'pod', 'monitoring/alertmanager', '-o', 'markdown']);
    expect(md.stdout).toContain('| rule | from | ports | allowed pods | admitted, but denied |');
    expect(md.stdout).toContain(`apps/checkout (by its own ingress in the Admin tier): ingress of monitoring/alertmanager denied by ${DENY_RULE}`);
    const js = await explain(['-f', PROTECT, 'pod', 'monitoring/alertmanager', '-o', 'json']);
    const doc = JSON.parse(js.stdout) as PodExplanation;
    expect(doc.ingress.rules[0]?.blocked[0]).toEqual({
      pod: 'apps/checkout',
      reason: `ingress of monitoring/alertmanager denied by ${DENY_RULE}`,
      deniedBy: [{
        end: 'own', direction: 'ingress', pod: 'monitoring/alertmanager', tier: 'Admin',
        decision: expect.objectContaining({ policy: 'cnp/protect-monitoring', rule: 1, name: 'deny-all-pods', action: 'Deny', tier: 'Admin', field: 'spec.ingress[1]' }) as unknown,
        reason: `ingress of monitoring/alertmanager denied by ${DENY_RULE}`,
      }],
    });
  });

  it('the peer\'s egress in the Admin tier, and both directions at once', async () => {
    const r = await explain(['-f', '-', 'pod', 'db/db'], WORLD);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('admitted, but denied by its own ingress in the Admin tier and by the peer\'s egress in the Admin tier: a/a (ingress of db/db denied by cnp/guard-db spec.ingress[0] "no-a" (Deny, Admin tier, priority 10); egress of a/a denied by cnp/fence spec.egress[0] "no-db" (Deny, Admin tier, priority 20))');
    expect(r.stdout).toContain('admitted, but denied by the peer\'s egress in the Admin tier: b/b (egress of b/b denied by cnp/fence spec.egress[0] "no-db" (Deny, Admin tier, priority 20))');
    const doc = JSON.parse((await explain(['-f', '-', 'pod', 'db/db', '-o', 'json'], WORLD)).stdout) as PodExplanation;
    expect(doc.ingress.rules[0]?.blocked.map((b) => [b.pod, b.deniedBy.map((d) => `${d.end} ${d.direction} ${d.tier ?? ''} ${d.decision?.policy ?? ''}`)])).toEqual([
      ['a/a', ['own ingress Admin cnp/guard-db', 'peer egress Admin cnp/fence']],
      ['b/b', ['peer egress Admin cnp/fence']],
    ]);
  });
});
