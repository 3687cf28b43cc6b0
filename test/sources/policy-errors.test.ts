// Every invalid NetworkPolicy form the API refuses is an error naming the
// field, and the rule that holds it is dropped (fail closed), never widened.
import { describe, expect, it } from 'vitest';
import { errors, normalizePolicySpec } from './helpers.ts';

const peer = (p: unknown): unknown => ({ podSelector: {}, ingress: [{ from: [p] }] });
const port = (p: unknown): unknown => ({ podSelector: {}, ingress: [{ ports: [p] }] });

const cases: { name: string; spec: unknown; field: string; message: RegExp }[] = [
  { name: 'bad CIDR', spec: peer({ ipBlock: { cidr: '10.0.0.0/33' } }), field: 'spec.ingress[0].from[0].ipBlock.cidr', message: /"10\.0\.0\.0\/33" is not a valid CIDR/ },
  { name: 'CIDR without prefix', spec: peer({ ipBlock: { cidr: '10.0.0.1' } }), field: 'spec.ingress[0].from[0].ipBlock.cidr', message: /prefix length is missing/ },
  { name: 'garbage CIDR', spec: peer({ ipBlock: { cidr: 'ten/8' } }), field: 'spec.ingress[0].from[0].ipBlock.cidr', message: /not a valid CIDR/ },
  { name: 'IPv4-mapped IPv6 CIDR', spec: peer({ ipBlock: { cidr: '::ffff:10.0.0.0/104' } }), field: 'spec.ingress[0].from[0].ipBlock.cidr', message: /IPv4-mapped/ },
  { name: 'missing cidr', spec: peer({ ipBlock: { except: ['10.0.0.0/8'] } }), field: 'spec.ingress[0].from[0].ipBlock.cidr', message: /cidr is required/ },
  { name: 'except outside its CIDR', spec: peer({ ipBlock: { cidr: '192.168.0.0/16', except: ['10.1.0.0/16'] } }), field: 'spec.ingress[0].from[0].ipBlock.except[0]', message: /^10\.1\.0\.0\/16 is not inside cidr 192\.168\.0\.0\/16$/ },
  { name: 'except equal to its CIDR', spec: peer({ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }), field: 'spec.ingress[0].from[0].ipBlock.except[0]', message: /not strictly inside/ },
  { name: 'except wider than its CIDR', spec: peer({ ipBlock: { cidr: '10.1.0.0/16', except: ['10.0.0.0/8'] } }), field: 'spec.ingress[0].from[0].ipBlock.except[0]', message: /not inside cidr 10\.1\.0\.0\/16/ },
  { name: 'except of the other family', spec: peer({ ipBlock: { cidr: '0.0.0.0/0', except: ['2001:db8::/32'] } }), field: 'spec.ingress[0].from[0].ipBlock.except[0]', message: /IPv6 but cidr 0\.0\.0\.0\/0 is IPv4/ },
  { name: 'bad except', spec: peer({ ipBlock: { cidr: '10.0.0.0/8', except: ['10.300.0.0/16'] } }), field: 'spec.ingress[0].from[0].ipBlock.except[0]', message: /not a valid CIDR/ },
  { name: 'endPort < port', spec: port({ port: 443, endPort: 80 }), field: 'spec.ingress[0].ports[0].endPort', message: /endPort < port \(80 < 443\)/ },
  { name: 'endPort with a named port', spec: port({ port: 'http', endPort: 90 }), field: 'spec.ingress[0].ports[0].endPort', message: /endPort with a named port/ },
  { name: 'endPort without a port', spec: port({ endPort: 90 }), field: 'spec.ingress[0].ports[0].endPort', message: /endPort without a port/ },
  { name: 'endPort out of range', spec: port({ port: 80, endPort: 70000 }), field: 'spec.ingress[0].ports[0].endPort', message: /out of range/ },
  { name: 'unknown protocol', spec: port({ protocol: 'ICMP', port: 1 }), field: 'spec.ingress[0].ports[0].protocol', message: /^unknown protocol "ICMP"/ },
  { name: 'lowercase protocol', spec: port({ protocol: 'udp' }), field: 'spec.ingress[0].ports[0].protocol', message: /unknown protocol "udp".*write UDP/ },
  { name: 'port 0', spec: port({ port: 0 }), field: 'spec.ingress[0].ports[0].port', message: /port 0 is out of range 1-65535/ },
  { name: 'port 65536', spec: port({ port: 65536 }), field: 'spec.ingress[0].ports[0].port', message: /port 65536 is out of range/ },
  { name: 'fractional port', spec: port({ port: 80.5 }), field: 'spec.ingress[0].ports[0].port', message: /^must be an integer or a string, got number 80\.5$/ },
  { name: 'quoted port number', spec: port({ port: '80' }), field: 'spec.ingress[0].ports[0].port', message: /write 80 without quotes/ },
  { name: 'uppercase port name', spec: port({ port: 'HTTP' }), field: 'spec.ingress[0].ports[0].port', message: /bad port name "HTTP"/ },
  { name: 'port name too long', spec: port({ port: 'a-very-long-port-name' }), field: 'spec.ingress[0].ports[0].port', message: /1-15 characters/ },
  { name: 'port name with --', spec: port({ port: 'a--b' }), field: 'spec.ingress[0].ports[0].port', message: /"--"/ },
  { name: 'port name ending in -', spec: port({ port: 'web-' }), field: 'spec.ingress[0].ports[0].port', message: /begin or end/ },
  { name: 'bad selector operator', spec: peer({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } }), field: 'spec.ingress[0].from[0].podSelector.matchExpressions[0].operator', message: /^bad selector operator "Equals"/ },
  { name: 'In without values', spec: peer({ podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }), field: 'spec.ingress[0].from[0].podSelector.matchExpressions[0].values', message: /non-empty for operator In/ },
  { name: 'NotIn with empty values', spec: peer({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] } }), field: 'spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values', message: /non-empty for operator NotIn/ },
  { name: 'Exists with values', spec: peer({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }), field: 'spec.ingress[0].from[0].podSelector.matchExpressions[0].values', message: /empty for operator Exists/ },
  { name: 'DoesNotExist with values', spec: peer({ podSelector: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] } }), field: 'spec.ingress[0].from[0].podSelector.matchExpressions[0].values', message: /empty for operator DoesNotExist/ },
  { name: 'non-string label value', spec: peer({ podSelector: { matchLabels: { version: 1 } } }), field: 'spec.ingress[0].from[0].podSelector.matchLabels.version', message: /must be a string/ },
  { name: 'bad label key', spec: peer({ podSelector: { matchLabels: { 'Bad_/x': 'y' } } }), field: 'spec.ingress[0].from[0].podSelector.matchLabels["Bad_/x"]', message: /bad label key/ },
  { name: 'peer with nothing', spec: peer({}), field: 'spec.ingress[0].from[0]', message: /peer has nothing/ },
  { name: 'peer with only nulls', spec: peer({ podSelector: null, ipBlock: null }), field: 'spec.ingress[0].from[0]', message: /peer has nothing/ },
  { name: 'peer with ipBlock and podSelector', spec: peer({ podSelector: {}, ipBlock: { cidr: '10.0.0.0/8' } }), field: 'spec.ingress[0].from[0]', message: /both ipBlock and a selector/ },
  { name: 'peer with ipBlock and namespaceSelector', spec: peer({ namespaceSelector: {}, ipBlock: { cidr: '10.0.0.0/8' } }), field: 'spec.ingress[0].from[0]', message: /both ipBlock and a selector/ },
  { name: 'from is not a list', spec: { ingress: [{ from: { podSelector: {} } }] }, field: 'spec.ingress[0].from', message: /must be a list/ },
];

