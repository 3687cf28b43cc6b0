// What users write for a flow's ends and port, resolved against the cluster.
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { FlowSpecError, lookupEndpoint, parsePortSpec, resolveFlow } from '../../src/policy/flow-spec.ts';
import { cport, node, ns, pod } from '../generators/cluster-builders.ts';

const state = new ClusterState({
  namespaces: [ns('shop')],
  pods: [
    pod('shop/api', { app: 'api' }, { ips: ['10.244.1.2', '2001:db8::5'], node: 'n1', ports: [cport('http', 8080), cport('dns', 53, 'UDP')] }),
    pod('default/solo', {}, { ips: ['10.244.1.3'], node: 'n1' }),
    pod('shop/done', {}, { ips: ['10.244.1.4'], node: 'n1', phase: 'Succeeded' }),
  ],
  policies: [],
  nodes: [node('n1', ['192.168.0.1'], ['10.244.1.0/24'])],
});

describe('endpoints', () => {
  it.each([
    ['shop/api', { kind: 'pod' }],
    ['solo', { kind: 'pod' }], // no namespace: default
    ['ip:10.244.1.2', { kind: 'address', ip: '10.244.1.2' }],
    ['203.0.113.9', { kind: 'address', ip: '203.0.113.9' }],
    // Written in another form, an address still names the pod that holds it.
    ['ip:2001:DB8:0::5', { kind: 'address', ip: '2001:db8::5' }],
    // The node itself (not a host-network pod on its address).
    ['node:n1', { kind: 'node', node: { name: 'n1' } }],
  ])('%s', (spec, expected) => {
    expect(lookupEndpoint(state, spec)).toMatchObject(expected);
  });

  it('an address written in another form is the pod that holds it', () => {
    const flow = resolveFlow(state, { from: 'ip:2001:DB8::5', to: 'shop/api', port: 8080 });
    expect(flow.from).toMatchObject({ kind: 'pod', ip: '2001:db8::5' });
  });

  it.each([
    ['ip:10.0.0.300', /not a valid IP address/],
    ['ip:::ffff:10.244.1.2', /IPv4-mapped/],
    ['shop/nope', /no pod or workload shop\/nope/],
    ['node:n9', /no Node named n9/],
    ['shop/done', /Succeeded, so it takes no part/],
  ])('%s is refused', (spec, message) => {
    expect(() => lookupEndpoint(state, spec)).toThrow(FlowSpecError);
    expect(() => lookupEndpoint(state, spec)).toThrow(message);
  });
});

describe('a Pod and a workload of one namespace/name', () => {
  const clash = new ClusterState({
    namespaces: [ns('shop')],
    pods: [
      pod('shop/api', {}, { ips: ['10.244.1.2'], node: 'n1' }),
      { ...pod('shop/api', {}, { ips: ['10.244.1.9'], node: 'n1' }), kind: 'Deployment', keyedByKind: true },
      { ...pod('shop/db', {}, { ips: ['10.244.1.7'], node: 'n1' }), kind: 'StatefulSet' },
    ],
    policies: [],
    nodes: [node('n1', ['192.168.0.1'], ['10.244.1.0/24'])],
  });
  const named = (spec: string): string | undefined => {
    const ref = lookupEndpoint(clash, spec);
    return ref.kind === 'pod' ? `${ref.pod.kind} ${ref.pod.ips[0] ?? ''}` : undefined;
  };

  it('namespace/name is the Pod; KIND/namespace/name names either', () => {
    expect(named('shop/api')).toBe('Pod 10.244.1.2');
    expect(named('pod/shop/api')).toBe('Pod 10.244.1.2');
    expect(named('deploy/shop/api')).toBe('Deployment 10.244.1.9');
    expect(named('deployment/shop/api')).toBe('Deployment 10.244.1.9');
    // A workload that clashes with nothing is named either way.
    expect(named('shop/db')).toBe('StatefulSet 10.244.1.7');
    expect(named('sts/shop/db')).toBe('StatefulSet 10.244.1.7');
  });

  it('a kind that does not match is refused, naming what to write', () => {
    expect(() => lookupEndpoint(clash, 'deploy/shop/db', 'from')).toThrow('deploy/shop/db: no Deployment shop/db (shop/db is a StatefulSet: write sts/shop/db)');
    expect(() => lookupEndpoint(clash, 'ds/shop/api', 'from')).toThrow(FlowSpecError);
  });
});

describe('ports', () => {
  it.each([
    [80, undefined, { port: 80, protocol: 'TCP' }],
    ['80/udp', undefined, { port: 80, protocol: 'UDP' }],
    ['http', undefined, { port: 'http', protocol: 'TCP' }],
    [undefined, 'icmp', { protocol: 'ICMP' }],
  ] as const)('%s %s', (port, protocol, expected) => {
    expect(parsePortSpec(port, protocol)).toEqual(expected);
  });

  it('resolves a named port on the destination pod, per protocol', () => {
    expect(resolveFlow(state, { from: 'solo', to: 'shop/api', port: 'dns/UDP' })).toMatchObject({ protocol: 'UDP', port: 53 });
    expect(() => resolveFlow(state, { from: 'solo', to: 'shop/api', port: 'dns' })).toThrow(/no TCP container port named dns/);
    expect(() => resolveFlow(state, { from: 'solo', to: 'ip:203.0.113.9', port: 'http' })).toThrow(/needs a pod destination/);
    expect(() => parsePortSpec(70000)).toThrow(/out of range/);
    expect(() => parsePortSpec('80/TCP', 'UDP')).toThrow(/contradicts/);
  });
});
