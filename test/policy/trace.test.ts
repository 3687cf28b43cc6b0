// The trace of evaluate(): which policy, rule, peer and port allowed a flow;
// for a denial, which field of each rule failed and why; closestMiss.
import { describe, expect, it } from 'vitest';
import type { NetworkPolicy, PolicyRule } from '../../src/model/types.ts';
import { closestMiss, type DirectionVerdict, type RuleMiss } from '../../src/policy/trace.ts';
import {
  ALL, andPeer, cport, denyAll, In, ipBlock, ns, nsPeer, pod, podPeer, policy, pport, rule, sel, tcp, udp, world,
} from '../generators/cluster-builders.ts';

const namespaces = [ns('api', { team: 'core' }), ns('front', { team: 'a' }), ns('batch')];
const pods = [
  pod('api/api', { app: 'api' }, { ips: ['10.244.1.1'], ports: [cport('grpc', 9000), cport('dns', 53, 'UDP')] }),
  pod('api/web', { app: 'web' }, { ips: ['10.244.1.2'] }),
  pod('front/web', { app: 'web' }, { ips: ['10.244.2.1'] }),
  pod('batch/job', { app: 'job' }, { ips: ['10.244.3.1'] }),
];
const wrld = (policies: NetworkPolicy[]) => world({ namespaces, pods, policies });
const ingressOnly = (...ingress: PolicyRule[]) => policy('api/p', { podSelector: sel({ app: 'api' }), ingress });
const egressOnly = (...egress: PolicyRule[]) => policy('api/p', { podSelector: sel({ app: 'api' }), policyTypes: ['Egress'], egress });

describe('allowedBy names the policy, rule, peer and port', () => {
  interface Row {
    name: string;
    policies: NetworkPolicy[];
    from: string;
    to: string;
    protocol?: string;
    port: number;
    direction: 'ingress' | 'egress';
    allowedBy: { policy: string; rule: number; peer: number | null; port: number | null; field: string }[];
  }
  const rows: Row[] = [
    {
      name: 'rule without peers and ports: peer and port null',
      policies: [ingressOnly(rule())], from: 'batch/job', to: 'api/api', port: 80, direction: 'ingress',
      allowedBy: [{ policy: 'api/p', rule: 0, peer: null, port: null, field: 'spec.ingress[0]' }],
    },
    {
      name: 'second rule, second peer, second port',
      policies: [ingressOnly(
        rule([podPeer(sel({ app: 'nothing' }))]),
        rule([nsPeer(sel({ team: 'x' })), nsPeer(sel({ team: 'a' }))], [tcp(443), tcp(80)]),
      )],
      from: 'front/web', to: 'api/api', port: 80, direction: 'ingress',
      allowedBy: [{ policy: 'api/p', rule: 1, peer: 1, port: 1, field: 'spec.ingress[1]' }],
    },
    {
      name: 'first matching peer and port are reported when several match',
      policies: [ingressOnly(rule([nsPeer(ALL), andPeer(sel({ team: 'a' }), ALL)], [tcp(), tcp(80)]))],
      from: 'front/web', to: 'api/api', port: 80, direction: 'ingress',
      allowedBy: [{ policy: 'api/p', rule: 0, peer: 0, port: 0, field: 'spec.ingress[0]' }],
    },
    {
      name: 'no peers, second port',
      policies: [ingressOnly(rule([], [udp(53), tcp('grpc')]))], from: 'batch/job', to: 'api/api', port: 9000, direction: 'ingress',
      allowedBy: [{ policy: 'api/p', rule: 0, peer: null, port: 1, field: 'spec.ingress[0]' }],
    },
    {
      name: 'every allowing rule of every policy, in order',
      policies: [
        ingressOnly(rule([podPeer(sel({ app: 'web' }))]), rule([ipBlock('10.244.1.0/24')], [tcp(80)])),
        policy('api/q', { podSelector: ALL, ingress: [rule([nsPeer(sel({ team: 'nope' }))]), rule()] }),
      ],
      from: 'api/web', to: 'api/api', port: 80, direction: 'ingress',
      allowedBy: [
        { policy: 'api/p', rule: 0, peer: 0, port: null, field: 'spec.ingress[0]' },
        { policy: 'api/p', rule: 1, peer: 0, port: 0, field: 'spec.ingress[1]' },
        { policy: 'api/q', rule: 1, peer: null, port: null, field: 'spec.ingress[1]' },
      ],
    },
    {
      name: 'egress: to[1], ports[0]',
      policies: [egressOnly(rule([ipBlock('192.0.2.0/24'), ipBlock('10.244.0.0/16', '10.244.1.0/24')], [tcp(80, 90)]))],
      from: 'api/api', to: 'batch/job', port: 85, direction: 'egress',
      allowedBy: [{ policy: 'api/p', rule: 0, peer: 1, port: 0, field: 'spec.egress[0]' }],
    },
  ];
  it.each(rows)('$name', ({ policies, from, to, protocol, port, direction, allowedBy }) => {
    const v = wrld(policies).evaluate(from, to, protocol ?? 'TCP', port);
    expect(v.allowed).toBe(true);
    expect(v[direction].allowedBy).toEqual(allowedBy);
    expect(v[direction].misses).toEqual([]);
    expect(v[direction].summary).toContain(`allowed by ${allowedBy[0]?.policy} ${allowedBy[0]?.field}`);
  });

  it('carries the policy source through to allowedBy and misses', () => {
    const source = { file: 'policies/p.yaml', document: 2 };
    const p = policy('api/p', { podSelector: sel({ app: 'api' }), ingress: [rule([podPeer(sel({ app: 'web' }))])], source });
    const w = wrld([p]);
    expect(w.evaluate('api/web', 'api/api', 'TCP', 80).ingress.allowedBy[0]?.source).toEqual(source);
    expect(w.evaluate('batch/job', 'api/api', 'TCP', 80).ingress.misses[0]?.source).toEqual(source);
  });
});

