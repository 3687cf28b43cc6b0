import { describe, expect, it } from 'vitest';
import { policyFields } from '../../src/k8s/policy-fields.ts';

describe('policyFields', () => {
  it('keeps of a pod only what the engine reads', () => {
    const full = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' }, uid: 'u1', resourceVersion: '7', annotations: { big: 'x'.repeat(1000) }, managedFields: [{}], ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', controller: true }], creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { nodeName: 'n1', hostNetwork: false, volumes: [{}], containers: [{ name: 'c', image: 'nginx', env: [{ name: 'A', value: 'b' }], ports: [{ containerPort: 80 }] }], initContainers: [{ name: 'i', image: 'x', ports: [{ name: 'm', containerPort: 9 }] }] },
      status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }], conditions: [{}], containerStatuses: [{}] },
    };
    expect(policyFields('Pod', full)).toEqual({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' }, uid: 'u1', resourceVersion: '7', ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', controller: true }], creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { nodeName: 'n1', hostNetwork: false, containers: [{ name: 'c', ports: [{ containerPort: 80 }] }], initContainers: [{ name: 'i', ports: [{ name: 'm', containerPort: 9 }] }] },
      status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }] },
    });
  });

  it('keeps a whole policy spec, a node its CIDRs and addresses, and wrong shapes as they are', () => {
    const spec = { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }], unknownField: 1 };
    expect(policyFields('NetworkPolicy', { kind: 'NetworkPolicy', metadata: { name: 'p' }, spec })).toEqual({ kind: 'NetworkPolicy', metadata: { name: 'p' }, spec });
    expect(policyFields('Node', { metadata: { name: 'n' }, spec: { podCIDR: '10.0.0.0/24', taints: [] }, status: { addresses: [], capacity: {} } }))
      .toEqual({ metadata: { name: 'n' }, spec: { podCIDR: '10.0.0.0/24' }, status: { addresses: [] } });
    expect(policyFields('Pod', { metadata: 'x', spec: { containers: 'nope' }, status: [] })).toEqual({ metadata: 'x', spec: { containers: 'nope' }, status: [] });
    expect(policyFields('Namespace', { metadata: { name: 'a' }, spec: { finalizers: [] }, status: { phase: 'Active' } })).toEqual({ metadata: { name: 'a' } });
  });

  it('keeps of a cluster-wide policy its metadata and whole spec (not its status), of a node its labels', () => {
    const spec = { tier: 'Admin', priority: 10, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }], unknownField: 1 };
    const metadata = { name: 'c', labels: { team: 'net' }, uid: 'u', resourceVersion: '9', creationTimestamp: '2026-01-01T00:00:00Z' };
    for (const kind of ['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'] as const) {
      expect(policyFields(kind, { apiVersion: 'policy.networking.k8s.io/v1alpha2', kind, metadata: { ...metadata, annotations: { big: 'x' }, managedFields: [{}] }, spec, status: { conditions: [{}] } }))
        .toEqual({ apiVersion: 'policy.networking.k8s.io/v1alpha2', kind, metadata, spec });
    }
    expect(policyFields('Node', { metadata: { name: 'n', labels: { zone: 'a' }, annotations: { x: 'y' } } })).toEqual({ metadata: { name: 'n', labels: { zone: 'a' } } });
  });
});
