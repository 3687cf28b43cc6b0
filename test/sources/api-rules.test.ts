// The API server's validation beyond field types: object names, workload
// selectors against their templates, container port names.
import { describe, expect, it } from 'vitest';
import { errors, normalize, warnings } from './helpers.ts';

const deployment = (spec: Record<string, unknown>, kind = 'Deployment'): Record<string, unknown> =>
  ({ apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name: 'd', namespace: 'ns' }, spec });
const template = { metadata: { labels: { app: 'web', tier: 'front' } } };
const errorsOf = (value: unknown): string[][] => errors(normalize(value).problems).map((p) => [p.field ?? '', p.message]);

describe('workload selectors', () => {
  it('a selector that does not match the template labels is refused, as the API server does', () => {
    expect(errorsOf(deployment({ selector: { matchLabels: { app: 'api' } }, template }))).toEqual([
      ['spec.template.metadata.labels', 'Invalid value: {"app":"web","tier":"front"}: `selector` does not match template `labels`'],
    ]);
  });

  it('a matching selector (labels or expressions) is fine', () => {
    expect(errorsOf(deployment({ selector: { matchLabels: { app: 'web' } }, template }))).toEqual([]);
    expect(errorsOf(deployment({ selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, template }))).toEqual([]);
  });

  it.each(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'])('%s needs a selector, and not an empty one', (kind) => {
    expect(errorsOf(deployment({ template }, kind))).toEqual([['spec.selector', 'Required value']]);
    expect(errorsOf(deployment({ selector: {}, template }, kind))).toEqual([['spec.selector', `Invalid value: empty selector is invalid for ${kind.toLowerCase()}`]]);
  });

  it('a Job may leave its selector out (the server generates one), but a given one must match', () => {
    expect(errorsOf(deployment({ template }, 'Job'))).toEqual([]);
    expect(errorsOf(deployment({ selector: { matchLabels: { app: 'x' } }, template }, 'Job')).map(([f]) => f)).toEqual(['spec.template.metadata.labels']);
  });
});

describe('container port names', () => {
  const pod = (containers: unknown[]): unknown => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers } });

  it('a name used twice in one container is refused (Duplicate value)', () => {
    const r = normalize(pod([{ name: 'c', ports: [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 8080 }] }]));
    expect(errors(r.problems).map((p) => [p.field, p.message])).toEqual([
      ['spec.containers[0].ports[1].name', 'Duplicate value: "http" (first at spec.containers[0].ports[0].name)'],
    ]);
  });

  it('a name used in two containers is a warning, as the API server gives', () => {
    const r = normalize(pod([{ name: 'a', ports: [{ name: 'http', containerPort: 80 }] }, { name: 'b', ports: [{ name: 'http', containerPort: 8080 }] }]));
    expect(errors(r.problems)).toEqual([]);
    expect(warnings(r.problems).map((p) => p.field)).toEqual(['spec.containers[1].ports[0].name']);
  });
});

describe('object names', () => {
  const named = (kind: string, name: string, namespace?: string): unknown => {
    const apiVersion = { NetworkPolicy: 'networking.k8s.io/v1', CronJob: 'batch/v1' }[kind] ?? 'v1';
    return { apiVersion, kind, metadata: { name, ...(namespace !== undefined && { namespace }) }, ...(kind === 'CronJob' && { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: {} } } } }) };
  };

  it('a Namespace name is a DNS-1123 label: no dots, at most 63 characters', () => {
    expect(errorsOf(named('Namespace', 'shop'))).toEqual([]);
    expect(errorsOf(named('Namespace', 'shop.eu'))).toEqual([['metadata.name', expect.stringMatching(/^Invalid value: "shop\.eu": a lowercase RFC 1123 label must consist of/)]]);
    expect(errorsOf(named('Namespace', 'a'.repeat(64)))).toEqual([['metadata.name', expect.stringMatching(/must be no more than 63 characters$/)]]);
  });

  it.each(['Pod', 'NetworkPolicy', 'Node'])('a %s name is a DNS-1123 subdomain: dots allowed, no capitals or underscores', (kind) => {
    expect(errorsOf(named(kind, 'web.v2', 'ns'))).toEqual([]);
    expect(errorsOf(named(kind, 'Web_1', 'ns'))).toEqual([['metadata.name', expect.stringMatching(/^Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of/)]]);
  });

  it('a hostile name is refused, shown escaped', () => {
    expect(errorsOf(named('NetworkPolicy', 'evil" } ; flush ruleset ; #\n', 'ns'))).toEqual([
      ['metadata.name', expect.stringContaining('Invalid value: "evil\\" } ; flush ruleset ; #\\n"')],
    ]);
  });

  it('a CronJob name is at most 52 characters', () => {
    expect(errorsOf(named('CronJob', 'c'.repeat(52), 'ns'))).toEqual([]);
    expect(errorsOf(named('CronJob', 'c'.repeat(53), 'ns'))).toEqual([['metadata.name', expect.stringMatching(/must be no more than 52 characters$/)]]);
  });

  it('metadata.namespace must be a Namespace name', () => {
    expect(errorsOf(named('Pod', 'p', 'Shop'))).toEqual([['metadata.namespace', expect.stringMatching(/^Invalid value: "Shop": a lowercase RFC 1123 label/)]]);
  });
});