describe('misses name the field that failed', () => {
  interface Row {
    name: string;
    policies: NetworkPolicy[];
    from: string;
    to: string;
    protocol?: string;
    port?: number;
    direction: 'ingress' | 'egress';
    field: string;
    peerMatched: boolean;
    portMatched: boolean;
    reason: RegExp;
  }
  const rows: Row[] = [
    {
      name: 'namespace label missing',
      policies: [ingressOnly(rule([nsPeer(sel({ team: 'a' }))]))], from: 'batch/job', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].from[0].namespaceSelector', peerMatched: false, portMatched: true, reason: /namespace batch: label team missing/,
    },
    {
      name: 'namespace label with another value',
      policies: [ingressOnly(rule([andPeer(sel({ team: 'b' }), sel({ app: 'web' }))]))], from: 'front/web', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].from[0].namespaceSelector', peerMatched: false, portMatched: true, reason: /label team=a, wanted team=b/,
    },
    {
      name: 'namespace matches, pod label does not (AND peer)',
      policies: [ingressOnly(rule([andPeer(sel({ team: 'a' }), sel({ app: 'db' }))]))], from: 'front/web', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].from[0].podSelector', peerMatched: false, portMatched: true, reason: /pod front\/web: label app=web, wanted app=db/,
    },
    {
      name: 'podSelector peer, pod in another namespace',
      policies: [ingressOnly(rule([podPeer(sel({ app: 'web' }))]))], from: 'front/web', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].from[0].podSelector', peerMatched: false, portMatched: true, reason: /selects only namespace api/,
    },
    {
      name: 'matchExpressions In fails',
      policies: [ingressOnly(rule([podPeer({ matchLabels: {}, matchExpressions: [In('app', 'db', 'cache')] })]))], from: 'api/web', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].from[0].podSelector', peerMatched: false, portMatched: true, reason: /wanted app in \(db,cache\)/,
    },
    {
      name: 'selector peer against an outside address',
      policies: [ingressOnly(rule([nsPeer(ALL)]))], from: '203.0.113.9', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].from[0].namespaceSelector', peerMatched: false, portMatched: true, reason: /not a pod/,
    },
    {
      name: 'address outside the cidr',
      policies: [egressOnly(rule([ipBlock('192.0.2.0/24')]))], from: 'api/api', to: '198.51.100.1', port: 80, direction: 'egress',
      field: 'spec.egress[0].to[0].ipBlock.cidr', peerMatched: false, portMatched: true, reason: /198\.51\.100\.1 is not in 192\.0\.2\.0\/24/,
    },
    {
      name: 'address in the second except',
      policies: [egressOnly(rule([ipBlock('10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16')]))], from: 'api/api', to: '10.2.3.4', port: 80, direction: 'egress',
      field: 'spec.egress[0].to[0].ipBlock.except[1]', peerMatched: false, portMatched: true, reason: /10\.2\.3\.4 is in except 10\.2\.0\.0\/16/,
    },
    {
      name: 'IPv6 address in an except',
      policies: [egressOnly(rule([ipBlock('2001:db8::/32', '2001:db8:ff::/48')]))], from: 'api/api', to: '2001:db8:ff::1', port: 80, direction: 'egress',
      field: 'spec.egress[0].to[0].ipBlock.except[0]', peerMatched: false, portMatched: true, reason: /is in except/,
    },
    {
      name: 'protocol defaulted to TCP, flow is UDP',
      policies: [ingressOnly(rule([], [pport({ port: 53 })]))], from: 'batch/job', to: 'api/api', protocol: 'UDP', port: 53, direction: 'ingress',
      field: 'spec.ingress[0].ports[0].protocol', peerMatched: true, portMatched: false, reason: /defaulted to TCP/,
    },
    {
      name: 'explicit protocol mismatch does not claim a default',
      policies: [ingressOnly(rule([], [tcp(53)]))], from: 'batch/job', to: 'api/api', protocol: 'UDP', port: 53, direction: 'ingress',
      field: 'spec.ingress[0].ports[0].protocol', peerMatched: true, portMatched: false, reason: /^rule allows TCP, flow is UDP$/,
    },
    {
      name: 'port name not on that pod',
      policies: [ingressOnly(rule([], [tcp('http')]))], from: 'batch/job', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].ports[0].port', peerMatched: true, portMatched: false, reason: /port name http is not a TCP port of pod api\/api/,
    },
    {
      name: 'port name exists for another protocol',
      policies: [ingressOnly(rule([], [tcp('dns')]))], from: 'batch/job', to: 'api/api', port: 53, direction: 'ingress',
      field: 'spec.ingress[0].ports[0].port', peerMatched: true, portMatched: false, reason: /it is UDP 53 there/,
    },
    {
      name: 'port name resolves to another number',
      policies: [ingressOnly(rule([], [tcp('grpc')]))], from: 'batch/job', to: 'api/api', port: 9001, direction: 'ingress',
      field: 'spec.ingress[0].ports[0].port', peerMatched: true, portMatched: false, reason: /port grpc is 9000 on pod api\/api, flow is to 9001/,
    },
    {
      name: 'numeric port mismatch',
      policies: [ingressOnly(rule([], [tcp(443)]))], from: 'batch/job', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].ports[0].port', peerMatched: true, portMatched: false, reason: /allows port 443, flow is to 80/,
    },
    {
      name: 'outside an endPort range',
      policies: [ingressOnly(rule([], [tcp(1000, 2000)]))], from: 'batch/job', to: 'api/api', port: 2001, direction: 'ingress',
      field: 'spec.ingress[0].ports[0].endPort', peerMatched: true, portMatched: false, reason: /2001 is outside 1000-2000/,
    },
    {
      name: 'ICMP flow against a port rule',
      policies: [ingressOnly(rule([], [pport({})]))], from: 'batch/job', to: 'api/api', protocol: 'ICMP', direction: 'ingress',
      field: 'spec.ingress[0].ports[0].protocol', peerMatched: true, portMatched: false, reason: /flow is ICMP/,
    },
    {
      name: 'peer and port both fail: the peer is reported',
      policies: [ingressOnly(rule([nsPeer(sel({ team: 'a' }))], [tcp(443)]))], from: 'batch/job', to: 'api/api', port: 80, direction: 'ingress',
      field: 'spec.ingress[0].from[0].namespaceSelector', peerMatched: false, portMatched: false, reason: /label team missing/,
    },
  ];
  it.each(rows)('$name', ({ policies, from, to, protocol, port, direction, field, peerMatched, portMatched, reason }) => {
    const v = wrld(policies).evaluate(from, to, protocol ?? 'TCP', port);
    expect(v.allowed).toBe(false);
    const d = v[direction];
    expect(d.allowed).toBe(false);
    expect(d.allowedBy).toEqual([]);
    expect(d.misses).toHaveLength(1);
    const miss = d.misses[0]?.rules[0];
    expect(miss).toMatchObject({ rule: 0, field, peerMatched, portMatched });
    expect(miss?.reason).toMatch(reason);
  });

  it('lists the failure of every peer of the rule in the reason', () => {
    const v = wrld([ingressOnly(rule([ipBlock('203.0.113.0/24'), nsPeer(sel({ team: 'a' }))]))]).evaluate('batch/job', 'api/api', 'TCP', 80);
    const miss = v.ingress.misses[0]?.rules[0];
    expect(miss?.field).toMatch(/^spec\.ingress\[0\]\.from\[\d\]\./);
    expect(miss?.reason).toContain('from[0]: 10.244.3.1 is not in 203.0.113.0/24');
    expect(miss?.reason).toContain('from[1]: namespace batch: label team missing');
  });

  it('lists the failure of every port of the rule in the reason', () => {
    const v = wrld([ingressOnly(rule([], [tcp(443), udp('dns')]))]).evaluate('batch/job', 'api/api', 'TCP', 53);
    const miss = v.ingress.misses[0]?.rules[0];
    expect(miss?.reason).toContain('ports[0]: rule allows port 443, flow is to 53');
    expect(miss?.reason).toContain('ports[1]: rule allows UDP, flow is TCP');
  });

  it('a policy without rules in the direction says it allows nothing', () => {
    const v = wrld([denyAll('api/deny', ['Ingress'])]).evaluate('batch/job', 'api/api', 'TCP', 80);
    expect(v.ingress.misses).toEqual([
      expect.objectContaining({ policy: 'api/deny', rules: [], reason: expect.stringMatching(/no ingress rules.*allows nothing/) }),
    ]);
    expect(v.ingress.summary).toBe('api/api is isolated for ingress by api/deny and no rule matches');
  });

  it('one miss per isolating policy, each with its missed rules', () => {
    const v = wrld([
      ingressOnly(rule([podPeer(sel({ app: 'web' }))]), rule([], [tcp(443)])),
      policy('api/q', { podSelector: ALL, ingress: [rule([nsPeer(sel({ team: 'a' }))])] }),
    ]).evaluate('batch/job', 'api/api', 'TCP', 80);
    expect(v.ingress.policies).toEqual(['api/p', 'api/q']);
    expect(v.ingress.misses.map((m) => [m.policy, m.rules.map((r) => r.rule)])).toEqual([['api/p', [0, 1]], ['api/q', [0]]]);
  });

  it('no misses in an allowed direction even when other policies miss', () => {
    const v = wrld([
      ingressOnly(rule([podPeer(sel({ app: 'nothing' }))])),
      policy('api/q', { podSelector: ALL, ingress: [rule()] }),
    ]).evaluate('batch/job', 'api/api', 'TCP', 80);
    expect(v.ingress.allowed).toBe(true);
    expect(v.ingress.misses).toEqual([]);
  });

  it('a direction whose end is not a pod has no pod, no policies, and says so', () => {
    const v = wrld([ingressOnly(rule([ipBlock('203.0.113.0/24')]))]).evaluate('203.0.113.9', 'api/api', 'TCP', 80);
    expect(v.allowed).toBe(true);
    expect(v.egress).toMatchObject({ isolated: false, allowed: true, policies: [] });
    expect(v.egress.pod).toBeUndefined();
    expect(v.egress.summary).toContain('address 203.0.113.9 is not a pod');
    expect(v.flow).toEqual({ from: { kind: 'external', ip: '203.0.113.9' }, to: { kind: 'pod', ip: '10.244.1.1', pod: 'api/api' }, protocol: 'TCP', port: 80 });
  });

  it('the flow summary omits the port of a portless flow', () => {
    const v = wrld([]).evaluate('batch/job', 'api/api', 'ICMP');
    expect(v.flow).not.toHaveProperty('port');
  });
});