describe('NetworkPolicy validation errors', () => {
  it.each(cases)('$name', ({ spec, field, message }) => {
    const { policy, problems } = normalizePolicySpec(spec);
    const errs = errors(problems);
    expect(errs).toHaveLength(1);
    expect(errs[0]?.field).toBe(field);
    expect(errs[0]?.message).toMatch(message);
    expect(errs[0]).toMatchObject({ file: 't.yaml', document: 0, kind: 'NetworkPolicy', name: 'p', namespace: 'ns' });
    // Fail closed: the broken rule is gone, the policy still isolates.
    expect(policy.ingress).toEqual([]);
    expect(policy.policyTypes).toContain('Ingress');
  });

  it('keeps the sound rules beside a broken one', () => {
    const { policy } = normalizePolicySpec({
      ingress: [{ from: [{ ipBlock: { cidr: 'nope' } }] }, { ports: [{ port: 53, protocol: 'UDP' }] }],
    });
    expect(policy.ingress).toEqual([{ peers: [], ports: [{ protocol: 'UDP', protocolDefaulted: false, port: 53 }] }]);
  });

  it('an invalid podSelector selects every pod and allows nothing', () => {
    const { policy, problems } = normalizePolicySpec({
      podSelector: { matchExpressions: [{ key: 'a', operator: 'Is' }] },
      ingress: [{}],
      egress: [{}],
    });
    expect(errors(problems).map((p) => p.field)).toEqual(['spec.podSelector.matchExpressions[0].operator']);
    expect(policy.podSelector).toEqual({ matchLabels: {}, matchExpressions: [] });
    expect(policy.ingress).toEqual([]);
    expect(policy.egress).toEqual([]);
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it.each([
    { types: ['Ingress', 'Sideways'], field: 'spec.policyTypes[1]' },
    { types: ['Ingress', 'Egress', 'Ingress'], field: 'spec.policyTypes' },
    { types: 'Ingress', field: 'spec.policyTypes' },
  ])('bad policyTypes $types isolate both directions', ({ types, field }) => {
    const { policy, problems } = normalizePolicySpec({ policyTypes: types });
    expect(errors(problems).map((p) => p.field)).toContain(field);
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.policyTypesDefaulted).toBe(false);
  });
});
