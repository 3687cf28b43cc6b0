// The flow verdict in words with cluster-wide policies, on model objects:
// which tier, policy, rule and action decided, each Pass and where it went,
// why not across tiers, the cluster rules that missed on a denial, rules
// failing closed and domainNames peers (not enforced); and cluster rules in
// words.
import { describe, expect, it } from 'vitest';
import { describeClusterRule } from '../../src/explain/describe-rule.ts';
import { renderVerdictText, whyNot } from '../../src/explain/verdict-text.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, ClusterPolicy, NetworkPolicy, Pod } from '../../src/model/types.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { addressEndpoint } from '../../src/policy/endpoint.ts';
import type { FlowVerdict } from '../../src/policy/trace.ts';
import {
  accept, anp, banp, cnp, deny, domainNames, namedPort, networks, nodesPeer, nsPeerOf, nsSubject, pass, podsPeerOf, portOf,
} from '../generators/cluster-policies.ts';
import { cluster, ns, pod, pods, policy, port, rule, sel } from '../lint/builders.ts';

const SHOP = sel({ team: 'shop' });
const DEV = sel({ team: 'dev' });
const podsOf: Pod[] = [
  pod('shop/db', { app: 'db' }, { ips: ['10.244.1.11'], ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }] }),
  pod('shop/web', { app: 'web' }, { ips: ['10.244.1.10'] }),
  pod('dev/tool', { app: 'tool' }, { ips: ['10.244.1.30'] }),
];

function verdict(clusterPolicies: ClusterPolicy[], policies: NetworkPolicy[], from: string, to: string, port?: number): FlowVerdict {
  const objects: ClusterObjects = { ...cluster({ namespaces: [ns('shop', { team: 'shop' }), ns('dev', { team: 'dev' })], pods: podsOf, policies }), clusterPolicies };
  const state = new ClusterState(objects);
  return new PolicyEngine(state).evaluate({ from: addressEndpoint(state, from), to: addressEndpoint(state, to), protocol: 'TCP', ...(port !== undefined && { port }) });
}

const DB_IN = policy('shop/db-in', sel({ app: 'db' }), { ingress: [rule([pods(sel({ app: 'web' }))], [port(5432)])] });

