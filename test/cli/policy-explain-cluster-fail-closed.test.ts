// A cluster-wide policy with errors: every command still answers, with the
// policy failing closed as the agent enforces it, says so on stderr, and exits 2
// (as for a NetworkPolicy with errors). An error nothing fails closed on still
// refuses the input.
import { describe, expect, it } from 'vitest';
import { explain } from './helpers.ts';

const WORLD = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: mon}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: prom, namespace: mon, labels: {app: prom}}
spec: {containers: [{name: c, image: x}]}
`;

const brokenDeny = `${WORLD}---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard-shop}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {team: shop}}}
  ingress:
    - action: Deny
      from: [{namespaces: {matchLabels: {team: other}}, pods: {podSelector: {}}}]
`;

describe('policy-explain with a cluster-wide policy that has errors', () => {
  it('answers with the Deny rule failing closed (denying everything) and exits 2', async () => {
    const r = await explain(['-f', '-', 'flow', '--from', 'mon/prom', '--to', 'shop/web', '--port', '80'], brokenDeny);
    expect(r.stderr).toMatch(/ClusterNetworkPolicy guard-shop/);
    expect(r.stderr).toContain('a cluster-wide policy has errors (cnp/guard-shop): answering with them failing closed');
    expect(r.stdout).toMatch(/DENIED/);
    expect(r.stdout).toContain('cnp/guard-shop');
    expect(r.code).toBe(2);
  });

  it('the same object without the error answers with exit status by verdict', async () => {
    const fixed = brokenDeny.replace(', pods: {podSelector: {}}', '');
    const r = await explain(['-f', '-', 'flow', '--from', 'mon/prom', '--to', 'shop/web', '--port', '80'], fixed);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ALLOWED/);
  });

  it('an error that fails nothing closed (a broken Pod) still refuses the input', async () => {
    const r = await explain(['-f', '-', 'flow', '--from', 'mon/prom', '--to', 'shop/web', '--port', '80'], `${brokenDeny.replace('containerPort: 80', 'containerPort: 99999')}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
