// Strict field validation (kubectl --validate): a misspelled or unknown field
// is an error naming file, line, object and field, and the field it probably
// meant; not a silently dropped part of a policy.
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import { normalizeObject } from '../../src/sources/normalize-object.ts';
import type { ValidationMode } from '../../src/sources/schema-check.ts';
import { errors, normalize, policyObject, warnings } from './helpers.ts';

const pod = (spec: unknown, metadata: object = {}): Record<string, unknown> =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...metadata }, spec });
const shown = (r: { problems: readonly { severity: string; field?: string; message: string }[] }): string[][] =>
  r.problems.filter((p) => p.severity !== 'debug').map((p) => [p.severity, p.field ?? '', p.message]);

describe('unknown fields', () => {
  it('podSelector.matchLabel is an error naming matchLabels, not an empty selector', () => {
    const r = normalize(policyObject({ podSelector: { matchLabel: { app: 'db' } } }));
    expect(shown(r)).toEqual([['error', 'spec.podSelector.matchLabel', 'unknown field "matchLabel" (did you mean "matchLabels"?)']]);
    expect(errors(r.problems)[0]).toMatchObject({ file: 't.yaml', kind: 'NetworkPolicy', name: 'p', namespace: 'ns' });
  });

  it('egres: is an error, not a policy without egress rules', () => {
    const r = normalize(policyObject({ podSelector: {}, egres: [{ to: [] }] }));
    expect(shown(r)).toEqual([['error', 'spec.egres', 'unknown field "egres" (did you mean "egress"?)']]);
  });

  it('a policy with a refused spec isolates both directions (what policyType: meant is unknown)', () => {
    const r = normalize(policyObject({ podSelector: {}, policyType: ['Egress'] }));
    expect(shown(r)).toEqual([['error', 'spec.policyType', 'unknown field "policyType" (did you mean "policyTypes"?)']]);
    expect(r.object?.type === 'policy' && r.object.value.policyTypes).toEqual(['Ingress', 'Egress']);
    const warned = normalizeObject({ source: { file: 't.yaml', document: 0 }, value: policyObject({ podSelector: {}, policyType: ['Egress'] }) }, { validate: 'warn' });
    expect(warned.object?.type === 'policy' && warned.object.value.policyTypes).toEqual(['Ingress']);
  });

  it('names an unknown field deep in a rule, with no guess when nothing is close', () => {
    const r = normalize(policyObject({ ingress: [{ from: [{ podSelector: {}, colour: 'blue' }] }] }));
    expect(shown(r)).toEqual([['error', 'spec.ingress[0].from[0].colour', 'unknown field "colour"']]);
  });

  it('containerport: names the unknown key and its near miss, without "containerPort is required"', () => {
    const r = normalize(pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerport: 80 }] }] }));
    expect(shown(r)).toEqual([['error', 'spec.containers[0].ports[0].containerport', 'unknown field "containerport" (did you mean "containerPort"?)']]);
  });

  it('kindt: names the unknown key, without "kind is required"', () => {
    const r = normalize({ apiVersion: 'v1', kindt: 'Pod', metadata: { name: 'p' } });
    expect(shown(r)).toEqual([['error', 'kindt', 'unknown field "kindt" (did you mean "kind"?)']]);
  });

  it('metdata: names the unknown key, without "metadata.name is required"', () => {
    const r = normalize({ apiVersion: 'v1', kind: 'Namespace', metdata: { name: 'x' } });
    expect(shown(r)).toEqual([['error', 'metdata', 'unknown field "metdata" (did you mean "metadata"?)']]);
  });

  it('checks fields nftpol never reads, in every modelled kind', () => {
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' },
      spec: { replica: 3, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', imagePullPolicy: 'Always', imagee: 'x' }] } } },
    };
    expect(shown(normalize(deployment))).toEqual([
      ['error', 'spec.replica', 'unknown field "replica" (did you mean "replicas"?)'],
      ['error', 'spec.template.spec.containers[0].imagee', 'unknown field "imagee" (did you mean "image"?)'],
    ]);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { podCIDR: '10.0.0.0/24', taint: [] } };
    expect(shown(normalize(node))).toEqual([['error', 'spec.taint', 'unknown field "taint" (did you mean "taints"?)']]);
    const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'ns' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [], restartPolcy: 'Never' } } } } } };
    expect(shown(normalize(cron))).toEqual([['error', 'spec.jobTemplate.spec.template.spec.restartPolcy', 'unknown field "restartPolcy" (did you mean "restartPolicy"?)']]);
  });

  it('kinds nftpol does not model are not checked', () => {
    const r = normalize({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { whatever: 1 } });
    expect(errors(r.problems)).toEqual([]);
  });
});

