// Every form the policy.networking.k8s.io CRDs refuse is an error naming the
// file, line, object and field, and the object fails closed: a rule with
// errors matches nothing (Accept) or denies everything (Deny, Pass); an error
// in the policy itself fails the policy (see cluster-policy-fail-closed.test.ts
// for those shapes).
import { describe, expect, it } from 'vitest';
import { anp, banp, cnp, cnpSpec, DENY_ALL, readPolicy } from './cluster-helpers.ts';
import { errors } from './helpers.ts';

const ns = { namespaces: {} };
const ing = (rule: unknown): unknown => cnp(cnpSpec({ ingress: [rule] }));
const egr = (rule: unknown): unknown => cnp({ tier: 'Baseline', priority: 3, subject: ns, egress: [rule] });
const anpIng = (rule: unknown): unknown => anp({ priority: 5, subject: ns, ingress: [rule] });
const anpEgr = (rule: unknown): unknown => anp({ priority: 5, subject: ns, egress: [rule] });
const banpEgr = (rule: unknown): unknown => banp({ subject: ns, egress: [rule] });
/** An Accept (v1alpha1: Allow) rule with these protocols / ports. */
const proto = (p: unknown): unknown => ing({ action: 'Accept', from: [ns], protocols: [p] });
const port = (p: unknown): unknown => anpIng({ action: 'Allow', from: [ns], ports: [p] });
const to = (peer: unknown, action = 'Deny'): unknown => egr({ action, to: [peer] });
const many = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

type Effect = 'accept-nothing' | 'deny-all' | 'policy';
interface Case { name: string; object: unknown; field: string; message: RegExp; effect: Effect }

const POLICY: Case[] = [
  { name: 'spec missing', object: { ...cnp(undefined), spec: undefined }, field: 'spec', message: /^spec is required$/, effect: 'policy' },
  { name: 'tier missing', object: cnp(cnpSpec({ tier: undefined })), field: 'spec.tier', message: /tier is required/, effect: 'policy' },
  { name: 'tier of the wrong case', object: cnp(cnpSpec({ tier: 'admin' })), field: 'spec.tier', message: /unknown tier "admin".*write Admin/, effect: 'policy' },
  { name: 'tier unknown', object: cnp(cnpSpec({ tier: 'Developer' })), field: 'spec.tier', message: /unknown tier "Developer" \(want Admin or Baseline\)/, effect: 'policy' },
  { name: 'priority missing', object: cnp(cnpSpec({ priority: undefined })), field: 'spec.priority', message: /priority is required/, effect: 'policy' },
  { name: 'priority over 1000', object: cnp(cnpSpec({ priority: 1001 })), field: 'spec.priority', message: /priority 1001 is out of range 0-1000/, effect: 'policy' },
  { name: 'priority negative', object: anp({ priority: -1, subject: ns }), field: 'spec.priority', message: /priority -1 is out of range/, effect: 'policy' },
  { name: 'priority fractional', object: cnp(cnpSpec({ priority: 1.5 })), field: 'spec.priority', message: /must be an integer/, effect: 'policy' },
  { name: 'priority quoted', object: anp({ priority: '5', subject: ns }), field: 'spec.priority', message: /must be an integer/, effect: 'policy' },
  { name: 'priority on a baseline', object: banp({ priority: 1, subject: ns }), field: 'spec.priority', message: /unknown field "priority"/, effect: 'policy' },
  { name: 'baseline not named default', object: banp({ subject: ns }, 'base'), field: 'metadata.name', message: /must be named "default"/, effect: 'policy' },
  { name: 'subject missing', object: cnp(cnpSpec({ subject: undefined })), field: 'spec.subject', message: /subject is required/, effect: 'policy' },
  { name: 'subject empty', object: cnp(cnpSpec({ subject: {} })), field: 'spec.subject', message: /subject has nothing: set exactly one of namespaces, pods/, effect: 'policy' },
  { name: 'subject with both', object: cnp(cnpSpec({ subject: { namespaces: {}, pods: { podSelector: {} } } })), field: 'spec.subject', message: /subject sets namespaces and pods/, effect: 'policy' },
  { name: 'subject pods without podSelector', object: cnp(cnpSpec({ subject: { pods: { namespaceSelector: {} } } })), field: 'spec.subject.pods.podSelector', message: /podSelector is required/, effect: 'policy' },
  { name: 'v1alpha1 subject pods without namespaceSelector', object: anp({ priority: 1, subject: { pods: { podSelector: {} } } }), field: 'spec.subject.pods.namespaceSelector', message: /namespaceSelector is required/, effect: 'policy' },
  { name: 'subject selector with a bad operator', object: cnp(cnpSpec({ subject: { namespaces: { matchExpressions: [{ key: 'a', operator: 'Is', values: ['b'] }] } } })), field: 'spec.subject.namespaces.matchExpressions[0].operator', message: /bad selector operator "Is"/, effect: 'policy' },
  { name: '26 ingress rules', object: cnp(cnpSpec({ ingress: many(26, { action: 'Deny', from: [ns] }) })), field: 'spec.ingress', message: /at most 25 items, got 26/, effect: 'policy' },
  { name: '101 v1alpha1 egress rules', object: anp({ priority: 1, subject: ns, egress: many(101, { action: 'Deny', to: [ns] }) }), field: 'spec.egress', message: /at most 100 items, got 101/, effect: 'policy' },
  { name: 'misspelled egress', object: cnp(cnpSpec({ egres: [] })), field: 'spec.egres', message: /unknown field "egres" \(did you mean "egress"\?\)/, effect: 'policy' },
];

