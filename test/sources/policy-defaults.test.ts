// Defaulting as the API server does it: protocol TCP, policyTypes from the
// presence of egress rules, absent selectors kept apart from empty ones.
import { describe, expect, it } from 'vitest';
import { errors, normalizePolicySpec, warnings } from './helpers.ts';

describe('policyTypes defaulting', () => {
  it.each([
    { name: 'no rules at all', spec: {}, types: ['Ingress'] },
    { name: 'ingress rules only', spec: { ingress: [{}] }, types: ['Ingress'] },
    { name: 'egress rules', spec: { egress: [{}] }, types: ['Ingress', 'Egress'] },
    // SetDefaults_NetworkPolicy tests len(spec.egress) != 0: an empty list adds nothing.
    { name: 'empty egress list', spec: { egress: [] }, types: ['Ingress'] },
    { name: 'null egress', spec: { egress: null }, types: ['Ingress'] },
    { name: 'explicit empty policyTypes', spec: { policyTypes: [], egress: [{}] }, types: ['Ingress', 'Egress'] },
  ])('$name -> $types (defaulted)', ({ spec, types }) => {
    const { policy, problems } = normalizePolicySpec(spec);
    expect(errors(problems)).toEqual([]);
    expect(policy.policyTypes).toEqual(types);
    expect(policy.policyTypesDefaulted).toBe(true);
  });

  it('a malformed egress section (not a list) is an error and still isolates egress: fail closed', () => {
    const { policy, problems } = normalizePolicySpec({ egress: { to: [{ podSelector: {} }] } });
    expect(errors(problems).length).toBeGreaterThan(0);
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.egress).toEqual([]);
  });

  it('keeps explicit policyTypes, in canonical order and without duplicates', () => {
    const { policy } = normalizePolicySpec({ policyTypes: ['Egress', 'Ingress'] });
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.policyTypesDefaulted).toBe(false);
    expect(normalizePolicySpec({ policyTypes: ['Egress', 'Egress'] }).policy.policyTypes).toEqual(['Egress']);
  });

  it('an egress-only policy stays egress-only', () => {
    const { policy } = normalizePolicySpec({ policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }] }] });
    expect(policy.policyTypes).toEqual(['Egress']);
  });

  it('warns about rules that policyTypes makes dead', () => {
    const { problems } = normalizePolicySpec({ policyTypes: ['Ingress'], egress: [{}] });
    expect(warnings(problems).map((p) => p.field)).toEqual(['spec.egress']);
  });
});

describe('rules, peers and ports defaulting', () => {
  it('missing podSelector selects all pods', () => {
    expect(normalizePolicySpec({}).policy.podSelector).toEqual({ matchLabels: {}, matchExpressions: [] });
  });

  it('a missing or empty from/ports is an empty list (all peers, all ports)', () => {
    const { policy } = normalizePolicySpec({ ingress: [{}, { from: [], ports: [] }, null] });
    expect(policy.ingress).toEqual([
      { peers: [], ports: [] },
      { peers: [], ports: [] },
      { peers: [], ports: [] },
    ]);
  });

  it('absent ingress is no rules (deny all ingress)', () => {
    const { policy } = normalizePolicySpec({ podSelector: {} });
    expect(policy.ingress).toEqual([]);
    expect(policy.egress).toEqual([]);
  });

  it('protocol defaults to TCP and says so', () => {
    const { policy } = normalizePolicySpec({ ingress: [{ ports: [{ port: 80 }, { protocol: 'TCP', port: 81 }, { protocol: 'SCTP' }] }] });
    expect(policy.ingress[0]?.ports).toEqual([
      { protocol: 'TCP', protocolDefaulted: true, port: 80 },
      { protocol: 'TCP', protocolDefaulted: false, port: 81 },
      { protocol: 'SCTP', protocolDefaulted: false },
    ]);
  });

  it('keeps named ports and port ranges', () => {
    const { policy, problems } = normalizePolicySpec({ egress: [{ ports: [{ port: 'dns-tcp' }, { port: 32000, endPort: 32768 }, { port: 80, endPort: 80 }] }] });
    expect(errors(problems)).toEqual([]);
    expect(policy.egress[0]?.ports).toEqual([
      { protocol: 'TCP', protocolDefaulted: true, port: 'dns-tcp' },
      { protocol: 'TCP', protocolDefaulted: true, port: 32000, endPort: 32768 },
      { protocol: 'TCP', protocolDefaulted: true, port: 80, endPort: 80 },
    ]);
  });

  it('keeps null (absent) apart from {} (everything) in peers', () => {
    const { policy } = normalizePolicySpec({
      ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: {} }, { podSelector: { matchLabels: { a: 'b' } }, namespaceSelector: null }] }],
    });
    expect(policy.ingress[0]?.peers).toEqual([
      { kind: 'pods', podSelector: { matchLabels: {}, matchExpressions: [] }, namespaceSelector: null },
      { kind: 'pods', podSelector: null, namespaceSelector: { matchLabels: {}, matchExpressions: [] } },
      { kind: 'pods', podSelector: { matchLabels: { a: 'b' }, matchExpressions: [] }, namespaceSelector: null },
    ]);
  });

  it('reads matchExpressions', () => {
    const { policy } = normalizePolicySpec({
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'cache'] }, { key: 'canary', operator: 'DoesNotExist' }] },
    });
    expect(policy.podSelector.matchExpressions).toEqual([
      { key: 'tier', operator: 'In', values: ['db', 'cache'] },
      { key: 'canary', operator: 'DoesNotExist', values: [] },
    ]);
  });
});

describe('ipBlock canonicalization', () => {
  const block = (ipBlock: unknown) => normalizePolicySpec({ egress: [{ to: [{ ipBlock }] }] });

  it('masks host bits with a warning, as the API server accepts them', () => {
    const { policy, problems } = block({ cidr: '10.0.0.1/8', except: ['10.1.2.3/16'] });
    expect(errors(problems)).toEqual([]);
    expect(warnings(problems).map((p) => p.field)).toEqual(['spec.egress[0].to[0].ipBlock.cidr', 'spec.egress[0].to[0].ipBlock.except[0]']);
    expect(policy.egress[0]?.peers).toEqual([{ kind: 'ipBlock', ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }]);
  });

  it('writes IPv6 in RFC 5952 form', () => {
    const { policy, problems } = block({ cidr: '2001:DB8:0:0::/32', except: ['2001:0db8:0001::/48'] });
    expect(errors(problems)).toEqual([]);
    expect(policy.egress[0]?.peers).toEqual([{ kind: 'ipBlock', ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }]);
  });

  it('reads IPv4 leading zeros as decimal, with a warning', () => {
    const { policy, problems } = block({ cidr: '010.000.0.0/8' });
    expect(warnings(problems)).toHaveLength(1);
    expect(policy.egress[0]?.peers).toEqual([{ kind: 'ipBlock', ipBlock: { cidr: '10.0.0.0/8', except: [] } }]);
  });

  it('accepts the whole address space', () => {
    const { policy, problems } = block({ cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] });
    expect(problems).toEqual([]);
    expect(policy.egress[0]?.peers).toEqual([{ kind: 'ipBlock', ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }]);
  });
});
