// Two running pods with one address (a stale Pod in a snapshot): a warning
// at load names both and the address, and explain says whose verdict it is.
import { describe, expect, it } from 'vitest';
import { explain } from './helpers.ts';

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: old, namespace: shop, labels: {app: api}, creationTimestamp: "2026-01-02T10:00:00Z"}
spec: {nodeName: node-1}
status: {podIP: 10.244.1.7}
---
apiVersion: v1
kind: Pod
metadata: {name: new, namespace: shop, labels: {app: web}, creationTimestamp: "2026-01-02T11:00:00Z"}
spec: {nodeName: node-1}
status: {podIP: 10.244.1.7}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: node-2}
status: {podIP: 10.244.2.9}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]
`;

describe('two running pods claiming one address', () => {
  it('warns at load, naming both pods and the address, and who holds it', async () => {
    const r = await explain(['-f', '-', '--from', 'shop/old', '--to', 'shop/db', '--port', '80'], PODS);
    expect(r.stderr).toMatch(/warning: .*Pod shop\/old.*address 10\.244\.1\.7 is also claimed by Pod shop\/new .*which holds it \(created last \(2026-01-02T11:00:00\.000Z\)\)/);
  });

  it('explains the flow as the kernel sees it: the address is the newer pod\'s, with a warning in the output', async () => {
    const r = await explain(['-f', '-', '--from', 'shop/old', '--to', 'shop/db', '--port', '80'], PODS);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^DENIED {2}shop\/new \(10\.244\.1\.7\) -> shop\/db/);
    expect(r.stdout).toContain('warning: 10.244.1.7 is claimed by 2 running pods (shop/new, shop/old); shop/new holds it');
    expect(r.stdout).toContain("so the traffic of 10.244.1.7 is shop/new's, not shop/old's");
    const pod = await explain(['-f', '-', 'pod', 'shop/old'], PODS);
    expect(pod.stdout.split('\n')[2]).toBe("warning: 10.244.1.7 is claimed by 2 running pods (shop/new, shop/old); shop/new holds it (created last, else greatest namespace/name), so the traffic of 10.244.1.7 is shop/new's, not shop/old's, as in the kernel");
    const podJson = JSON.parse((await explain(['-f', '-', '-o', 'json', 'pod', 'shop/old'], PODS)).stdout) as { sharedAddresses: unknown };
    expect(podJson.sharedAddresses).toEqual([{ kind: 'sharedAddress', ip: '10.244.1.7', pod: 'shop/old', holder: 'shop/new', claimants: ['shop/new', 'shop/old'] }]);
    const json = JSON.parse((await explain(['-f', '-', '-o', 'json', '--from', 'shop/old', '--to', 'shop/db', '--port', '80'], PODS)).stdout) as { flow: { notes: unknown } };
    expect(json.flow.notes).toEqual([{ kind: 'sharedAddress', ip: '10.244.1.7', pod: 'shop/old', holder: 'shop/new', claimants: ['shop/new', 'shop/old'] }]);
  });
});
