// PolicyTest `steps`: parsing (good and bad forms) and running (a case that
// flips between states, reports that name the step, a delete of nothing);
// cluster-wide policies in `objects` and steps (a patch is an apply of the
// whole new object; a delete names no namespace).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/model/problems.ts';
import { parseTestFile } from '../../src/policytest/parse-test-file.ts';
import { expandCases } from '../../src/policytest/run-tests.ts';
import type { PolicyTestReport } from '../../src/policytest/report-json.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';
import { parseXml, Scratch } from './helpers.ts';

const HEAD = 'apiVersion: nftpol.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: t}\n';

function parse(text: string) {
  return parseTestFile(text, 'tests/t.yaml', '/abs/tests/t.yaml');
}

function errors(text: string): string[] {
  return parse(text).problems.map(formatProblem);
}

const CASE = '{from: shop/web, to: shop/db, port: 5432, expect: allow}';

describe('parseTestFile: steps', () => {
  it('reads steps with apply, delete and cases; the starting cases are optional then', () => {
    const r = parse(`${HEAD}steps:
  - name: web may reach db
    apply:
      - {apiVersion: v1, kind: Namespace, metadata: {name: extra}}
    delete:
      - {kind: NetworkPolicy, namespace: shop, name: db-allow-api}
      - {kind: Pod, name: p}
      - {kind: Namespace, name: other}
    cases:
      - ${CASE}
  - delete: [{kind: NetworkPolicy, namespace: shop, name: web-allow-http}]
    cases: [${CASE}, ${CASE}]
`);
    expect(r.problems).toEqual([]);
    const t = r.tests[0]!;
    expect(t.cases).toEqual([]);
    expect(t.steps).toHaveLength(2);
    expect(t.steps[0]).toMatchObject({
      index: 0,
      name: 'web may reach db',
      apply: [{ kind: 'Namespace', metadata: { name: 'extra' } }],
      // As kubectl: a namespaced kind without a namespace is in "default"; a Namespace has none.
      delete: [{ kind: 'NetworkPolicy', namespace: 'shop', name: 'db-allow-api' }, { kind: 'Pod', namespace: 'default', name: 'p' }, { kind: 'Namespace', name: 'other' }],
    });
    expect(t.steps[0]!.cases[0]).toMatchObject({ index: 0, step: 0, field: 'steps[0].cases[0]' });
    expect(t.steps[1]!.cases[1]).toMatchObject({ index: 1, step: 1, field: 'steps[1].cases[1]' });
    expect(t.steps[1]!.name).toBeUndefined();
    expect(t.lineOf('steps[1].cases[0]')).toBe(15);
    expect(expandCases(t).map((e) => e.fromField)).toEqual(['steps[0].cases[0].from', 'steps[1].cases[0].from', 'steps[1].cases[1].from']);
  });

  it('keeps the old form valid: no steps, starting cases required', () => {
    expect(parse(`${HEAD}cases: [${CASE}]\n`).tests[0]?.steps).toEqual([]);
    expect(errors(HEAD)).toEqual(['tests/t.yaml:1 doc 0: PolicyTest t: cases: missing: a PolicyTest needs at least one case']);
  });

  it('rejects bad steps, naming file, line and field', () => {
    expect(errors(`${HEAD}cases: [${CASE}]
steps:
  - name: ""
    aply: []
    apply: {kind: Pod}
    delete:
      - {kind: Pod, namespace: x}
      - {kind: Namespace, namespace: x, name: y}
      - just-a-name
    cases: []
  - cases: [${CASE}]
  - 7
`)).toEqual([
      'tests/t.yaml:7 doc 0: PolicyTest t: steps[0].aply: unknown field (allowed: name, apply, delete, cases)',
      'tests/t.yaml:6 doc 0: PolicyTest t: steps[0].name: must be a non-empty string, got string ""',
      'tests/t.yaml:8 doc 0: PolicyTest t: steps[0].apply: must be a list of Kubernetes objects, got a mapping',
      'tests/t.yaml:10 doc 0: PolicyTest t: steps[0].delete[0].name: missing',
      'tests/t.yaml:11 doc 0: PolicyTest t: steps[0].delete[1].namespace: a Namespace has no namespace (it is cluster-scoped)',
      'tests/t.yaml:12 doc 0: PolicyTest t: steps[0].delete[2]: must be a mapping {kind, namespace, name}, got string "just-a-name"',
      'tests/t.yaml:13 doc 0: PolicyTest t: steps[0].cases: must list at least one case',
      'tests/t.yaml:14 doc 0: PolicyTest t: steps[1]: a step must change the world: give apply and/or delete',
      'tests/t.yaml:15 doc 0: PolicyTest t: steps[2]: must be a mapping with apply and/or delete, and cases, got number 7',
    ]);
    expect(errors(`${HEAD}steps: []\n`)).toEqual(['tests/t.yaml:4 doc 0: PolicyTest t: steps: must list at least one step (or leave steps out)']);
    expect(errors(`${HEAD}steps:\n  - delete: [{kind: Pod, name: p}]\n`)).toEqual(['tests/t.yaml:5 doc 0: PolicyTest t: steps[0].cases: missing: a step needs at least one case']);
  });
});

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(async () => {
  await s.remove();
});

