// A cluster-wide policy with errors fails closed as upstream and
// docs/cluster-network-policy.md say: a rule with errors matches nothing
// (Accept) or denies every peer and port (Deny, Pass); errors in the policy
// itself leave one deny-all rule in each direction the object has rules in
// (both when unreadable), on its subject (every pod when unreadable), at its
// tier and priority (Admin and 0 when unreadable). Under --validate, an
// unknown field is an error in strict mode (its rule fails), a warning in
// warn mode (the rule stands, the field ignored), nothing in ignore mode.
import { describe, expect, it } from 'vitest';
import { assembleCluster } from '../../src/sources/assemble-cluster.ts';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import { anp, banp, cnp, cnpSpec, DENY_ALL, readPolicy } from './cluster-helpers.ts';
import { errors, warnings } from './helpers.ts';

const ns = { namespaces: {} };
const EVERY_POD = { kind: 'namespaces', namespaceSelector: { matchLabels: {}, matchExpressions: [] } };
const ACCEPT_NOTHING = { action: 'Accept', peers: [], ports: [], failClosed: true };
const SOUND = { action: 'Deny', peers: [EVERY_POD], ports: [] };

describe('a rule with errors', () => {
  it.each([
    ['Accept', ACCEPT_NOTHING],
    ['Deny', DENY_ALL],
    ['Pass', DENY_ALL],
    ['Shrug', DENY_ALL],
  ])('%s fails closed on its own, between sound rules', (action, failed) => {
    const bad = { name: 'bad', action, from: [{ pods: {} }] };
    const { policy, problems } = readPolicy(cnp(cnpSpec({ ingress: [{ action: 'Deny', from: [ns] }, bad, { action: 'Deny', from: [ns] }] })));
    expect(policy.failClosed).toBeUndefined();
    expect(policy.ingress).toEqual([SOUND, { name: 'bad', ...failed }, SOUND]);
    expect(warnings(problems)).toMatchObject([{ field: 'spec.ingress[1]', message: expect.stringMatching(/^rule has errors: failing closed, /) }]);
  });

  it('v1alpha1 Allow fails closed as Accept does', () => {
    const { policy } = readPolicy(anp({ priority: 3, subject: ns, egress: [{ action: 'Allow', to: [{ networks: ['nope'] }] }] }));
    expect(policy.egress).toEqual([ACCEPT_NOTHING]);
  });

  it('an unknown field in a peer (a newer API version\'s peer type) fails its rule in strict mode', () => {
    const spec = { tier: 'Admin', priority: 1, subject: ns, egress: [{ action: 'Deny', to: [{ services: { name: 'x' } }] }] };
    const strict = readPolicy(cnp(spec));
    expect(errors(strict.problems).map((e) => e.field)).toEqual(['spec.egress[0].to[0].services', 'spec.egress[0].to[0]']);
    expect(strict.policy.egress).toEqual([DENY_ALL]);
  });

  it('--validate=warn: an unknown field beside a known one is a warning, the rule stands', () => {
    const spec = { tier: 'Admin', priority: 1, subject: ns, ingress: [{ action: 'Deny', from: [{ namespaces: {}, labels: 'x' }] }] };
    const warn = readPolicy(cnp(spec), { validate: 'warn' });
    expect(errors(warn.problems)).toEqual([]);
    expect(warnings(warn.problems)).toMatchObject([{ field: 'spec.ingress[0].from[0].labels', message: expect.stringMatching(/unknown field "labels".*--validate=warn/) }]);
    expect(warn.policy.ingress).toEqual([SOUND]);
    const strict = readPolicy(cnp(spec));
    expect(errors(strict.problems)).toMatchObject([{ field: 'spec.ingress[0].from[0].labels' }]);
    expect(strict.policy.ingress).toEqual([DENY_ALL]);
    const ignore = readPolicy(cnp(spec), { validate: 'ignore' });
    expect(ignore.problems.filter((p) => p.severity !== 'debug')).toEqual([]);
    expect(ignore.policy.ingress).toEqual([SOUND]);
  });
});