describe('wrong types', () => {
  it('is an error in a field nftpol does not read', () => {
    const r = normalize({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas: '3', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } } } } });
    expect(shown(r)).toEqual([['error', 'spec.replicas', 'must be an integer, got string "3"']]);
  });

  it('is reported once when a normalizer reads the field too', () => {
    const r = normalize(pod({ hostNetwork: 'yes' }));
    expect(shown(r)).toEqual([['error', 'spec.hostNetwork', 'must be true or false, got string "yes"']]);
  });
});

describe('--validate modes', () => {
  const typo = policyObject({ podSelector: {}, egres: [{}] });
  const run = (validate: ValidationMode): ReturnType<typeof normalizeObject> =>
    normalizeObject({ source: { file: 't.yaml', document: 0 }, value: typo }, { validate });

  it('strict (the default) makes an unknown field an error', () => {
    expect(errors(run('strict').problems)).toHaveLength(1);
    expect(normalize(typo).problems).toEqual(run('strict').problems);
  });

  it('warn makes it a warning and reads the object as the API would (without the field)', () => {
    const r = run('warn');
    expect(errors(r.problems)).toEqual([]);
    expect(warnings(r.problems).map((p) => [p.field, p.message])).toEqual([['spec.egres', 'unknown field "egres" (did you mean "egress"?); ignored (--validate=warn)']]);
    expect(r.object?.type === 'policy' && r.object.value.egress).toEqual([]);
  });

  it('ignore skips the check', () => {
    expect(run('ignore').problems.filter((p) => p.severity !== 'debug')).toEqual([]);
  });

  it('warn keeps a wrong type an error, as the decoder refuses it', () => {
    const r = normalizeObject({ source: { file: 't.yaml', document: 0 }, value: pod({ hostNetwork: 'yes' }) }, { validate: 'warn' });
    expect(errors(r.problems).map((p) => p.field)).toEqual(['spec.hostNetwork']);
  });
});

describe('from YAML text', () => {
  it('names the file, the line and the object', () => {
    const text = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata: {name: db, namespace: shop}',
      'spec:',
      '  podSelector:',
      '    matchLabel: {app: db}',
      '',
    ].join('\n');
    const [doc] = parseManifestText(text, 'policy.yaml').documents;
    const r = normalizeObject(doc as NonNullable<typeof doc>);
    expect(errors(r.problems)).toEqual([{
      severity: 'error', file: 'policy.yaml', document: 0, line: 6, kind: 'NetworkPolicy', name: 'db', namespace: 'shop',
      field: 'spec.podSelector.matchLabel', message: 'unknown field "matchLabel" (did you mean "matchLabels"?)',
    }]);
  });

  it('a duplicate key is an error of the YAML reader, with both lines', () => {
    const text = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: db}', 'spec:', '  ingress: []', '  ingress: [{}]', ''].join('\n');
    const parsed = parseManifestText(text, 'policy.yaml');
    expect(parsed.problems.map((p) => [p.severity, p.line])).toEqual([['error', 6]]);
    expect(parsed.problems[0]?.message).toMatch(/duplicate key "ingress" \(first at line 5\)/);
  });
});
