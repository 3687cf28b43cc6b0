// Whole-input rules: implicit namespaces, duplicates, workloads whose pods are
// present, and deterministic pod addresses.
import { describe, expect, it } from 'vitest';
import { assembleCluster } from '../../src/sources/assemble-cluster.ts';
import type { RawObject } from '../../src/sources/normalize-object.ts';
import type { SourceProblem } from '../../src/model/problems.ts';
import type { ClusterObjects, Pod } from '../../src/model/types.ts';
import { podKey } from '../../src/model/types.ts';
import { assignPodAddresses } from '../../src/sources/load-cluster.ts';

/** An apps/v1 workload spec the API accepts: a selector that matches its template's labels. */
const workloadSpec = { selector: { matchLabels: { app: 'w' } }, template: { metadata: { labels: { app: 'w' } } } };
const raws = (...values: unknown[]): RawObject[] => values.map((value, document) => ({ source: { file: 'f.yaml', document }, value }));
const podObj = (name: string, namespace: string, metadata: object = {}): unknown =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, ...metadata } });

describe('assembleCluster', () => {
  it('creates undeclared namespaces with only the name label, noting it at debug level', () => {
    const { objects, problems } = assembleCluster(raws(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { x: 'y' } } },
      podObj('p', 'a'),
      podObj('q', 'b'),
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'c' }, spec: {} },
    ));
    expect(objects.namespaces.map((n) => [n.name, n.labels])).toEqual([
      ['a', { x: 'y', 'kubernetes.io/metadata.name': 'a' }],
      ['b', { 'kubernetes.io/metadata.name': 'b' }],
      ['c', { 'kubernetes.io/metadata.name': 'c' }],
    ]);
    expect(problems.map((p) => [p.severity, p.kind, p.name, p.document])).toEqual([
      ['debug', 'Namespace', 'b', 2],
      ['debug', 'Namespace', 'c', 3],
    ]);
  });

  it('keeps the first of duplicates of one kind', () => {
    const { objects, problems } = assembleCluster(raws(
      podObj('p', 'a', { labels: { v: '1' } }),
      podObj('p', 'a', { labels: { v: '2' } }),
    ));
    expect(objects.pods.map((p) => [p.kind, p.labels])).toEqual([['Pod', { v: '1' }]]);
    expect(problems.filter((p) => p.severity !== 'debug').map((p) => [p.severity, p.kind, p.document, p.message])).toEqual([
      ['error', 'Pod', 1, 'duplicate Pod: also defined at f.yaml doc 0; an object may be defined once, so the input is refused'],
    ]);
  });

  it('keeps a Pod and a workload of one namespace/name: the Pod holds the plain key, the workload is keyed by kind', () => {
    const deployment = (name: string): unknown =>
      ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'a' }, spec: workloadSpec });
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'p', namespace: 'a' }, spec: workloadSpec };
    // The Deployment comes first in the file; the Pod still holds a/p.
    const { objects, problems } = assembleCluster(raws(deployment('p'), podObj('p', 'a'), sts, deployment('q')));
    expect(objects.pods.map((p) => [p.kind, podKey(p)])).toEqual([
      ['Deployment', 'deploy/a/p'], ['Pod', 'a/p'], ['StatefulSet', 'sts/a/p'], ['Deployment', 'a/q'],
    ]);
    expect(problems.filter((p) => p.severity !== 'debug').map((p) => [p.severity, p.kind, p.document, p.message])).toEqual([
      ['warning', 'Deployment', 0, 'has the same namespace/name as Pod at f.yaml doc 1; a/p names the Pod, write deploy/a/p for this Deployment'],
      ['warning', 'StatefulSet', 2, 'has the same namespace/name as Pod at f.yaml doc 1; a/p names the Pod, write sts/a/p for this StatefulSet'],
    ]);
  });

  it('drops workloads whose pods are in the input', () => {
    const owned = (kind: string, name: string): object => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind, name, controller: true, uid: 'u' }] });
    const { objects } = assembleCluster(raws(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'a' }, spec: workloadSpec },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'a', ...owned('Deployment', 'web') }, spec: workloadSpec },
      podObj('web-1-x', 'a', owned('ReplicaSet', 'web-1')),
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'a' }, spec: workloadSpec },
    ));
    expect(objects.pods.map((p) => `${p.kind} ${p.name}`)).toEqual(['Pod web-1-x', 'Deployment api']);
  });
});

