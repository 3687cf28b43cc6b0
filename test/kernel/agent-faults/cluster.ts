// The cluster of the agent fault tests, as the manifest files an operator
// would put in the agent's folder, and the lab world that wires it: two
// canal-style nodes; shop/db on node-1 (whose agent the tests run) serving
// 5432 and 6379, shop/api on node-2. The policy lets api reach db on 5432
// (and on ECHO_PORT, where a test runs its own echo server for a long-lived
// connection); 6379 is denied. Pods carry their node and address, so the
// files source and `nftpol render` need no placement.
import type { WorldSpec } from '../../../src/lab/index.ts';

export const NODE = 'node-1';
export const DB = { id: 'shop/db', ip: '10.244.1.10' };
export const API = { id: 'shop/api', ip: '10.244.2.10' };
export const ALLOWED_PORT = 5432;
export const DENIED_PORT = 6379;
export const ECHO_PORT = 7000;

export const WORLD: WorldSpec = {
  nodes: [{ name: 'node-1', podCIDRs: ['10.244.1.0/24'] }, { name: 'node-2', podCIDRs: ['10.244.2.0/24'] }],
  pods: [
    { id: DB.id, node: 'node-1', ips: [DB.ip], tcpPorts: [ALLOWED_PORT, DENIED_PORT], udpPorts: [] },
    { id: API.id, node: 'node-2', ips: [API.ip], tcpPorts: [], udpPorts: [] },
  ],
};

const pod = (name: string, node: string, ip: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, labels: {app: ${name}}}
spec: {nodeName: ${node}, containers: [{name: ${name}, image: registry.example.com/${name}:1}]}
status: {phase: Running, podIP: ${ip}, podIPs: [{ip: ${ip}}]}
`;

/** Nodes, the namespace and the two pods. */
export const CLUSTER_YAML = `apiVersion: v1
kind: Node
metadata: {name: node-1}
spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
spec: {podCIDR: 10.244.2.0/24, podCIDRs: [10.244.2.0/24]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {env: production}}
---
${pod('db', 'node-1', DB.ip)}---
${pod('api', 'node-2', API.ip)}`;

/** db isolated for ingress; api may reach it on the given ports. */
export function dbAllowsApi(ports: readonly number[], name = 'db-allow-api'): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [${ports.map((p) => `{port: ${p}}`).join(', ')}]
`;
}

/** The folder every test starts from: api reaches db on 5432 and the echo port, not on 6379. */
export const BASE_FILES: Readonly<Record<string, string>> = {
  'cluster.yaml': CLUSTER_YAML,
  'db-allow-api.yaml': dbAllowsApi([ALLOWED_PORT, ECHO_PORT]),
};

/**
 * A large change: `n` policies more on db in one file (each a chain, a pod set
 * and an ipBlock), so the agent's nft transaction is big (about 340 kB of
 * script for 400) and takes a while to write and apply.
 */
export function bulkPolicies(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bulk-${i}, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {team: t${i}}}}, {ipBlock: {cidr: 10.${100 + (i >> 8)}.${i & 255}.0/24}}]
      ports: [{port: ${10_000 + i}}, {port: ${20_000 + i}, endPort: ${20_010 + i}}]
`);
  }
  return docs.join('---\n');
}
