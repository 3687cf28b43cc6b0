// Sound cluster-wide policies read into one model whichever API version wrote
// them (v1alpha1 Allow is v1alpha2 Accept, an AdminNetworkPolicy an Admin
// tier policy, the baseline a Baseline tier policy at priority 0), with the
// defaults the CRDs give; and what is only a warning.
import { describe, expect, it } from 'vitest';
import { anp, banp, cnp, readPolicy } from './cluster-helpers.ts';
import { errors, warnings } from './helpers.ts';

const EVERYTHING = { matchLabels: {}, matchExpressions: [] };
const sel = (labels: Record<string, string>): unknown => ({ matchLabels: labels });
const modelSel = (labels: Record<string, string>): unknown => ({ matchLabels: labels, matchExpressions: [] });

// One policy in both versions: ingress from pods of a namespace on TCP 80 and a
// UDP range, egress to networks, nodes and a named port on pods.
const V1ALPHA2_SPEC = {
  subject: { pods: { namespaceSelector: sel({ team: 'a' }), podSelector: sel({ app: 'db' }) } },
  ingress: [
    { name: 'web', action: 'Accept', from: [{ pods: { namespaceSelector: sel({ team: 'b' }), podSelector: sel({ app: 'web' }) } }],
      protocols: [{ tcp: { destinationPort: { number: 80 } } }, { udp: { destinationPort: { range: { start: 5000, end: 5010 } } } }] },
    { action: 'Pass', from: [{ namespaces: sel({ team: 'c' }) }] },
  ],
  egress: [
    { action: 'Deny', to: [{ networks: ['10.0.0.0/8', 'fd00::/8'] }, { nodes: sel({ role: 'infra' }) }] },
    { action: 'Accept', to: [{ pods: { namespaceSelector: {}, podSelector: {} } }], protocols: [{ destinationNamedPort: 'dns' }, { sctp: { destinationPort: { number: 9 } } }] },
  ],
};
const V1ALPHA1_SPEC = {
  subject: { pods: { namespaceSelector: sel({ team: 'a' }), podSelector: sel({ app: 'db' }) } },
  ingress: [
    { name: 'web', action: 'Allow', from: [{ pods: { namespaceSelector: sel({ team: 'b' }), podSelector: sel({ app: 'web' }) } }],
      ports: [{ portNumber: { port: 80 } }, { portRange: { protocol: 'UDP', start: 5000, end: 5010 } }] },
    { action: 'Pass', from: [{ namespaces: sel({ team: 'c' }) }] },
  ],
  egress: [
    { action: 'Deny', to: [{ networks: ['10.0.0.0/8', 'fd00::/8'] }, { nodes: sel({ role: 'infra' }) }] },
    { action: 'Allow', to: [{ pods: { namespaceSelector: {}, podSelector: {} } }], ports: [{ namedPort: 'dns' }, { portNumber: { protocol: 'SCTP', port: 9 } }] },
  ],
};
const RULES = {
  ingress: [
    { name: 'web', action: 'Accept', peers: [{ kind: 'pods', namespaceSelector: modelSel({ team: 'b' }), podSelector: modelSel({ app: 'web' }) }],
      ports: [{ kind: 'number', protocol: 'TCP', port: 80 }, { kind: 'number', protocol: 'UDP', port: 5000, endPort: 5010 }] },
    { action: 'Pass', peers: [{ kind: 'namespaces', namespaceSelector: modelSel({ team: 'c' }) }], ports: [] },
  ],
  egress: [
    { action: 'Deny', peers: [{ kind: 'networks', cidrs: ['10.0.0.0/8', 'fd00::/8'] }, { kind: 'nodes', nodeSelector: modelSel({ role: 'infra' }) }], ports: [] },
    { action: 'Accept', peers: [{ kind: 'pods', namespaceSelector: EVERYTHING, podSelector: EVERYTHING }], ports: [{ kind: 'named', name: 'dns' }, { kind: 'number', protocol: 'SCTP', port: 9 }] },
  ],
};

