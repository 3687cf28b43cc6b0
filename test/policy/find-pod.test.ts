// Pod and workload names as kubectl users write them, and what a name that
// finds nothing is answered with.
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { Pod } from '../../src/model/types.ts';
import { findPod, PodNameError } from '../../src/policy/find-pod.ts';
import { ns, pod } from '../generators/cluster-builders.ts';

const workload = (id: string, kind: Pod['kind'], keyedByKind = false): Pod =>
  ({ ...pod(id, {}, { ips: [] }), kind, ...(keyedByKind && { keyedByKind: true as const }) });

const state = new ClusterState({
  namespaces: [ns('shop'), ns('staging'), ns('empty')],
  pods: [
    pod('shop/api', {}, { ips: [] }),
    workload('shop/api', 'Deployment', true),
    workload('shop/db', 'StatefulSet'),
    workload('staging/api', 'Deployment'),
    pod('default/solo', {}, { ips: [] }),
    // A namespace called "deploy": "deploy/web" reads both ways.
    pod('deploy/web', {}, { ips: [] }),
    workload('default/web', 'Deployment'),
  ],
  policies: [],
  nodes: [],
});

const found = (spec: string, namespace?: string): string => {
  const p = findPod(state, spec, namespace);
  return `${p.kind} ${p.namespace}/${p.name}`;
};

describe('findPod: the forms', () => {
  it.each([
    ['solo', undefined, 'Pod default/solo'],
    ['api', 'shop', 'Pod shop/api'],
    ['db', 'shop', 'StatefulSet shop/db'],
    ['shop/db', 'staging', 'StatefulSet shop/db'], // a namespace written out wins over -n
    ['pod/solo', undefined, 'Pod default/solo'],
    ['po/api', 'shop', 'Pod shop/api'],
    ['deploy/api', 'shop', 'Deployment shop/api'],
    ['deployments.apps/api', 'shop', 'Deployment shop/api'],
    ['Deployment/api', 'staging', 'Deployment staging/api'],
    ['sts/db', 'shop', 'StatefulSet shop/db'],
    ['statefulset/shop/db', undefined, 'StatefulSet shop/db'],
    ['pod/shop/api', undefined, 'Pod shop/api'],
    ['deploy/shop/api', undefined, 'Deployment shop/api'],
  ])('%s (-n %s) is the %s', (spec, namespace, expected) => {
    expect(found(spec, namespace)).toBe(expected);
  });
});

describe('findPod: names that find nothing say what to write', () => {
  it.each([
    ['api', undefined, 'api: no pod or workload default/api (api is in namespaces shop, staging: write shop/api, or -n shop)'],
    ['deploy/api', undefined, 'deploy/api: no Deployment default/api (api is in namespaces shop, staging: write deploy/shop/api, or -n shop)'],
    ['deploy/shop/db', undefined, 'deploy/shop/db: no Deployment shop/db (shop/db is a StatefulSet: write sts/shop/db)'],
    ['shop/nope', undefined, 'shop/nope: no pod or workload shop/nope (namespace shop has deploy/shop/api, shop/api, shop/db)'],
    ['nope', 'empty', 'nope: no pod or workload empty/nope (write NAME, NAMESPACE/NAME, KIND/NAME or KIND/NAMESPACE/NAME (KIND: pod, deploy, sts, ds, rs, job, cronjob), ip:ADDRESS or node:NAME)'],
    ['nope', 'ghost', 'nope: no pod or workload ghost/nope (the input has no namespace ghost)'],
    ['ns/shop/api', undefined, 'ns/shop/api: a Namespace is not an endpoint: name a pod in it (NAMESPACE/NAME, or -n NAMESPACE and NAME)'],
    ['namespace/shop', undefined, 'namespace/shop: a Namespace is not an endpoint: name a pod in it (NAMESPACE/NAME, or -n NAMESPACE and NAME)'],
    ['svc/api', 'shop', 'svc/api: NetworkPolicy applies to pods, not Services (a connection to a Service reaches a pod behind it): name that pod or its workload'],
    ['node/n1', undefined, 'node/n1: write node:NAME for a node'],
    ['shop/deploy/api', undefined, 'shop/deploy/api: the kind comes first: write deploy/shop/api'],
    ['ingress/shop/api', undefined, 'ingress/shop/api: ingress is not a kind of pod or workload (write NAME, NAMESPACE/NAME, KIND/NAME or KIND/NAMESPACE/NAME (KIND: pod, deploy, sts, ds, rs, job, cronjob), ip:ADDRESS or node:NAME)'],
    ['deploy/web', undefined, 'deploy/web: names both the Pod deploy/web and the Deployment default/web: write pod/deploy/web or deploy/default/web'],
  ])('%s (-n %s)', (spec, namespace, message) => {
    expect(() => findPod(state, spec, namespace)).toThrow(new PodNameError(message));
  });

  it.each(['', '/api', 'shop/', 'a/b/c/d', ' /api'])('refuses the malformed %j', (spec) => {
    expect(() => findPod(state, spec)).toThrow(/not a pod or workload name \(write NAME, NAMESPACE\/NAME/);
  });
});