describe('flow verdict text across tiers', () => {
  it('an Admin Deny: the rule, its name, tier and priority, and why not is that rule; earlier cluster rules that missed are listed', () => {
    const guard = cnp('guard', { priority: 20, subject: nsSubject(SHOP), ingress: [accept([nsPeerOf(DEV)], [portOf('TCP', 9187)], 'scrapes')] });
    const block = cnp('block', { priority: 30, subject: nsSubject(SHOP), ingress: [deny([nsPeerOf(DEV)], [], 'deny-dev')] });
    const v = verdict([guard, block], [DB_IN], '10.244.1.30', '10.244.1.11', 5432);
    const text = renderVerdictText(v);
    expect(text).toContain('ingress of shop/db: denied (decided in the Admin tier)');
    expect(text).toContain('denied by cnp/block spec.ingress[0] "deny-dev" (Deny, Admin tier, priority 30)');
    expect(text).toContain('no match: cnp/guard spec.ingress[0].protocols[0].port: rule matches TCP port 9187, flow is to 5432');
    expect(whyNot(v)).toBe('ingress of shop/db denied by cnp/block spec.ingress[0] "deny-dev" (Deny, Admin tier, priority 30)');
  });

  it('a NetworkPolicy denial after an Admin Pass says so, in the text and in why not', () => {
    const guard = cnp('guard', { priority: 20, subject: nsSubject(SHOP), ingress: [pass([nsPeerOf(sel())], [], 'delegate')] });
    const v = verdict([guard], [DB_IN], '10.244.1.30', '10.244.1.11', 5432);
    expect(renderVerdictText(v)).toContain('cnp/guard spec.ingress[0] "delegate" (Pass, Admin tier, priority 20) passed to NetworkPolicy');
    expect(whyNot(v)).toMatch(/^shop\/db-in spec\.ingress\[0\]\.from\[0\]\.podSelector: .* \(NetworkPolicy decided because cnp\/guard spec\.ingress\[0\] "delegate" \(Pass, Admin tier, priority 20\) passed to NetworkPolicy\)$/);
  });

  it('prints a denied direction in evaluation order: the earlier rules that missed, then the Pass, then where it went', () => {
    const guard = cnp('guard', { priority: 20, subject: nsSubject(SHOP), ingress: [accept([nsPeerOf(DEV)], [portOf('TCP', 9187)], 'scrapes'), pass([nsPeerOf(sel())], [], 'delegate')] });
    const later = cnp('later', { priority: 30, subject: nsSubject(SHOP), ingress: [deny([nsPeerOf(DEV)], [], 'never-reached')] });
    const lines = (v: FlowVerdict): string[] => renderVerdictText(v).split('\n').filter((l) => l.startsWith('    '));
    // To NetworkPolicy: guard's miss, guard's Pass, then NetworkPolicy's own miss (the later Admin policy is skipped by the Pass).
    expect(lines(verdict([later, guard], [DB_IN], '10.244.1.30', '10.244.1.11', 5432))).toEqual([
      '    no match: cnp/guard spec.ingress[0].protocols[0].port: rule matches TCP port 9187, flow is to 5432',
      '    cnp/guard spec.ingress[1] "delegate" (Pass, Admin tier, priority 20) passed to NetworkPolicy',
      expect.stringMatching(/^ {4}shop\/db-in spec\.ingress\[0\]\.from\[0\]\.podSelector: /),
    ]);
    // To the Baseline tier (no NetworkPolicy isolates shop/web): the Admin miss, the Pass, the Baseline miss, the Baseline Deny.
    const base = banp({ subject: nsSubject(sel()), ingress: [accept([nsPeerOf(SHOP)], [], 'same-team'), deny([nsPeerOf(sel())], [], 'rest')] });
    expect(lines(verdict([base, guard], [], '10.244.1.30', '10.244.1.10', 80))).toEqual([
      '    no match: cnp/guard spec.ingress[0].protocols[0].port: rule matches TCP port 9187, flow is to 80',
      '    cnp/guard spec.ingress[1] "delegate" (Pass, Admin tier, priority 20) passed to NetworkPolicy',
      '    no match: banp/default spec.ingress[0].from[0].namespaces: namespace dev: label team=dev, wanted team=shop (selector team=shop)',
      '    denied by banp/default spec.ingress[1] "rest" (Deny, Baseline tier, priority 0)',
    ]);
  });

  it('a Baseline Pass goes to the default, and the summary says which rule passed', () => {
    const base = banp({ subject: nsSubject(sel()), ingress: [pass([nsPeerOf(DEV)], [], 'dev-ok'), deny([nsPeerOf(sel())])] });
    const v = verdict([base], [], '10.244.1.30', '10.244.1.10', 80);
    expect(v.allowed).toBe(true);
    expect(renderVerdictText(v)).toContain('ingress of shop/web: allowed (shop/web is not isolated for ingress by any NetworkPolicy; banp/default spec.ingress[0] "dev-ok" (Pass, Baseline tier, priority 0) passes: allowed by default)');
  });

  it('a fail-closed rule says so, and a domainNames peer reads as not enforced', () => {
    const closed: ClusterPolicy = { ...cnp('broken', { priority: 1, subject: nsSubject(sel()), egress: [] }), egress: [{ action: 'Deny', peers: [networks('0.0.0.0/0', '::/0')], ports: [], failClosed: true }] };
    const v = verdict([closed], [], '10.244.1.10', '203.0.113.9', 443);
    expect(renderVerdictText(v)).toContain('denied by cnp/broken spec.egress[0] (Deny, Admin tier, priority 1, failing closed: the rule has errors in the input)');
    const dns = cnp('dns', { priority: 1, subject: nsSubject(sel()), egress: [accept([domainNames('example.com')]), deny([networks('203.0.113.0/24')])] });
    const d = verdict([dns], [], '10.244.1.10', '203.0.113.9', 443);
    expect(renderVerdictText(d)).toContain('no match: cnp/dns spec.egress[0].to[0].domainNames: domainNames (example.com) are not enforced by nftpol: this peer matches nothing');
  });

  it('an AdminNetworkPolicy (v1alpha1) rule reads Allow, as its author wrote it, in the text; the JSON keeps the normalized Accept', () => {
    const guard = anp('guard', { priority: 20, subject: nsSubject(SHOP), ingress: [accept([nsPeerOf(DEV)], [portOf('TCP', 5432)], 'dev-db'), deny([nsPeerOf(sel())], [], 'rest')] });
    const allowed = verdict([guard], [DB_IN], '10.244.1.30', '10.244.1.11', 5432);
    expect(renderVerdictText(allowed)).toContain('allowed by anp/guard spec.ingress[0] "dev-db" (Allow, Admin tier, priority 20)');
    expect(allowed.ingress.decision?.action).toBe('Accept');
    expect(allowed.ingress.summary).toContain('(Allow, Admin tier, priority 20)');
    const denied = verdict([guard], [DB_IN], '10.244.1.30', '10.244.1.11', 80);
    expect(renderVerdictText(denied)).toContain('denied by anp/guard spec.ingress[1] "rest" (Deny, Admin tier, priority 20)');
    const base = banp({ subject: nsSubject(sel()), ingress: [accept([nsPeerOf(DEV)], [], 'dev-ok')] });
    expect(renderVerdictText(verdict([base], [], '10.244.1.30', '10.244.1.10', 80))).toContain('allowed by banp/default spec.ingress[0] "dev-ok" (Allow, Baseline tier, priority 0)');
  });

  it('without cluster policies the text is as before (no tier words)', () => {
    const v = verdict([], [DB_IN], '10.244.1.30', '10.244.1.11', 5432);
    expect(renderVerdictText(v)).toContain('ingress of shop/db: denied (isolated by shop/db-in)');
    expect(renderVerdictText(v)).not.toContain('tier');
  });
});