const RULES: Case[] = [
  { name: 'action missing', object: ing({ from: [ns] }), field: 'spec.ingress[0].action', message: /action is required \(want Accept, Deny, Pass\)/, effect: 'deny-all' },
  { name: 'v1alpha1 Allow in a ClusterNetworkPolicy', object: ing({ action: 'Allow', from: [ns] }), field: 'spec.ingress[0].action', message: /unknown action "Allow".*ClusterNetworkPolicy says Accept/, effect: 'deny-all' },
  { name: 'v1alpha2 Accept in an AdminNetworkPolicy', object: anpIng({ action: 'Accept', from: [ns] }), field: 'spec.ingress[0].action', message: /unknown action "Accept".*AdminNetworkPolicy says Allow/, effect: 'deny-all' },
  { name: 'Pass in a BaselineAdminNetworkPolicy', object: banpEgr({ action: 'Pass', to: [ns] }), field: 'spec.egress[0].action', message: /unknown action "Pass" \(want Allow, Deny\)/, effect: 'deny-all' },
  { name: 'misspelled action', object: ing({ action: 'Dney', from: [ns] }), field: 'spec.ingress[0].action', message: /did you mean Deny\?/, effect: 'deny-all' },
  { name: 'rule name over 100 characters', object: ing({ name: 'x'.repeat(101), action: 'Accept', from: [ns] }), field: 'spec.ingress[0].name', message: /at most 100 characters, got 101/, effect: 'accept-nothing' },
  { name: 'from missing', object: ing({ action: 'Accept' }), field: 'spec.ingress[0].from', message: /^from is required$/, effect: 'accept-nothing' },
  { name: 'from empty', object: ing({ action: 'Pass', from: [] }), field: 'spec.ingress[0].from', message: /at least 1 item, got 0/, effect: 'deny-all' },
  { name: '26 peers', object: ing({ action: 'Accept', from: many(26, ns) }), field: 'spec.ingress[0].from', message: /at most 25 items/, effect: 'accept-nothing' },
  { name: '101 v1alpha1 peers', object: anpIng({ action: 'Deny', from: many(101, ns) }), field: 'spec.ingress[0].from', message: /at most 100 items/, effect: 'deny-all' },
  { name: 'empty peer', object: ing({ action: 'Accept', from: [{}] }), field: 'spec.ingress[0].from[0]', message: /peer has nothing: set exactly one of namespaces, pods/, effect: 'accept-nothing' },
  { name: 'peer with two fields', object: to({ namespaces: {}, networks: ['10.0.0.0/8'] }), field: 'spec.egress[0].to[0]', message: /peer sets namespaces and networks/, effect: 'deny-all' },
  { name: 'networks in an ingress peer', object: ing({ action: 'Accept', from: [{ networks: ['10.0.0.0/8'] }] }), field: 'spec.ingress[0].from[0].networks', message: /unknown field "networks"/, effect: 'accept-nothing' },
  { name: 'domainNames in a v1alpha1 baseline', object: banpEgr({ action: 'Allow', to: [{ domainNames: ['example.com'] }] }), field: 'spec.egress[0].to[0].domainNames', message: /unknown field "domainNames"/, effect: 'accept-nothing' },
  { name: 'peer pods without podSelector', object: to({ pods: { namespaceSelector: {} } }), field: 'spec.egress[0].to[0].pods.podSelector', message: /podSelector is required/, effect: 'deny-all' },
  { name: 'peer selector with a bad label value', object: to({ nodes: { matchLabels: { role: 'a b' } } }), field: 'spec.egress[0].to[0].nodes.matchLabels.role', message: /bad label value "a b"/, effect: 'deny-all' },
  { name: 'bad CIDR', object: to({ networks: ['10.0.0.0/33'] }), field: 'spec.egress[0].to[0].networks[0]', message: /"10\.0\.0\.0\/33" is not a valid CIDR/, effect: 'deny-all' },
  { name: 'CIDR without a prefix', object: to({ networks: ['10.0.0.1'] }, 'Accept'), field: 'spec.egress[0].to[0].networks[0]', message: /prefix length is missing/, effect: 'accept-nothing' },
  { name: 'CIDR with a leading zero', object: to({ networks: ['010.0.0.0/8'] }), field: 'spec.egress[0].to[0].networks[0]', message: /leading zero.*write "10\.0\.0\.0\/8"/, effect: 'deny-all' },
  { name: 'CIDR prefix with a leading zero', object: to({ networks: ['fd00::/08'] }), field: 'spec.egress[0].to[0].networks[0]', message: /leading zero.*write "fd00::\/8"/, effect: 'deny-all' },
  { name: 'CIDR over 43 characters', object: to({ networks: ['0:0:0:0:0:0:0:0000000000000000000000000000/0'] }), field: 'spec.egress[0].to[0].networks[0]', message: /longer than 43 characters/, effect: 'deny-all' },
  { name: 'IPv4-mapped IPv6 CIDR', object: to({ networks: ['::ffff:10.0.0.0/104'] }), field: 'spec.egress[0].to[0].networks[0]', message: /IPv4-mapped IPv6 address; write the IPv4 address 10\.0\.0\.0/, effect: 'deny-all' },
  { name: 'CIDR repeated', object: to({ networks: ['10.0.0.0/8', '10.0.0.0/8'] }), field: 'spec.egress[0].to[0].networks[1]', message: /networks is a set/, effect: 'deny-all' },
  { name: 'networks empty', object: to({ networks: [] }), field: 'spec.egress[0].to[0].networks', message: /at least 1 item/, effect: 'deny-all' },
  { name: '26 networks', object: to({ networks: Array.from({ length: 26 }, (_, i) => `10.${i}.0.0/16`) }), field: 'spec.egress[0].to[0].networks', message: /at most 25 items/, effect: 'deny-all' },
  { name: 'bad domain name', object: to({ domainNames: ['*.*.example.com'] }, 'Accept'), field: 'spec.egress[0].to[0].domainNames[0]', message: /"\*\.\*\.example\.com" is not a domain name/, effect: 'accept-nothing' },
  { name: 'one-label domain name', object: to({ domainNames: ['localhost'] }, 'Accept'), field: 'spec.egress[0].to[0].domainNames[0]', message: /is not a domain name/, effect: 'accept-nothing' },
  { name: 'domain name repeated', object: to({ domainNames: ['a.io', 'a.io'] }, 'Accept'), field: 'spec.egress[0].to[0].domainNames[1]', message: /domainNames is a set/, effect: 'accept-nothing' },
  { name: 'protocols empty', object: ing({ action: 'Accept', from: [ns], protocols: [] }), field: 'spec.ingress[0].protocols', message: /at least 1 item/, effect: 'accept-nothing' },
  { name: '26 protocols', object: ing({ action: 'Accept', from: [ns], protocols: many(26, { tcp: { destinationPort: { number: 80 } } }) }), field: 'spec.ingress[0].protocols', message: /at most 25 items/, effect: 'accept-nothing' },
  { name: 'protocol with nothing', object: proto({}), field: 'spec.ingress[0].protocols[0]', message: /port has nothing: set exactly one of tcp, udp, sctp, destinationNamedPort/, effect: 'accept-nothing' },
  { name: 'protocol with two', object: proto({ tcp: { destinationPort: { number: 1 } }, udp: { destinationPort: { number: 1 } } }), field: 'spec.ingress[0].protocols[0]', message: /port sets tcp and udp/, effect: 'accept-nothing' },
  { name: 'tcp without destinationPort', object: proto({ tcp: {} }), field: 'spec.ingress[0].protocols[0].tcp.destinationPort', message: /destinationPort is required/, effect: 'accept-nothing' },
  { name: 'destinationPort with nothing', object: proto({ udp: { destinationPort: {} } }), field: 'spec.ingress[0].protocols[0].udp.destinationPort', message: /destinationPort has nothing: set exactly one of number, range/, effect: 'accept-nothing' },
  { name: 'destinationPort with both', object: proto({ sctp: { destinationPort: { number: 5, range: { start: 1, end: 9 } } } }), field: 'spec.ingress[0].protocols[0].sctp.destinationPort', message: /sets number and range/, effect: 'accept-nothing' },
  { name: 'port 0', object: proto({ tcp: { destinationPort: { number: 0 } } }), field: 'spec.ingress[0].protocols[0].tcp.destinationPort.number', message: /port 0 is out of range 1-65535/, effect: 'accept-nothing' },
  { name: 'port 65536', object: proto({ tcp: { destinationPort: { number: 65536 } } }), field: 'spec.ingress[0].protocols[0].tcp.destinationPort.number', message: /out of range/, effect: 'accept-nothing' },
  { name: 'range start = end', object: proto({ tcp: { destinationPort: { range: { start: 80, end: 80 } } } }), field: 'spec.ingress[0].protocols[0].tcp.destinationPort.range', message: /start must be less than end \(start 80, end 80\)/, effect: 'accept-nothing' },
  { name: 'range without end', object: proto({ udp: { destinationPort: { range: { start: 80 } } } }), field: 'spec.ingress[0].protocols[0].udp.destinationPort.range.end', message: /^end is required$/, effect: 'accept-nothing' },
  { name: 'empty named port', object: proto({ destinationNamedPort: '' }), field: 'spec.ingress[0].protocols[0].destinationNamedPort', message: /empty port name/, effect: 'accept-nothing' },
  { name: 'v1alpha1 port with nothing', object: port({}), field: 'spec.ingress[0].ports[0]', message: /set exactly one of portNumber, namedPort, portRange/, effect: 'accept-nothing' },
  { name: 'v1alpha1 port with two', object: port({ portNumber: { port: 80 }, namedPort: 'http' }), field: 'spec.ingress[0].ports[0]', message: /port sets portNumber and namedPort/, effect: 'accept-nothing' },
  { name: 'v1alpha1 portNumber without port', object: port({ portNumber: { protocol: 'UDP' } }), field: 'spec.ingress[0].ports[0].portNumber.port', message: /^port is required$/, effect: 'accept-nothing' },
  { name: 'v1alpha1 unknown protocol', object: port({ portNumber: { protocol: 'ICMP', port: 1 } }), field: 'spec.ingress[0].ports[0].portNumber.protocol', message: /unknown protocol "ICMP"/, effect: 'accept-nothing' },
  { name: 'v1alpha1 lowercase protocol', object: port({ portRange: { protocol: 'udp', start: 1, end: 2 } }), field: 'spec.ingress[0].ports[0].portRange.protocol', message: /write UDP/, effect: 'accept-nothing' },
  { name: 'v1alpha1 range start > end', object: port({ portRange: { start: 90, end: 80 } }), field: 'spec.ingress[0].ports[0].portRange', message: /start must not be greater than end/, effect: 'accept-nothing' },
  { name: 'named port beside networks (CEL)', object: egr({ action: 'Accept', to: [ns, { networks: ['10.0.0.0/8'] }], protocols: [{ destinationNamedPort: 'http' }] }), field: 'spec.egress[0]', message: /a networks peer cannot be combined with a named port \(destinationNamedPort\)/, effect: 'accept-nothing' },
  { name: 'named port beside domainNames (CEL)', object: egr({ action: 'Accept', to: [{ domainNames: ['a.io'] }], protocols: [{ destinationNamedPort: 'http' }] }), field: 'spec.egress[0]', message: /domainNames peer cannot be combined/, effect: 'accept-nothing' },
  { name: 'v1alpha1 named port beside nodes (CEL)', object: anpEgr({ action: 'Pass', to: [{ nodes: {} }], ports: [{ namedPort: 'dns' }] }), field: 'spec.egress[0]', message: /a nodes peer cannot be combined with a named port \(namedPort\)/, effect: 'deny-all' },
  { name: 'baseline named port beside networks (CEL)', object: banpEgr({ action: 'Deny', to: [{ networks: ['::/0'] }], ports: [{ namedPort: 'dns' }] }), field: 'spec.egress[0]', message: /networks peer cannot be combined/, effect: 'deny-all' },
  { name: 'rule not a mapping', object: ing('Accept'), field: 'spec.ingress[0]', message: /must be a mapping, got string "Accept"/, effect: 'deny-all' },
];

describe('cluster-wide policy validation errors', () => {
  it.each([...POLICY, ...RULES])('$name', ({ object, field, message, effect }) => {
    const { policy, problems } = readPolicy(object);
    const errs = errors(problems);
    const at = errs.find((e) => e.field === field);
    expect(at, JSON.stringify(errs)).toBeDefined();
    expect(at?.message).toMatch(message);
    // Names the file, the object and the line of the field (the object starts on line 1).
    const o = object as { kind: string; metadata: { name: string } };
    expect(at).toMatchObject({ file: 't.yaml', document: 0, kind: o.kind, name: o.metadata.name });
    expect(at?.line).toBeGreaterThan(field.startsWith('spec.') ? 4 : 0);
    expect(at).not.toHaveProperty('namespace');
    if (effect === 'policy') {
      expect(policy.failClosed).toBe(true);
      return;
    }
    expect(policy.failClosed).toBeUndefined();
    const dir = field.startsWith('spec.ingress') ? policy.ingress : policy.egress;
    const rule = dir[0];
    if (effect === 'deny-all') expect(rule).toMatchObject(DENY_ALL);
    else expect(rule).toMatchObject({ action: 'Accept', peers: [], ports: [], failClosed: true });
  });
});