/** shop/web -> shop/db 5432 flips: denied at the start, allowed once web is relabeled app=api, denied again once a deny-all lands. */
const FLIPPING = `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: flips}
resources: [../manifests/*.yaml]
cases:
  - {from: shop/web, to: shop/db, port: 5432, expect: deny}
steps:
  - name: web relabeled app=api
    apply:
      - apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop, labels: {app: api}}
        spec: {containers: [{name: main, image: example/web, ports: [{name: http, containerPort: 80}]}]}
    cases:
      - {from: shop/web, to: shop/db, port: 5432, expect: allow}
  - delete: [{kind: NetworkPolicy, namespace: shop, name: db-allow-api}]
    cases:
      - {from: other/x, to: shop/db, port: 5432, expect: allow}
  - name: deny all into db
    apply:
      - apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db-deny, namespace: shop}
        spec: {podSelector: {matchLabels: {app: db}}, policyTypes: [Ingress]}
    cases:
      - {name: web again, from: shop/web, to: shop/db, port: 5432, expect: allow}
`;

describe('nftpol test: steps', () => {
  it('checks each step on the state after it (cumulative), and reports name the step', async () => {
    await s.write('steps/flips.yaml', FLIPPING);
    const r = await s.run('test', '-v', 'steps/flips.yaml');
    // The last case is wrong on purpose: deny-all is in force, and db-allow-api was deleted in the step before.
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  ok    cases[0] shop/web -> shop/db 5432/TCP: deny\n');
    expect(r.stdout).toContain('  ok    steps[0].cases[0] (step "web relabeled app=api") shop/web -> shop/db 5432/TCP: allow\n');
    expect(r.stdout).toContain('  ok    steps[1].cases[0] other/x -> shop/db 5432/TCP: allow\n');
    expect(r.stdout).toContain('  FAIL  steps[2].cases[0] "web again" (step "deny all into db") shop/web -> shop/db 5432/TCP: expected allow, got deny  (steps/flips.yaml:26)\n');
    expect(r.stdout).toContain('3 passed, 1 failed');

    const json = JSON.parse((await s.run('test', '-o', 'json', 'steps/flips.yaml')).stdout) as PolicyTestReport;
    expect(json.summary).toEqual({ files: 1, tests: 1, cases: 4, passed: 3, failed: 1 });
    expect(json.results.map((x) => [x.step, x.stepName, x.case, x.line, x.actual])).toEqual([
      [undefined, undefined, 0, 6, 'deny'],
      [0, 'web relabeled app=api', 0, 15, 'allow'],
      [1, undefined, 0, 18, 'allow'],
      [2, 'deny all into db', 0, 26, 'deny'],
    ]);

    const out = path.join(s.root, 'steps.xml');
    expect((await s.run('test', '--junit', out, 'steps/flips.yaml')).code).toBe(1);
    const cases = parseXml(await readFile(out, 'utf8')).children[0]!.children.filter((c) => c.name === 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual([
      'cases[0] shop/web -> shop/db 5432/TCP expect deny',
      '[web relabeled app=api] cases[0] shop/web -> shop/db 5432/TCP expect allow',
      '[steps[1]] cases[0] other/x -> shop/db 5432/TCP expect allow',
      '[deny all into db] web again: shop/web -> shop/db 5432/TCP expect allow',
    ]);
    const props = cases[3]!.children.find((c) => c.name === 'properties')!.children.map((p) => [p.attrs.name, p.attrs.value]);
    expect(props).toEqual([['step', '2'], ['stepName', 'deny all into db']]);
  });

  it('streams the same verdicts state by state with --output json', async () => {
    const streamed = await s.run('test', '-o', 'json', 'steps/flips.yaml');
    const report = JSON.parse(streamed.stdout) as PolicyTestReport;
    expect(report.results.map((x) => x.actual)).toEqual(['deny', 'allow', 'allow', 'deny']);
  });

  it('rejects a delete of an object the state does not hold (exit 2), naming the step field', async () => {
    await s.write('steps/missing.yaml', `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: missing}
resources: [../manifests/*.yaml]
steps:
  - delete: [{kind: NetworkPolicy, namespace: shop, name: db-allow-api}]
    cases: [{from: shop/web, to: shop/db, port: 5432, expect: allow}]
  - delete:
      - {kind: NetworkPolicy, namespace: shop, name: web-allow-http}
      - {kind: NetworkPolicy, namespace: shop, name: db-allow-api}
    cases: [{from: shop/web, to: shop/db, port: 5432, expect: allow}]
`);
    const r = await s.run('test', 'steps/missing.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: steps/missing.yaml:10 doc 0: PolicyTest missing: steps[1].delete[1]: NetworkPolicy shop/db-allow-api does not exist in the world before this step, so it cannot be deleted\n');
    expect(r.stderr).toMatch(/error: 1 error in the PolicyTests or their manifests; no case was run\n$/);
  });
});

/** A ClusterNetworkPolicy as a test writes it inline, at `priority`, denying ingress to shop. */
function cnpYaml(indent: string, priority: number | string, extra = ''): string {
  return [
    '- apiVersion: policy.networking.k8s.io/v1alpha2',
    '  kind: ClusterNetworkPolicy',
    `  metadata: {name: guard${extra}}`,
    `  spec: {tier: Admin, priority: ${priority}, subject: {namespaces: {matchLabels: {team: shop}}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}`,
  ].map((l) => `${indent}${l}\n`).join('');
}

const CLUSTER_STEPS = `${HEAD}objects:
${cnpYaml('  ', 10)}  - {apiVersion: policy.networking.k8s.io/v1alpha1, kind: BaselineAdminNetworkPolicy, metadata: {name: default}, spec: {subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [0.0.0.0/0]}]}]}}
cases: [${CASE}]
steps:
  - name: priority raised
    apply:
${cnpYaml('      ', 3)}      - {apiVersion: policy.networking.k8s.io/v1alpha1, kind: AdminNetworkPolicy, metadata: {name: guard}, spec: {priority: 4, subject: {namespaces: {}}}}
    cases: [${CASE}]
  - delete: [{kind: ClusterNetworkPolicy, name: guard}, {kind: BaselineAdminNetworkPolicy, name: default}]
    cases: [${CASE}]
`;

describe('cluster-wide policies in PolicyTests', () => {
  it('reads cluster-scoped delete refs without a namespace, and refuses one with a namespace', () => {
    const r = parse(CLUSTER_STEPS);
    expect(r.problems).toEqual([]);
    expect(r.tests[0]?.steps[1]?.delete).toEqual([{ kind: 'ClusterNetworkPolicy', name: 'guard' }, { kind: 'BaselineAdminNetworkPolicy', name: 'default' }]);
    expect(errors(`${HEAD}steps:\n  - delete: [{kind: AdminNetworkPolicy, namespace: shop, name: a}]\n    cases: [${CASE}]\n`)).toEqual([
      'tests/t.yaml:5 doc 0: PolicyTest t: steps[0].delete[0].namespace: an AdminNetworkPolicy has no namespace (it is cluster-scoped)',
    ]);
  });

  it('applies a whole new object as a patch (replacing it, kinds apart), and deletes by kind and name', async () => {
    const test = parse(CLUSTER_STEPS).tests[0]!;
    const loader = new TestWorldLoader({ cwd: '/abs' });
    const states = await Promise.all([0, 1, 2].map((i) => loader.worldFor(test, i)));
    const policies = states.map((w) => (w.world.objects.clusterPolicies ?? []).map((p) => `${p.kind}/${p.name}/${p.tier}/${p.priority}`));
    expect(policies).toEqual([
      ['ClusterNetworkPolicy/guard/Admin/10', 'BaselineAdminNetworkPolicy/default/Baseline/0'],
      ['BaselineAdminNetworkPolicy/default/Baseline/0', 'ClusterNetworkPolicy/guard/Admin/3', 'AdminNetworkPolicy/guard/Admin/4'],
      ['AdminNetworkPolicy/guard/Admin/4'],
    ]);
    for (const w of states) expect(w.problems.filter((p) => p.severity !== 'debug')).toEqual([]);
  });

  it('a metadata.namespace on a cluster-scoped object does not make it another object', async () => {
    const text = `${HEAD}objects:\n${cnpYaml('  ', 10)}steps:\n  - apply:\n${cnpYaml('      ', 2).replace('{name: guard}', '{name: guard, namespace: shop}')}    cases: [${CASE}]\n  - delete: [{kind: ClusterNetworkPolicy, name: guard}]\n    cases: [${CASE}]\n`;
    const test = parse(text).tests[0]!;
    const loader = new TestWorldLoader({ cwd: '/abs' });
    const [one, two] = await Promise.all([1, 2].map((i) => loader.worldFor(test, i)));
    expect(one!.world.objects.clusterPolicies?.map((p) => p.priority)).toEqual([2]);
    expect(one!.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(two!.world.objects.clusterPolicies).toBeUndefined();
  });

  it('an invalid inline policy is an error at its line in the test file, and is kept failing closed', async () => {
    const test = parse(`${HEAD}objects:\n${cnpYaml('  ', 1001)}cases: [${CASE}]\n`).tests[0]!;
    const { world, problems } = await new TestWorldLoader({ cwd: '/abs' }).worldFor(test);
    expect(problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([
      'tests/t.yaml:8 doc 0: ClusterNetworkPolicy guard: spec.priority: priority 1001 is out of range 0-1000',
    ]);
    expect(world.objects.clusterPolicies?.[0]).toMatchObject({ name: 'guard', failClosed: true, priority: 0 });
  });

  it('deleting a cluster-wide policy the state does not hold is an error naming the step field', async () => {
    const test = parse(`${HEAD}steps:\n  - delete: [{kind: ClusterNetworkPolicy, name: nope}]\n    cases: [${CASE}]\n`).tests[0]!;
    const { problems } = await new TestWorldLoader({ cwd: '/abs' }).worldFor(test, 1);
    expect(problems.map(formatProblem)).toContain(
      'tests/t.yaml:5 doc 0: PolicyTest t: steps[0].delete[0]: ClusterNetworkPolicy nope does not exist in the world before this step, so it cannot be deleted');
  });
});