const V1ALPHA2 = { kind: 'ClusterNetworkPolicy' } as const;

describe('cluster rules in words', () => {
  it('describes each peer and port form, and domainNames as not enforced', () => {
    expect(describeClusterRule(V1ALPHA2, 'ingress', deny([nsPeerOf(DEV), podsPeerOf(sel(), sel({ app: 'db' }))], [portOf('TCP', 80), portOf('UDP', 53, 54), namedPort('http')])))
      .toBe('Deny from every pod in namespaces team=dev; or pods app=db in all namespaces on TCP 80, UDP 53-54, port named http');
    expect(describeClusterRule(V1ALPHA2, 'egress', accept([nodesPeer(sel()), networks('10.0.0.0/8'), domainNames('github.com')])))
      .toBe('Accept to every node; or any address in 10.0.0.0/8; or domain names github.com (NOT ENFORCED by nftpol: matches nothing) on any port and protocol');
    expect(describeClusterRule(V1ALPHA2, 'ingress', { action: 'Accept', peers: [], ports: [], failClosed: true })).toBe('Accept: matches nothing (the rule has errors in the input: failing closed)');
    expect(describeClusterRule(V1ALPHA2, 'ingress', pass([nsPeerOf(sel({ 'kubernetes.io/metadata.name': 'shop' }))]))).toBe('Pass from every pod in namespace shop on any port and protocol');
  });

  it('writes the action as the policy\'s API does: Allow for AdminNetworkPolicy and BaselineAdminNetworkPolicy, Accept for ClusterNetworkPolicy', () => {
    const rule = accept([nsPeerOf(DEV)], [portOf('TCP', 9187)]);
    expect(describeClusterRule({ kind: 'AdminNetworkPolicy' }, 'ingress', rule)).toBe('Allow from every pod in namespaces team=dev on TCP 9187');
    expect(describeClusterRule({ kind: 'BaselineAdminNetworkPolicy' }, 'ingress', rule)).toBe('Allow from every pod in namespaces team=dev on TCP 9187');
    expect(describeClusterRule(V1ALPHA2, 'ingress', rule)).toBe('Accept from every pod in namespaces team=dev on TCP 9187');
    expect(describeClusterRule({ kind: 'AdminNetworkPolicy' }, 'ingress', { action: 'Accept', peers: [], ports: [], failClosed: true })).toBe('Allow: matches nothing (the rule has errors in the input: failing closed)');
  });
});