describe('both API versions, one model', () => {
  it('an AdminNetworkPolicy reads as the Admin ClusterNetworkPolicy it is', () => {
    const v2 = readPolicy(cnp({ tier: 'Admin', priority: 7, ...V1ALPHA2_SPEC }, 'x'));
    const v1 = readPolicy(anp({ priority: 7, ...V1ALPHA1_SPEC }, 'x'));
    expect(v2.problems.filter((p) => p.severity !== 'debug')).toEqual([]);
    expect(v1.problems.filter((p) => p.severity !== 'debug')).toEqual([]);
    const { kind: k2, source: _s2, ...rest2 } = v2.policy;
    const { kind: k1, source: _s1, ...rest1 } = v1.policy;
    expect([k2, k1]).toEqual(['ClusterNetworkPolicy', 'AdminNetworkPolicy']);
    expect(rest1).toEqual(rest2);
    expect(rest2).toEqual({
      name: 'x', tier: 'Admin', priority: 7,
      subject: { kind: 'pods', namespaceSelector: modelSel({ team: 'a' }), podSelector: modelSel({ app: 'db' }) },
      ...RULES,
    });
  });

  it('the BaselineAdminNetworkPolicy reads as a Baseline ClusterNetworkPolicy at priority 0', () => {
    // The baseline has no Pass: its first ingress rule only.
    const strip = (spec: { ingress: readonly unknown[] }): object => ({ ...spec, ingress: spec.ingress.slice(0, 1) });
    const v2 = readPolicy(cnp({ tier: 'Baseline', priority: 0, ...strip(V1ALPHA2_SPEC) }, 'default'));
    const v1 = readPolicy(banp(strip(V1ALPHA1_SPEC)));
    expect(errors(v1.problems)).toEqual([]);
    const { kind: _k2, source: _s2, ...rest2 } = v2.policy;
    const { kind: k1, source: _s1, ...rest1 } = v1.policy;
    expect(k1).toBe('BaselineAdminNetworkPolicy');
    expect(rest1).toEqual(rest2);
    expect(rest1).toMatchObject({ tier: 'Baseline', priority: 0 });
  });

  it('v1alpha2 pods.namespaceSelector may be left out: every namespace', () => {
    const { policy, problems } = readPolicy(cnp({ tier: 'Baseline', priority: 1000, subject: { pods: { podSelector: sel({ a: 'b' }) } } }));
    expect(errors(problems)).toEqual([]);
    expect(policy.subject).toEqual({ kind: 'pods', namespaceSelector: EVERYTHING, podSelector: modelSel({ a: 'b' }) });
    expect(policy).toMatchObject({ ingress: [], egress: [], priority: 1000 });
  });

  it('v1alpha1 protocol defaults to TCP; an equal range is its one port', () => {
    const { policy } = readPolicy(anp({ priority: 0, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }], ports: [{ portRange: { start: 7, end: 7 } }] }] }));
    expect(policy.ingress[0]?.ports).toEqual([{ kind: 'number', protocol: 'TCP', port: 7 }]);
  });

  it('domainNames are kept as written, wildcard and trailing dot included', () => {
    const { policy, problems } = readPolicy(cnp({ tier: 'Admin', priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Accept', to: [{ domainNames: ['*.kubernetes.io', 'example.com.', 'a_b.io'] }] }] }));
    expect(errors(problems)).toEqual([]);
    expect(policy.egress[0]?.peers).toEqual([{ kind: 'domainNames', domainNames: ['*.kubernetes.io', 'example.com.', 'a_b.io'] }]);
  });
});

describe('warnings, not errors', () => {
  it('a network with bits set beyond its prefix is its network, as the API reads it', () => {
    const { policy, problems } = readPolicy(cnp({ tier: 'Admin', priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['10.1.2.3/8', '2001:DB8::1/32'] }] }] }));
    expect(errors(problems)).toEqual([]);
    expect(policy.egress[0]?.peers).toEqual([{ kind: 'networks', cidrs: ['10.0.0.0/8', '2001:db8::/32'] }]);
    expect(warnings(problems).map((w) => [w.field, w.message])).toEqual([
      ['spec.egress[0].to[0].networks[0]', expect.stringMatching(/bits set beyond the prefix length; treated as 10\.0\.0\.0\/8/)],
      ['spec.egress[0].to[0].networks[1]', expect.stringMatching(/treated as 2001:db8::\/32/)],
    ]);
  });

  it('a named port no container port can have matches nothing, with a warning', () => {
    const { policy, problems } = readPolicy(cnp({ tier: 'Admin', priority: 1, subject: { namespaces: {} }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }], protocols: [{ destinationNamedPort: 'HTTP' }] }] }));
    expect(errors(problems)).toEqual([]);
    expect(warnings(problems)).toMatchObject([{ field: 'spec.ingress[0].protocols[0].destinationNamedPort', message: expect.stringMatching(/bad port name "HTTP".*matches nothing/) }]);
    expect(policy.ingress[0]?.ports).toEqual([{ kind: 'named', name: 'HTTP' }]);
  });

  it('domainNames in a Deny rule: upstream supports them in Accept rules only, and they decide nothing here', () => {
    const { policy, problems } = readPolicy(cnp({ tier: 'Admin', priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ namespaces: {} }, { domainNames: ['evil.example'] }] }] }));
    expect(errors(problems)).toEqual([]);
    expect(warnings(problems)).toMatchObject([{ field: 'spec.egress[0].to[1]', message: expect.stringMatching(/domainNames in a Deny rule: .*this peer denies nothing/) }]);
    expect(policy.egress[0]?.failClosed).toBeUndefined();
  });

  it('metadata.namespace is ignored (cluster-scoped), said once, and problems name no namespace', () => {
    const o = anp({ priority: 1, subject: { namespaces: {} } });
    const { policy, problems } = readPolicy({ ...o, metadata: { name: 'a', namespace: 'shop' } });
    expect(errors(problems)).toEqual([]);
    expect(warnings(problems)).toEqual([expect.objectContaining({ field: 'metadata.namespace', message: 'ignored: AdminNetworkPolicy objects are cluster-scoped' })]);
    expect(warnings(problems)[0]).not.toHaveProperty('namespace');
    expect(policy.name).toBe('a');
  });
});

describe('versions', () => {
  it.each([
    ['policy.networking.k8s.io/v1alpha1', 'ClusterNetworkPolicy', 'policy.networking.k8s.io/v1alpha2'],
    ['policy.networking.k8s.io/v1alpha2', 'AdminNetworkPolicy', 'policy.networking.k8s.io/v1alpha1'],
    ['policy.networking.k8s.io/v1beta1', 'BaselineAdminNetworkPolicy', 'policy.networking.k8s.io/v1alpha1'],
  ])('%s %s is refused: use %s', async (apiVersion, kind, served) => {
    const { readYaml } = await import('./cluster-helpers.ts');
    const r = readYaml({ apiVersion, kind, metadata: { name: 'default' }, spec: { subject: { namespaces: {} } } });
    expect(r.policy).toBeUndefined();
    expect(errors(r.problems)).toMatchObject([{ field: 'apiVersion', message: `${kind} ${apiVersion} is not supported: use ${served}`, line: 1 }]);
  });
});
