// Manifests for the report's size tests: `namespaces` namespaces (ns-0, …)
// of `perNamespace` pods each, named by tier (web-0, api-1, db-2, web-3, …),
// each namespace denying ingress but api from its web on 8080 and db from
// its api on 5432. `opened`: ns-0's db also from every namespace's web on
// 5432 (what a change under review might add).

const TIERS = ['web', 'api', 'db'] as const;
const PORTS: Readonly<Record<(typeof TIERS)[number], number>> = { web: 80, api: 8080, db: 5432 };

function pod(ns: string, i: number): string {
  const tier = TIERS[i % TIERS.length] ?? 'web';
  return `apiVersion: v1
kind: Pod
metadata: {name: ${tier}-${i}, namespace: ${ns}, labels: {app: ${tier}}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: ${PORTS[tier]}}]}]}
`;
}

function allow(ns: string, name: string, to: string, from: string, port: number): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: ${to}}}
  ingress: [{from: [${from}], ports: [{port: ${port}}]}]
`;
}

export function manyWorkloads(namespaces: number, perNamespace: number, opened = false): string {
  const docs: string[] = [];
  for (let n = 0; n < namespaces; n++) {
    const ns = `ns-${n}`;
    docs.push(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`);
    for (let i = 0; i < perNamespace; i++) docs.push(pod(ns, i));
    docs.push(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: ${ns}}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n`);
    docs.push(allow(ns, 'api-from-web', 'api', '{podSelector: {matchLabels: {app: web}}}', 8080));
    docs.push(allow(ns, 'db-from-api', 'db', '{podSelector: {matchLabels: {app: api}}}', 5432));
  }
  if (opened) docs.push(allow('ns-0', 'db-from-every-web', 'db', '{namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}', 5432));
  return docs.join('---\n');
}