describe('closestMiss', () => {
  const peerOnly: RuleMiss = { rule: 0, peerMatched: true, portMatched: false, field: 'spec.ingress[0].ports[0].port', reason: 'port' };
  const neither: RuleMiss = { rule: 1, peerMatched: false, portMatched: false, field: 'spec.ingress[1].from[0].podSelector', reason: 'peer' };
  const verdict = (misses: DirectionVerdict['misses']): DirectionVerdict => ({
    direction: 'ingress', pod: 'api/api', isolated: true, policies: misses.map((m) => m.policy), allowed: false, allowedBy: [], misses, summary: '',
  });

  it.each([
    { name: 'peer-matched rule listed first', misses: [{ policy: 'a/p', rules: [peerOnly, neither] }], want: { policy: 'a/p', rule: 0 } },
    { name: 'peer-matched rule listed second', misses: [{ policy: 'a/p', rules: [neither, peerOnly] }], want: { policy: 'a/p', rule: 0 } },
    { name: 'peer-matched rule in a later policy', misses: [{ policy: 'a/p', rules: [neither] }, { policy: 'a/q', rules: [peerOnly] }], want: { policy: 'a/q', rule: 0 } },
    { name: 'only rules that matched nothing: the first', misses: [{ policy: 'a/p', rules: [neither, { ...neither, rule: 2 }] }], want: { policy: 'a/p', rule: 1 } },
  ])('$name', ({ misses, want }) => {
    const c = closestMiss(verdict(misses));
    expect(c?.policy).toBe(want.policy);
    expect(c?.miss.rule).toBe(want.rule);
  });

  it.each([
    { name: 'no misses', misses: [] },
    { name: 'only rule-less policies', misses: [{ policy: 'a/deny', rules: [], reason: 'none' }] },
  ])('undefined with $name', ({ misses }) => {
    expect(closestMiss(verdict(misses))).toBeUndefined();
  });

  it('on a real verdict: prefers the rule that matched the peer but not the port', () => {
    const v = wrld([ingressOnly(
      rule([nsPeer(sel({ team: 'a' }))], [tcp(443)]), // matches nothing
      rule([nsPeer(ALL)], [tcp(443)]), // matches the peer, not the port
    )]).evaluate('batch/job', 'api/api', 'TCP', 80);
    const c = closestMiss(v.ingress);
    expect(c?.miss).toMatchObject({ rule: 1, peerMatched: true, portMatched: false, field: 'spec.ingress[1].ports[0].port' });
  });
});
