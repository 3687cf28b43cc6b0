// Pods, workloads, namespaces and nodes into the model.
import { describe, expect, it } from 'vitest';
import { errors, normalize, normalizePodLike, warnings } from './helpers.ts';

const podSpec = {
  nodeName: 'n1',
  containers: [{ name: 'app', ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 53, protocol: 'UDP' }] }],
  initContainers: [{ name: 'sidecar', restartPolicy: 'Always', ports: [{ containerPort: 9090, name: 'metrics', protocol: 'SCTP' }] }],
};
const expectedPorts = [
  { name: 'http', port: 8080, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
  { name: 'metrics', port: 9090, protocol: 'SCTP' },
];

describe('Pod', () => {
  it('reads labels, IPs, node, hostNetwork, phase and ports', () => {
    const { pod, problems } = normalizePodLike({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
      spec: { ...podSpec, hostNetwork: false },
      status: { phase: 'Pending', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00:0:0::5' }] },
    });
    expect(problems).toEqual([]);
    expect(pod).toEqual({
      namespace: 'shop', name: 'web-1', kind: 'Pod', labels: { app: 'web' }, nodeName: 'n1', hostNetwork: false,
      ports: expectedPorts, ips: ['10.244.1.5', 'fd00::5'], phase: 'Pending', source: { file: 't.yaml', document: 0 },
    });
  });

  it('falls back to status.podIP and defaults phase to Running', () => {
    const { pod } = normalizePodLike({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x' }, status: { podIP: '10.0.0.9' } });
    expect(pod.ips).toEqual(['10.0.0.9']);
    expect(pod.phase).toBe('Running');
    expect(pod.hostNetwork).toBe(false);
    expect(pod.ports).toEqual([]);
  });

  it('reports a bad pod IP and a bad container port, keeping the pod', () => {
    const { pod, problems } = normalizePodLike({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x' },
      spec: { containers: [{ ports: [{ containerPort: 0 }, { containerPort: 80, name: 'Web' }, { containerPort: 81 }] }] },
      status: { podIP: '10.0.0.300' },
    });
    expect(errors(problems).map((p) => p.field)).toEqual([
      'spec.containers[0].ports[0].containerPort', 'spec.containers[0].ports[1].name', 'status.podIP',
    ]);
    expect(pod.ips).toEqual([]);
    expect(pod.ports).toEqual([{ port: 81, protocol: 'TCP' }]);
  });

  it('assumes namespace "default" with a warning naming the object', () => {
    const r = normalize({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely' } });
    expect(r.object?.type === 'pod' && r.object.value.namespace).toBe('default');
    expect(warnings(r.problems)).toEqual([
      { severity: 'warning', file: 't.yaml', document: 0, kind: 'Pod', name: 'lonely', field: 'metadata.namespace', message: 'no namespace given; assuming "default"' },
    ]);
  });
});

describe('workloads stand for one pod each', () => {
  const template = { metadata: { labels: { app: 'w' } }, spec: { ...podSpec, hostNetwork: true } };
  const selector = { matchLabels: { app: 'w' } };
  it.each([
    { kind: 'Deployment', apiVersion: 'apps/v1', spec: { selector, template } },
    { kind: 'StatefulSet', apiVersion: 'apps/v1', spec: { selector, template } },
    { kind: 'DaemonSet', apiVersion: 'apps/v1', spec: { selector, template } },
    { kind: 'ReplicaSet', apiVersion: 'apps/v1', spec: { selector, template } },
    { kind: 'Job', apiVersion: 'batch/v1', spec: { template } },
    { kind: 'CronJob', apiVersion: 'batch/v1', spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } },
  ])('$kind', ({ kind, apiVersion, spec }) => {
    const { pod, problems } = normalizePodLike({ apiVersion, kind, metadata: { name: 'w', namespace: 'ns' }, spec });
    expect(problems).toEqual([]);
    expect(pod).toEqual({
      namespace: 'ns', name: 'w', kind, labels: { app: 'w' }, nodeName: 'n1', hostNetwork: true,
      ports: expectedPorts, ips: [], phase: 'Running', source: { file: 't.yaml', document: 0 },
    });
  });

  it('a workload without a template is an error', () => {
    const r = normalize({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'ns' }, spec: { jobTemplate: {} } });
    expect(r.object).toBeUndefined();
    expect(errors(r.problems).map((p) => p.field)).toEqual(['spec.jobTemplate.spec']);
  });
});

describe('Namespace', () => {
  it('gets the kubernetes.io/metadata.name label', () => {
    const r = normalize({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } } });
    expect(r.problems).toEqual([]);
    expect(r.object).toEqual({ type: 'namespace', value: { name: 'shop', labels: { team: 'a', 'kubernetes.io/metadata.name': 'shop' }, source: { file: 't.yaml', document: 0 } } });
  });

  it('overrides a wrong kubernetes.io/metadata.name, with a warning', () => {
    const r = normalize({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'other' } } });
    expect(r.object?.type === 'namespace' && r.object.value.labels).toEqual({ 'kubernetes.io/metadata.name': 'shop' });
    expect(warnings(r.problems).map((p) => p.field)).toEqual(['metadata.labels["kubernetes.io/metadata.name"]']);
  });
});