describe('errors in the policy itself', () => {
  it('an unreadable subject: every pod, denied in the directions with rules, at its tier and priority', () => {
    const { policy, problems } = readPolicy(cnp({ tier: 'Baseline', priority: 40, subject: { pods: {} }, egress: [{ action: 'Accept', to: [ns] }] }));
    expect(policy).toMatchObject({ tier: 'Baseline', priority: 40, subject: EVERY_POD, ingress: [], egress: [{ ...DENY_ALL }], failClosed: true });
    expect(warnings(problems)).toMatchObject([{ message: 'has errors: failing closed, every pod (its subject is unreadable) is denied every peer and port for egress, at tier Baseline priority 40' }]);
  });

  it('an unreadable tier is Admin, an unreadable priority 0; a readable subject is kept', () => {
    const { policy } = readPolicy(cnp({ tier: 'Top', priority: 2000, subject: { namespaces: { matchLabels: { a: 'b' } } }, ingress: [{ action: 'Accept', from: [ns] }], egress: [] }));
    expect(policy).toMatchObject({
      tier: 'Admin', priority: 0, failClosed: true,
      subject: { kind: 'namespaces', namespaceSelector: { matchLabels: { a: 'b' }, matchExpressions: [] } },
      ingress: [DENY_ALL], egress: [],
    });
  });

  it('a sound AdminNetworkPolicy or baseline keeps its tier and priority', () => {
    expect(readPolicy(anp({ priority: 9, subject: {}, ingress: [{ action: 'Allow', from: [ns] }] })).policy).toMatchObject({ tier: 'Admin', priority: 9, failClosed: true, ingress: [DENY_ALL] });
    expect(readPolicy(banp({ subject: ns, egress: [{ action: 'Allow', to: [ns] }] }, 'other')).policy).toMatchObject({ tier: 'Baseline', priority: 0, failClosed: true, egress: [DENY_ALL], ingress: [] });
  });

  it.each([
    ['spec is not a mapping', { spec: 'deny' }],
    ['spec is missing', { spec: undefined }],
    ['a spec field is misspelled', { spec: { ...cnpSpec(), ingres: [] } }],
  ])('both directions when that is unreadable: %s', (_name, patch) => {
    const { policy } = readPolicy({ ...cnp(cnpSpec({ priority: 10 })), ...patch });
    expect(policy).toMatchObject({ failClosed: true, tier: 'Admin', subject: EVERY_POD, ingress: [DENY_ALL], egress: [DENY_ALL] });
    // What could be read is kept: the misspelling leaves tier and priority readable.
    expect(policy.priority).toBe(patch.spec === undefined || typeof patch.spec === 'string' ? 0 : 10);
  });

  it('no rules at all: it decides nothing, and says so', () => {
    const { policy, problems } = readPolicy(cnp({ tier: 'Admin', priority: 1, subject: {} }));
    expect(policy).toMatchObject({ failClosed: true, ingress: [], egress: [] });
    expect(warnings(problems)).toMatchObject([{ message: 'has errors: failing closed, it has no rules, so it decides nothing' }]);
  });
});

const FILE = `apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {role: infra, "bad key!": x}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: deny-infra
spec:
  tier: Admin
  priority: 5
  subject:
    namespaces: {}
  egress:
  - action: Deny
    to:
    - nodes:
        matchLabels: {role: infra}
    - networks: [10.0.0.0/8, 192.168.1.0/33]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-infra}
spec: {priority: 5, subject: {namespaces: {}}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-infra}
spec: {priority: 6, subject: {namespaces: {}}}
`;

describe('a file', () => {
  const parsed = parseManifestText(FILE, 'cluster.yaml');
  const { objects, problems } = assembleCluster(parsed.documents);

  it('errors name the file, the line of the field, the object and the field', () => {
    expect(errors(problems)).toEqual([
      expect.objectContaining({ file: 'cluster.yaml', document: 0, line: 5, kind: 'Node', name: 'n1', field: 'metadata.labels["bad key!"]' }),
      expect.objectContaining({ file: 'cluster.yaml', document: 1, line: 21, kind: 'ClusterNetworkPolicy', name: 'deny-infra', field: 'spec.egress[0].to[1].networks[1]', message: expect.stringMatching(/"192\.168\.1\.0\/33" is not a valid CIDR/) }),
      expect.objectContaining({ file: 'cluster.yaml', document: 3, line: 28, kind: 'AdminNetworkPolicy', name: 'deny-infra', message: expect.stringMatching(/^duplicate AdminNetworkPolicy: also defined at cluster\.yaml/) }),
    ]);
  });

  it('keeps one object per kind and name: names of different kinds may repeat', () => {
    expect(objects.clusterPolicies?.map((p) => `${p.kind}/${p.name}/${p.priority}`)).toEqual(['ClusterNetworkPolicy/deny-infra/5', 'AdminNetworkPolicy/deny-infra/5']);
    expect(objects.clusterPolicies?.[0]?.egress).toEqual([DENY_ALL]);
  });

  it('Node labels are read (a bad one is an error, above)', () => {
    expect(objects.nodes[0]?.labels).toEqual({ role: 'infra', 'bad key!': 'x' });
  });

  it('a world without cluster policies has no clusterPolicies field', () => {
    const r = assembleCluster(parseManifestText(FILE.split('---')[0] ?? '', 'n.yaml').documents);
    expect(r.objects).not.toHaveProperty('clusterPolicies');
  });
});
