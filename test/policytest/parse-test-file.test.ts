import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/model/problems.ts';
import { parseTestFile } from '../../src/policytest/parse-test-file.ts';
import { expandCases } from '../../src/policytest/run-tests.ts';

const HEAD = 'apiVersion: nftpol.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: t}\n';

function parse(text: string) {
  return parseTestFile(text, 'tests/t.yaml', '/abs/tests/t.yaml');
}

function errors(text: string): string[] {
  return parse(text).problems.map(formatProblem);
}

describe('parseTestFile', () => {
  it('reads a PolicyTest with defaults, lists and names', () => {
    const r = parse(`${HEAD}resources: [../manifests/*.yaml]
cases:
  - {from: shop/api, to: shop/db, port: 5432, expect: allow}
  - {name: no web, from: [shop/web, other/x], to: shop/db, port: postgres, protocol: UDP, expect: deny}
`);
    expect(r.problems).toEqual([]);
    expect(r.tests).toHaveLength(1);
    const t = r.tests[0]!;
    expect(t).toMatchObject({ name: 't', file: 'tests/t.yaml', path: '/abs/tests/t.yaml', document: 0, resources: ['../manifests/*.yaml'], objects: [] });
    expect(t.cases[0]).toEqual({ index: 0, field: 'cases[0]', from: ['shop/api'], fromList: false, to: ['shop/db'], toList: false, port: 5432, protocol: 'TCP', expect: 'allow' });
    expect(t.cases[1]).toMatchObject({ name: 'no web', from: ['shop/web', 'other/x'], fromList: true, port: 'postgres', protocol: 'UDP', expect: 'deny' });
    expect(t.lineOf('cases[1]')).toBe(7);
    expect(t.lineOf('cases[1].from[1]')).toBe(7);
  });

  it('expands every from/to pair of a case, naming each end by its index', () => {
    const t = parse(`${HEAD}cases:
  - {from: [a/1, a/2, a/3], to: [b/1, b/2], port: 80, expect: deny}
  - {from: a/1, to: b/1, port: 80, expect: allow}
`).tests[0]!;
    const expanded = expandCases(t);
    expect(expanded).toHaveLength(7);
    expect(expanded.map((e) => `${e.from}>${e.to}`).slice(0, 3)).toEqual(['a/1>b/1', 'a/1>b/2', 'a/2>b/1']);
    expect(expanded[3]).toMatchObject({ fromField: 'cases[0].from[1]', toField: 'cases[0].to[1]' });
    expect(expanded[6]).toMatchObject({ fromField: 'cases[1].from', toField: 'cases[1].to' });
  });

  it('reads several PolicyTests from one file and skips documents of other kinds', () => {
    const r = parse(`${HEAD}cases: [{from: a/b, to: c/d, port: 1, expect: allow}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: second}
cases: [{from: a/b, to: c/d, port: 2, expect: deny}]
`);
    expect(r.problems).toEqual([]);
    expect(r.tests.map((t) => [t.name, t.document])).toEqual([['t', 0], ['second', 2]]);
  });

  it('says a file holds no PolicyTest', () => {
    const r = parse('apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
    expect(r).toMatchObject({ hasPolicyTest: false, tests: [] });
  });

  it('rejects unknown fields at every level, naming file, line, document and field', () => {
    expect(errors(`${HEAD}extra: 1\ncases:\n  - {from: a/b, to: c/d, port: 80, expect: allow, colour: red}\n`)).toEqual([
      'tests/t.yaml:4 doc 0: PolicyTest t: extra: unknown field (allowed: apiVersion, kind, metadata, resources, objects, cases, steps)',
      'tests/t.yaml:6 doc 0: PolicyTest t: cases[0].colour: unknown field (allowed: name, from, to, port, protocol, expect)',
    ]);
  });

  it('rejects a bad expect, a missing port and a bad protocol', () => {
    expect(errors(`${HEAD}cases:
  - {from: a/b, to: c/d, port: 80, expect: maybe}
  - {from: a/b, to: c/d, expect: allow}
  - {from: a/b, to: c/d, port: 80, protocol: tcp, expect: deny}
  - {from: a/b, to: c/d, port: 70000}
`)).toEqual([
      'tests/t.yaml:5 doc 0: PolicyTest t: cases[0].expect: must be allow or deny, got string "maybe"',
      'tests/t.yaml:6 doc 0: PolicyTest t: cases[1].port: missing: want a port number or a container port name',
      'tests/t.yaml:7 doc 0: PolicyTest t: cases[2].protocol: unknown protocol "tcp" (want TCP, UDP or SCTP); protocols are case-sensitive: write TCP',
      'tests/t.yaml:8 doc 0: PolicyTest t: cases[3].port: port 70000 is out of range 1-65535',
      'tests/t.yaml:8 doc 0: PolicyTest t: cases[3].expect: missing: want allow or deny',
    ]);
  });

  it('rejects bad endpoints and ports by their shape', () => {
    expect(errors(`${HEAD}cases:
  - {from: [], to: c/d, port: "80/UDP", expect: allow}
  - from: [a/b, 7]
    to: {pod: x}
    port: Http
    expect: allow
`)).toEqual([
      'tests/t.yaml:5 doc 0: PolicyTest t: cases[0].from: must list at least one endpoint',
      'tests/t.yaml:5 doc 0: PolicyTest t: cases[0].port: bad port name "80/UDP": only lowercase letters, digits and \'-\' are allowed (write the protocol in `protocol:`)',
      'tests/t.yaml:6 doc 0: PolicyTest t: cases[1].from[1]: must be an endpoint (namespace/name, KIND/namespace/name, ip:ADDRESS or node:NAME), got number 7',
      'tests/t.yaml:7 doc 0: PolicyTest t: cases[1].to: must be an endpoint (namespace/name, KIND/namespace/name, ip:ADDRESS or node:NAME) or a list of them, got a mapping',
      'tests/t.yaml:8 doc 0: PolicyTest t: cases[1].port: bad port name "Http": only lowercase letters, digits and \'-\' are allowed',
    ]);
  });

  it('requires apiVersion, metadata.name and cases', () => {
    expect(errors('apiVersion: nftpol.dev/v1\nkind: PolicyTest\nmetadata: {}\ncases: []\nresources: ../x.yaml\n')).toEqual([
      'tests/t.yaml:1 doc 0: PolicyTest: apiVersion: must be nftpol.dev/v1alpha1, got string "nftpol.dev/v1"',
      'tests/t.yaml:3 doc 0: PolicyTest: metadata.name: missing',
      'tests/t.yaml:5 doc 0: PolicyTest: resources: must be a list of paths or globs, got string "../x.yaml"',
      'tests/t.yaml:4 doc 0: PolicyTest: cases: must list at least one case',
    ]);
  });

  it('reports YAML syntax errors in a document that says it is a PolicyTest, with its document index', () => {
    const r = parse(`apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n${HEAD}cases: [{from: a/b, to: c/d\n`);
    expect(r.hasPolicyTest).toBe(true);
    expect(r.tests).toEqual([]);
    expect(r.problems.length).toBeGreaterThan(0);
    expect(formatProblem(r.problems[0]!)).toMatch(/^tests\/t\.yaml:\d+ doc 1: YAML: /);
  });

  it('rejects inline objects that are not mappings', () => {
    expect(errors(`${HEAD}objects: [{kind: Pod}, 3]\ncases: [{from: a/b, to: c/d, port: 80, expect: allow}]\n`)).toEqual([
      'tests/t.yaml:4 doc 0: PolicyTest t: objects[1]: must be a Kubernetes object (a mapping), got number 3',
    ]);
  });
});