describe('Node', () => {
  it('reads InternalIP before ExternalIP, and pod CIDRs', () => {
    const r = normalize({
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' },
      spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:1::/64'] },
      status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'ExternalIP', address: '203.0.113.7' }, { type: 'InternalIP', address: '192.168.1.10' }] },
    });
    expect(r.problems).toEqual([]);
    expect(r.object).toEqual({ type: 'node', value: { name: 'n1', addresses: ['192.168.1.10', '203.0.113.7'], podCIDRs: ['10.244.1.0/24', 'fd00:1::/64'], source: { file: 't.yaml', document: 0 } } });
  });

  it('falls back to spec.podCIDR', () => {
    const r = normalize({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' } });
    expect(r.object?.type === 'node' && r.object.value.podCIDRs).toEqual(['10.244.1.0/24']);
  });

  it('keeps addresses and CIDRs in canonical form, says what it read differently, skips bad ones with a warning', () => {
    const r = normalize({
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' },
      spec: { podCIDRs: ['10.244.1.7/24', 'FD00:1::/64', '10.300.0.0/16'] },
      status: { addresses: [{ type: 'InternalIP', address: '192.168.001.10' }, { type: 'InternalIP', address: '2001:DB8::1' }, { type: 'ExternalIP', address: 'nope' }] },
    });
    expect(r.object?.type === 'node' && [r.object.value.addresses, r.object.value.podCIDRs]).toEqual([
      ['192.168.1.10', '2001:db8::1'], ['10.244.1.0/24', 'fd00:1::/64'],
    ]);
    expect(r.problems.map((p) => [p.severity, p.field, p.message])).toEqual([
      ['warning', 'status.addresses[0].address', '"192.168.001.10" has leading zeros; read as 192.168.1.10'],
      ['warning', 'status.addresses[2].address', '"nope" is not a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff); skipped'],
      ['warning', 'spec.podCIDRs[0]', '10.244.1.7/24 has bits set beyond the prefix length; treated as 10.244.1.0/24 (the API server masks it the same way)'],
      ['warning', 'spec.podCIDRs[2]', '"10.300.0.0/16" is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64); skipped'],
    ]);
  });
});

describe('object envelope', () => {
  it('ignores kinds it does not model, with a debug note', () => {
    const r = normalize({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } });
    expect(r.object).toBeUndefined();
    expect(r.problems.map((p) => p.severity)).toEqual(['debug']);
  });

  it('ignores other groups\' NetworkPolicy kinds', () => {
    const r = normalize({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 's', namespace: 'x' } });
    expect(r.object).toBeUndefined();
    expect(r.problems.map((p) => p.severity)).toEqual(['debug']);
  });

  it.each([
    { name: 'old NetworkPolicy group', value: { apiVersion: 'extensions/v1beta1', kind: 'NetworkPolicy', metadata: { name: 'p' } }, field: 'apiVersion' },
    { name: 'missing kind', value: { apiVersion: 'v1', metadata: { name: 'p' } }, field: 'kind' },
    { name: 'missing apiVersion', value: { kind: 'Pod', metadata: { name: 'p' } }, field: 'apiVersion' },
    { name: 'missing name', value: { apiVersion: 'v1', kind: 'Pod', metadata: {} }, field: 'metadata.name' },
    { name: 'not a mapping', value: ['a'], field: undefined },
  ])('$name is an error', ({ value, field }) => {
    const r = normalize(value);
    expect(r.object).toBeUndefined();
    expect(errors(r.problems).map((p) => p.field)).toEqual([field]);
  });
});
