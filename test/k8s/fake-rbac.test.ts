// The fake API server's RBAC (fake-rbac.ts): request attributes read from the
// URL as kube-apiserver reads them, rules matched as its RBAC authorizer does.
import { describe, expect, it } from 'vitest';
import { allowed, forbiddenMessage, requestAttributes, type PolicyRule } from './fake-rbac.ts';

const attrs = (method: string, path: string) => requestAttributes(method, new URL(path, 'http://fake'));

describe('requestAttributes', () => {
  it.each([
    ['GET', '/api/v1/pods?limit=500', { verb: 'list', apiGroup: '', resource: 'pods', namespace: '', name: '' }],
    ['GET', '/api/v1/pods?watch=true&resourceVersion=5', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/shop/pods', { verb: 'watch', resource: 'pods', namespace: 'shop' }],
    ['GET', '/api/v1/namespaces/shop/pods/db', { verb: 'get', resource: 'pods', namespace: 'shop', name: 'db' }],
    ['GET', '/api/v1/namespaces/shop', { verb: 'get', resource: 'namespaces', name: 'shop' }],
    ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces' }],
    ['GET', '/apis/networking.k8s.io/v1/networkpolicies?watch=1', { verb: 'watch', apiGroup: 'networking.k8s.io', resource: 'networkpolicies' }],
    ['PATCH', '/api/v1/nodes/n1/status', { verb: 'patch', resource: 'nodes', name: 'n1', subresource: 'status' }],
    ['DELETE', '/api/v1/namespaces/shop/pods', { verb: 'deletecollection', resource: 'pods', namespace: 'shop' }],
    ['POST', '/api/v1/namespaces/shop/pods', { verb: 'create', resource: 'pods' }],
    ['GET', '/version', { verb: 'get', resourceRequest: false, path: '/version' }],
    ['GET', '/apis/networking.k8s.io', { resourceRequest: false }],
  ] as const)('%s %s', (method, path, want) => {
    expect(attrs(method, path)).toMatchObject(want);
  });
});

describe('allowed', () => {
  const reader: PolicyRule[] = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }];
  it('grants the verbs on the resources of its group, nothing else', () => {
    expect(allowed(reader, attrs('GET', '/api/v1/pods'))).toBe(true);
    expect(allowed(reader, attrs('GET', '/api/v1/namespaces/x/pods?watch=true'))).toBe(true);
    expect(allowed(reader, attrs('DELETE', '/api/v1/namespaces/x/pods/a'))).toBe(false);
    expect(allowed(reader, attrs('GET', '/api/v1/nodes'))).toBe(false);
    expect(allowed(reader, attrs('GET', '/apis/other.io/v1/pods'))).toBe(false);
    expect(allowed(reader, attrs('GET', '/api/v1/namespaces/x/pods/a/log'))).toBe(false);
  });
  it('discovery is every authenticated user\'s; resourceNames never grant list or watch', () => {
    expect(allowed([], attrs('GET', '/apis'))).toBe(true);
    expect(allowed([], attrs('GET', '/metrics'))).toBe(false);
    const named: PolicyRule[] = [{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['c'], verbs: ['get', 'list'] }];
    expect(allowed(named, attrs('GET', '/apis/apps/v1/namespaces/n/daemonsets/c'))).toBe(true);
    expect(allowed(named, attrs('GET', '/apis/apps/v1/namespaces/n/daemonsets/d'))).toBe(false);
    expect(allowed(named, attrs('GET', '/apis/apps/v1/namespaces/n/daemonsets'))).toBe(false);
  });
  it('says no as kube-apiserver does', () => {
    expect(forbiddenMessage('u', attrs('GET', '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies?watch=true')))
      .toBe('networkpolicies.networking.k8s.io is forbidden: User "u" cannot watch resource "networkpolicies" in API group "networking.k8s.io" in the namespace "shop"');
    expect(forbiddenMessage('u', attrs('GET', '/api/v1/namespaces/shop/pods/db')))
      .toBe('pods "db" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "shop"');
  });
});
