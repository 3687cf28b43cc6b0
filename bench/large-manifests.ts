// Large manifest files as a user would feed them (block-style YAML, the way
// `kubectl get -o yaml` and `helm template` write it): namespaces, running
// pods with addresses, and NetworkPolicies of the usual shapes. Deterministic:
// the same sizes give the same bytes. The two sizes the benches use:
//  - POLICY_HEAVY: 10,000 policies over 200 pods in 20 namespaces (~5.5 MB);
//  - POD_HEAVY: 112,000 pods in 200 namespaces with 400 policies (~50 MB).
import { prng } from '../test/generators/prng.ts';

export interface LargeManifestSize {
  readonly namespaces: number;
  readonly pods: number;
  readonly policies: number;
}

export const POLICY_HEAVY: LargeManifestSize = { namespaces: 20, pods: 200, policies: 10_000 };
export const POD_HEAVY: LargeManifestSize = { namespaces: 200, pods: 112_000, policies: 400 };

const TIERS = ['web', 'api', 'db', 'cache'] as const;
const TEAMS = ['a', 'b', 'c', 'd'] as const;
export const APPS_PER_NAMESPACE = 10;
const NODES = 50;

export const namespaceName = (n: number): string => `ns-${String(n).padStart(3, '0')}`;
export const appName = (a: number): string => `app-${a}`;

/** Pod i of namespace n's app a: a Deployment's pod name, with the hash and suffix it would have. */
export function podName(a: number, i: number): string {
  return `${appName(a)}-7d9f8c6b5-${i.toString(36).padStart(5, 'x')}`;
}

function namespaceDoc(n: number): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${namespaceName(n)}
  labels:
    kubernetes.io/metadata.name: ${namespaceName(n)}
    team: ${TEAMS[n % TEAMS.length]}
`;
}

/** Addresses from 10.64.0.0/10, one per pod, never a .0 or .255. */
function podIp(k: number): string {
  const host = Math.floor(k / 254) * 256 + (k % 254) + 1;
  return `10.${64 + (host >> 16)}.${(host >> 8) & 255}.${host & 255}`;
}

function podDoc(n: number, a: number, i: number, k: number): string {
  const tier = TIERS[a % TIERS.length] as string;
  const ip = podIp(k);
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${podName(a, i)}
  namespace: ${namespaceName(n)}
  labels:
    app: ${appName(a)}
    tier: ${tier}
    pod-template-hash: 7d9f8c6b5
spec:
  nodeName: node-${k % NODES}
  containers:
  - name: main
    image: registry.example/${appName(a)}:1.4.2
    ports:
    - name: http
      containerPort: 8080
    - name: metrics
      containerPort: 9090
status:
  phase: Running
  podIP: ${ip}
  podIPs:
  - ip: ${ip}
`;
}

function policyDoc(n: number, j: number, random: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const app = appName(Math.floor(random() * APPS_PER_NAMESPACE));
  const third = Math.floor(random() * 250);
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-${app}-${j}
  namespace: ${namespaceName(n)}
  labels:
    team: ${pick(TEAMS)}
spec:
  podSelector:
    matchLabels:
      app: ${app}
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: ${pick(TEAMS)}
      podSelector:
        matchLabels:
          tier: ${pick(TIERS)}
    - ipBlock:
        cidr: 172.${16 + (third % 16)}.0.0/16
        except:
        - 172.${16 + (third % 16)}.${third}.0/24
    ports:
    - protocol: TCP
      port: ${pick([80, 443, 8080, 9090])}
    - port: http
  egress:
  - to:
    - podSelector:
        matchExpressions:
        - key: tier
          operator: In
          values: [${pick(TIERS)}, ${pick(TIERS)}]
    ports:
    - port: ${pick([53, 5432, 6379, 8080])}
`;
}

/** One multi-document YAML text: namespaces, then pods, then policies. */
export function largeManifests(size: LargeManifestSize, seed = 7): string {
  const random = prng(seed);
  const docs: string[] = [];
  for (let n = 0; n < size.namespaces; n++) docs.push(namespaceDoc(n));
  const perNamespace = Math.ceil(size.pods / size.namespaces);
  for (let k = 0; k < size.pods; k++) {
    const n = Math.floor(k / perNamespace);
    const within = k % perNamespace;
    docs.push(podDoc(n, within % APPS_PER_NAMESPACE, Math.floor(within / APPS_PER_NAMESPACE), k));
  }
  for (let j = 0; j < size.policies; j++) docs.push(policyDoc(j % size.namespaces, j, random));
  return docs.join('---\n');
}