describe('assignPodAddresses', () => {
  const pod = (name: string, over: Partial<Pod> = {}): Pod =>
    ({ namespace: 'ns', name, kind: 'Pod', labels: {}, ips: [], hostNetwork: false, phase: 'Running', ports: [], ...over });
  const cluster = (pods: Pod[], nodes: ClusterObjects['nodes'] = []): ClusterObjects => ({ namespaces: [], pods, policies: [], nodes });
  const ips = (c: ClusterObjects): Record<string, readonly string[]> => Object.fromEntries(c.pods.map((p) => [p.name, p.ips]));

  it('numbers pods without addresses in name order, skipping taken ones', () => {
    const out = assignPodAddresses(cluster([
      pod('c'), pod('a'), pod('b', { ips: ['10.244.0.2'] }), pod('d', { kind: 'Deployment' }),
      pod('done', { phase: 'Succeeded' }),
    ]));
    expect(ips(out)).toEqual({ a: ['10.244.0.1'], b: ['10.244.0.2'], c: ['10.244.0.3'], d: ['10.244.0.4'], done: [] });
  });

  it('is deterministic whatever the input order', () => {
    const ps = [pod('x'), pod('y'), pod('z', { namespace: 'a' })];
    expect(ips(assignPodAddresses(cluster(ps)))).toEqual(ips(assignPodAddresses(cluster([...ps].reverse()))));
    expect(ips(assignPodAddresses(cluster(ps))).z).toEqual(['10.244.0.1']);
  });

  it('skips .0 and .255', () => {
    const many = Array.from({ length: 300 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`));
    const out = ips(assignPodAddresses(cluster(many)));
    expect(out.p253).toEqual(['10.244.0.254']);
    expect(out.p254).toEqual(['10.244.1.1']);
  });

  it('gives host-network pods their node address, or one per unknown node', () => {
    const out = assignPodAddresses(cluster(
      [
        pod('h1', { hostNetwork: true, nodeName: 'n1' }),
        pod('h2', { hostNetwork: true, nodeName: 'n1' }),
        pod('h3', { hostNetwork: true, nodeName: 'ghost' }),
        pod('h4', { hostNetwork: true }),
        pod('h5', { hostNetwork: true, nodeName: 'ghost' }),
      ],
      [{ name: 'n1', addresses: ['192.168.1.10'], podCIDRs: [] }],
    ));
    expect(ips(out)).toEqual({
      h1: ['192.168.1.10'], h2: ['192.168.1.10'], h3: ['192.168.255.1'], h4: ['192.168.255.2'], h5: ['192.168.255.1'],
    });
  });
});

describe('overlapping pod CIDRs', () => {
  const nodeObj = (name: string, podCIDRs: string[]): unknown => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDRs } });
  const errorsOf = (problems: readonly SourceProblem[]) =>
    problems.filter((p) => p.severity === 'error').map((p) => [p.kind, p.name, p.document, p.message]);

  it('are an error on the later node, naming both nodes and both CIDRs; the later CIDR is dropped', () => {
    const { objects, problems } = assembleCluster(raws(
      nodeObj('node-a', ['10.244.0.0/16', 'fd00:10:244::/48']),
      nodeObj('node-b', ['10.244.1.0/24', 'fd00:10:244:1::/64']),
      nodeObj('node-c', ['10.245.0.0/24']),
    ));
    expect(errorsOf(problems)).toEqual([
      ['Node', 'node-b', 1, 'pod CIDR 10.244.1.0/24 overlaps pod CIDR 10.244.0.0/16 of Node node-a (f.yaml doc 0); the API server never gives nodes overlapping pod CIDRs, and an address in both would belong to two nodes; 10.244.1.0/24 is ignored'],
      ['Node', 'node-b', 1, 'pod CIDR fd00:10:244:1::/64 overlaps pod CIDR fd00:10:244::/48 of Node node-a (f.yaml doc 0); the API server never gives nodes overlapping pod CIDRs, and an address in both would belong to two nodes; fd00:10:244:1::/64 is ignored'],
    ]);
    expect(objects.nodes.map((n) => [n.name, n.podCIDRs])).toEqual([
      ['node-a', ['10.244.0.0/16', 'fd00:10:244::/48']],
      ['node-b', []],
      ['node-c', ['10.245.0.0/24']],
    ]);
  });

  it('are found whichever comes first, the larger or the smaller, and for equal CIDRs', () => {
    const { problems } = assembleCluster(raws(nodeObj('small', ['10.244.1.0/24']), nodeObj('big', ['10.244.0.0/16']), nodeObj('same', ['10.244.1.0/24'])));
    expect(errorsOf(problems).map(([, name, , message]) => `${String(name)}: ${String(message).split(';')[0]}`)).toEqual([
      'big: pod CIDR 10.244.0.0/16 overlaps pod CIDR 10.244.1.0/24 of Node small (f.yaml doc 0)',
      'same: pod CIDR 10.244.1.0/24 overlaps pod CIDR 10.244.1.0/24 of Node small (f.yaml doc 0)',
    ]);
  });

  it('within one node too', () => {
    const { objects, problems } = assembleCluster(raws(nodeObj('node-a', ['10.244.0.0/16', '10.244.1.0/24'])));
    expect(errorsOf(problems).map((e) => e[3])).toEqual([
      'pod CIDR 10.244.1.0/24 overlaps pod CIDR 10.244.0.0/16 of this Node; the API server never gives a node overlapping pod CIDRs, and nft would refuse its table; 10.244.1.0/24 is ignored',
    ]);
    expect(objects.nodes[0]?.podCIDRs).toEqual(['10.244.0.0/16']);
  });

  it('are compared with the CIDRs kept, so one dropped CIDR does not take its neighbours with it', () => {
    // b overlaps a and is dropped; c lies inside b but not inside a, so it stays.
    const { objects, problems } = assembleCluster(raws(nodeObj('a', ['10.244.0.0/24']), nodeObj('b', ['10.244.0.0/16']), nodeObj('c', ['10.244.1.0/24'])));
    expect(errorsOf(problems).map((e) => e[1])).toEqual(['b']);
    expect(objects.nodes.map((n) => n.podCIDRs)).toEqual([['10.244.0.0/24'], [], ['10.244.1.0/24']]);
  });

  it('adjacent CIDRs and the two families of a dual-stack node are fine', () => {
    const { problems } = assembleCluster(raws(
      nodeObj('a', ['10.244.0.0/24', 'fd00:10:244::/64']),
      nodeObj('b', ['10.244.1.0/24', 'fd00:10:244:1::/64']),
    ));
    expect(errorsOf(problems)).toEqual([]);
  });
});

describe('assignPodAddresses from node pod CIDRs', () => {
  const pod = (name: string, nodeName: string): Pod =>
    ({ namespace: 'ns', name, nodeName, kind: 'Pod', labels: {}, ips: [], hostNetwork: false, phase: 'Running', ports: [] });
  const ips = (c: ClusterObjects): Record<string, readonly string[]> => Object.fromEntries(c.pods.map((p) => [p.name, p.ips]));

  it('start after the gateway, stop before the broadcast address, and leave the rest without one', () => {
    const out = assignPodAddresses({
      namespaces: [], policies: [],
      nodes: [{ name: 'n1', addresses: [], podCIDRs: ['10.244.7.0/30', 'fd00:7::/64'] }],
      pods: [pod('a', 'n1'), pod('b', 'n1')],
    });
    expect(ips(out)).toEqual({ a: ['10.244.7.2'], b: [] });
  });

  it('keep pods of nodes without a pod CIDR out of every node\'s CIDR', () => {
    const out = assignPodAddresses({
      namespaces: [], policies: [],
      nodes: [{ name: 'n1', addresses: [], podCIDRs: ['10.244.0.0/25'] }, { name: 'n2', addresses: [], podCIDRs: [] }],
      pods: [pod('a', 'n1'), pod('b', 'n2')],
    });
    expect(ips(out)).toEqual({ a: ['10.244.0.2'], b: ['10.244.0.128'] });
  });
});
