// Host-network pods share their node's address: two of them on one node (or
// one and the node) are the node talking to itself, which no policy governs,
// and the explanation says so rather than "a pod can always reach itself".
import { describe, expect, it } from 'vitest';
import { explain } from './helpers.ts';

const YAML = `
apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {podCIDR: 10.244.1.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.1.10}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: kube-system}
spec: {nodeName: n1, hostNetwork: true, containers: [{name: c, ports: [{containerPort: 9100, name: metrics}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: proxy, namespace: kube-system}
spec: {nodeName: n1, hostNetwork: true, containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {nodeName: n1, containers: [{name: c}]}
`;

const SAME_NODE = "both ends use node n1's address 192.168.1.10 (host network), so this is the node talking to itself; no policy applies to it";

describe('two host-network pods on one node', () => {
  it('are explained as the node talking to itself, in text and markdown', async () => {
    const text = await explain(['-f', '-', '-n', 'kube-system', '--from', 'proxy', '--to', 'agent', '--port', '9100'], YAML);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').slice(0, 2)).toEqual([
      'ALLOWED  host-network kube-system/proxy on node n1 (192.168.1.10) -> host-network kube-system/agent on node n1 (192.168.1.10) 9100/TCP',
      `  ${SAME_NODE}`,
    ]);
    expect(text.stdout).not.toContain('itself\n');
    expect(text.stdout).toContain("  ingress of peer: allowed (host-network pod kube-system/agent on node n1 (192.168.1.10) uses its node's network: no ingress policy applies to host-network pods)");
    const md = await explain(['-f', '-', '-n', 'kube-system', '--from', 'proxy', '--to', 'agent', '--port', '9100', '-o', 'markdown'], YAML);
    expect(md.stdout).toContain(`\n\nB${SAME_NODE.slice(1)}.\n\n`);
  });

  it('node:NAME is the node, not a host-network pod on its address', async () => {
    const r = await explain(['-f', '-', '--from', 'node:n1', '--to', 'kube-system/agent', '--port', '9100'], YAML);
    expect(r.stdout.split('\n')[0]).toBe('ALLOWED  node n1 (192.168.1.10) -> host-network kube-system/agent on node n1 (192.168.1.10) 9100/TCP');
  });

  it('a pod reaching itself is still said so', async () => {
    const r = await explain(['-f', '-', '--from', 'shop/web', '--to', 'shop/web', '--port', '80'], YAML);
    expect(r.stdout.split('\n')[1]).toBe('  a pod can always reach itself');
  });
});
