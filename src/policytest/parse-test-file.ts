// The PolicyTest file format: YAML documents of kind PolicyTest, each naming
// the manifests that make up a cluster and the connections that must be
// allowed or denied in it. Validation is strict: an unknown key, a missing
// port or an `expect` other than allow|deny is an error naming the file,
// document, case and field (and the line), never a silently skipped case.
import { childField, indexField, parseFieldPath } from '../sources/field-path.ts';
import { parseProtocol, portNameProblem, portNumberProblem } from '../sources/normalize-ports.ts';
import type { SourceProblem } from '../model/problems.ts';
import { describe, isRecord, type RawRecord } from '../sources/raw.ts';
import type { Protocol } from '../model/types.ts';
import {
  CLUSTER_SCOPED_KINDS, POLICY_TEST_API_VERSION, POLICY_TEST_KIND,
  type Expectation, type ObjectRef, type PolicyTest, type PolicyTestCase, type PolicyTestStep,
} from './policy-test.ts';
import { readYamlDocuments } from '../sources/yaml-documents.ts';

export interface ParsedTestFile {
  readonly tests: readonly PolicyTest[];
  readonly problems: readonly SourceProblem[];
  /** Whether any document declared kind PolicyTest (valid or not). */
  readonly hasPolicyTest: boolean;
}

const TOP_KEYS = ['apiVersion', 'kind', 'metadata', 'resources', 'objects', 'cases', 'steps'];
const STEP_KEYS = ['name', 'apply', 'delete', 'cases'];
const REF_KEYS = ['kind', 'namespace', 'name'];
const METADATA_KEYS = ['name', 'labels', 'annotations'];
const CASE_KEYS = ['name', 'from', 'to', 'port', 'protocol', 'expect'];

/** A quick test before parsing: a file that never says PolicyTest holds none. */
export function mayHoldPolicyTest(text: string): boolean {
  return /\bkind\s*:\s*["']?PolicyTest\b/.test(text) || /"kind"\s*:\s*"PolicyTest"/.test(text);
}

/**
 * Parses every PolicyTest document of a file. Documents of other kinds are
 * skipped (a folder of tests may hold manifests too). `file` is the path to
 * show, `path` the absolute one.
 */
export function parseTestFile(text: string, file: string, path: string): ParsedTestFile {
  const problems: SourceProblem[] = [];
  const tests: PolicyTest[] = [];
  let hasPolicyTest = false;
  for (const doc of readYamlDocuments(text)) {
    const document = doc.index;
    const syntaxErrors = doc.problems.filter((p) => p.severity === 'error');
    if (syntaxErrors.length > 0) {
      // A document that does not parse may or may not be a test; say so only
      // when its text claims to be one, or the whole file would otherwise be lost.
      if (!mayHoldPolicyTest(doc.text)) continue;
      hasPolicyTest = true;
      for (const e of syntaxErrors) {
        problems.push({ severity: 'error', file, document, ...(e.line !== undefined && { line: e.line }), message: e.message.startsWith('YAML: ') ? e.message : `YAML: ${e.message}` });
      }
      continue;
    }
    const raw = doc.value;
    if (!isRecord(raw) || raw.kind !== POLICY_TEST_KIND) continue;
    hasPolicyTest = true;
    const lineOf = (field: string): number | undefined => doc.lineOf(parseFieldPath(field));
    const reader = new TestReader(file, document, lineOf, nameOf(raw.metadata));
    const test = reader.readTest(raw, path);
    problems.push(...reader.problems);
    if (test && reader.problems.length === 0) tests.push(test);
  }
  return { tests, problems, hasPolicyTest };
}

function nameOf(metadata: unknown): string | undefined {
  return isRecord(metadata) && typeof metadata.name === 'string' ? metadata.name : undefined;
}

class TestReader {
  readonly problems: SourceProblem[] = [];
  private readonly file: string;
  private readonly document: number;
  private readonly lineOf: (field: string) => number | undefined;
  private readonly name: string | undefined;

  constructor(file: string, document: number, lineOf: (field: string) => number | undefined, name: string | undefined) {
    this.file = file;
    this.document = document;
    this.lineOf = lineOf;
    this.name = name;
  }

  error(field: string, message: string): void {
    const line = this.lineOf(field);
    this.problems.push({
      severity: 'error',
      file: this.file,
      document: this.document,
      ...(line !== undefined && { line }),
      kind: POLICY_TEST_KIND,
      ...(this.name !== undefined && { name: this.name }),
      ...(field !== '' && { field }),
      message,
    });
  }

  private unknownKeys(rec: RawRecord, allowed: readonly string[], base: string): void {
    for (const key of Object.keys(rec)) {
      if (!allowed.includes(key)) this.error(childField(base, key), `unknown field (allowed: ${allowed.join(', ')})`);
    }
  }

  readTest(raw: RawRecord, path: string): PolicyTest | undefined {
    this.unknownKeys(raw, TOP_KEYS, '');
    if (raw.apiVersion !== POLICY_TEST_API_VERSION) {
      this.error('apiVersion', `must be ${POLICY_TEST_API_VERSION}, got ${describe(raw.apiVersion)}`);
    }
    const name = this.readMetadata(raw.metadata);
    const resources = this.readResources(raw.resources);
    const objects = this.readObjects(raw.objects, 'objects');
    const hasSteps = raw.steps !== undefined && raw.steps !== null;
    // With steps, the starting state may go unchecked: its cases are optional.
    const cases = hasSteps && (raw.cases === undefined || raw.cases === null) ? [] : this.readCases(raw.cases, 'cases');
    const steps = this.readSteps(raw.steps);
    if (name === undefined || !cases || !steps) return undefined;
    return { file: this.file, path, document: this.document, name, resources, objects, cases, steps, lineOf: this.lineOf };
  }

  private readSteps(value: unknown): PolicyTestStep[] | undefined {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error('steps', `must be a list of steps (name, apply, delete, cases), got ${describe(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.error('steps', 'must list at least one step (or leave steps out)');
      return undefined;
    }
    const out: PolicyTestStep[] = [];
    value.forEach((item: unknown, i) => {
      const step = this.readStep(item, i);
      if (step) out.push(step);
    });
    return out.length === value.length ? out : undefined;
  }

  private readStep(value: unknown, index: number): PolicyTestStep | undefined {
    const base = indexField('steps', index);
    if (!isRecord(value)) {
      this.error(base, `must be a mapping with apply and/or delete, and cases, got ${describe(value)}`);
      return undefined;
    }
    const before = this.problems.length;
    this.unknownKeys(value, STEP_KEYS, base);
    let name: string | undefined;
    if (value.name !== undefined && value.name !== null) {
      if (typeof value.name === 'string' && value.name.trim() !== '') name = value.name;
      else this.error(`${base}.name`, `must be a non-empty string, got ${describe(value.name)}`);
    }
    const apply = this.readObjects(value.apply, `${base}.apply`);
    const del = this.readRefs(value.delete, `${base}.delete`);
    if (apply.length === 0 && del.length === 0 && this.problems.length === before) {
      this.error(base, 'a step must change the world: give apply and/or delete');
    }
    const cases = this.readCases(value.cases, `${base}.cases`, index);
    if (this.problems.length > before || !cases) return undefined;
    return { index, ...(name !== undefined && { name }), apply, delete: del, cases };
  }

  private readRefs(value: unknown, field: string): ObjectRef[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(field, `must be a list of {kind, namespace, name}, got ${describe(value)}`);
      return [];
    }
    const out: ObjectRef[] = [];
    value.forEach((item: unknown, i) => {
      const at = indexField(field, i);
      if (!isRecord(item)) {
        this.error(at, `must be a mapping {kind, namespace, name}, got ${describe(item)}`);
        return;
      }
      const before = this.problems.length;
      this.unknownKeys(item, REF_KEYS, at);
      for (const key of ['kind', 'name'] as const) {
        const v = item[key];
        if (typeof v !== 'string' || v === '') this.error(`${at}.${key}`, v === undefined ? 'missing' : `must be a non-empty string, got ${describe(v)}`);
      }
      const ns = item.namespace;
      const kind = typeof item.kind === 'string' ? item.kind : '';
      if (ns !== undefined && ns !== null) {
        if (typeof ns !== 'string' || ns === '') this.error(`${at}.namespace`, `must be a non-empty string, got ${describe(ns)}`);
        else if (CLUSTER_SCOPED_KINDS.has(kind)) this.error(`${at}.namespace`, `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} has no namespace (it is cluster-scoped)`);
      }
      if (this.problems.length > before) return;
      out.push({
        kind,
        // As kubectl: a namespaced object named without a namespace is in "default".
        ...(!CLUSTER_SCOPED_KINDS.has(kind) && { namespace: typeof ns === 'string' ? ns : 'default' }),
        name: item.name as string,
      });
    });
    return out;
  }

  private readMetadata(value: unknown): string | undefined {
    if (!isRecord(value)) {
      this.error('metadata', value === undefined ? 'missing: a PolicyTest needs metadata.name' : `must be a mapping, got ${describe(value)}`);
      return undefined;
    }
    this.unknownKeys(value, METADATA_KEYS, 'metadata');
    for (const key of ['labels', 'annotations']) {
      const m = value[key];
      if (m === undefined || m === null) continue;
      if (!isRecord(m)) this.error(`metadata.${key}`, `must be a mapping, got ${describe(m)}`);
      else for (const [k, v] of Object.entries(m)) {
        if (typeof v !== 'string') this.error(childField(`metadata.${key}`, k), `must be a string, got ${describe(v)}`);
      }
    }
    if (typeof value.name !== 'string' || value.name === '') {
      this.error('metadata.name', value.name === undefined ? 'missing' : `must be a non-empty string, got ${describe(value.name)}`);
      return undefined;
    }
    return value.name;
  }

  private readResources(value: unknown): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error('resources', `must be a list of paths or globs, got ${describe(value)}`);
      return [];
    }
    const out: string[] = [];
    value.forEach((item: unknown, i) => {
      if (typeof item === 'string' && item.trim() !== '') out.push(item);
      else this.error(indexField('resources', i), `must be a path or glob, got ${describe(item)}`);
    });
    return out;
  }

  private readObjects(value: unknown, field: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(field, `must be a list of Kubernetes objects, got ${describe(value)}`);
      return [];
    }
    const out: unknown[] = [];
    value.forEach((item: unknown, i) => {
      if (isRecord(item)) out.push(item);
      else this.error(indexField(field, i), `must be a Kubernetes object (a mapping), got ${describe(item)}`);
    });
    return out;
  }

  private readCases(value: unknown, field: string, step?: number): PolicyTestCase[] | undefined {
    if (value === undefined || value === null) {
      this.error(field, step === undefined ? 'missing: a PolicyTest needs at least one case' : 'missing: a step needs at least one case');
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.error(field, `must be a list, got ${describe(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.error(field, 'must list at least one case');
      return undefined;
    }
    const out: PolicyTestCase[] = [];
    value.forEach((item: unknown, i) => {
      const c = this.readCase(item, indexField(field, i), i, step);
      if (c) out.push(c);
    });
    return out;
  }

  private readCase(value: unknown, base: string, index: number, step: number | undefined): PolicyTestCase | undefined {
    if (!isRecord(value)) {
      this.error(base, `must be a mapping with from, to, port and expect, got ${describe(value)}`);
      return undefined;
    }
    const before = this.problems.length;
    this.unknownKeys(value, CASE_KEYS, base);
    let name: string | undefined;
    if (value.name !== undefined && value.name !== null) {
      if (typeof value.name === 'string') name = value.name;
      else this.error(`${base}.name`, `must be a string, got ${describe(value.name)}`);
    }
    const from = this.readEndpoints(value.from, `${base}.from`);
    const to = this.readEndpoints(value.to, `${base}.to`);
    const protocol = this.readProtocol(value.protocol, `${base}.protocol`);
    const port = this.readPort(value.port, `${base}.port`);
    const expect = this.readExpect(value.expect, `${base}.expect`);
    if (this.problems.length > before || !from || !to || !protocol || port === undefined || !expect) return undefined;
    return {
      index,
      ...(step !== undefined && { step }),
      field: base,
      ...(name !== undefined && { name }),
      from: from.list,
      fromList: from.isList,
      to: to.list,
      toList: to.isList,
      port,
      protocol,
      expect,
    };
  }

  private readEndpoints(value: unknown, field: string): { list: string[]; isList: boolean } | undefined {
    const want = 'an endpoint (namespace/name, KIND/namespace/name, ip:ADDRESS or node:NAME) or a list of them';
    if (value === undefined || value === null) {
      this.error(field, `missing: want ${want}`);
      return undefined;
    }
    if (typeof value === 'string') {
      if (value.trim() === '') {
        this.error(field, `must not be empty: want ${want}`);
        return undefined;
      }
      return { list: [value], isList: false };
    }
    if (!Array.isArray(value)) {
      this.error(field, `must be ${want}, got ${describe(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.error(field, 'must list at least one endpoint');
      return undefined;
    }
    const list: string[] = [];
    value.forEach((item: unknown, i) => {
      if (typeof item === 'string' && item.trim() !== '') list.push(item);
      else this.error(indexField(field, i), `must be an endpoint (namespace/name, KIND/namespace/name, ip:ADDRESS or node:NAME), got ${describe(item)}`);
    });
    return list.length === value.length ? { list, isList: true } : undefined;
  }

  private readProtocol(value: unknown, field: string): Protocol | undefined {
    const r = parseProtocol(value);
    if (r.ok) return r.protocol;
    this.error(field, r.message);
    return undefined;
  }

  private readPort(value: unknown, field: string): number | string | undefined {
    if (value === undefined || value === null) {
      this.error(field, 'missing: want a port number or a container port name');
      return undefined;
    }
    if (typeof value === 'number') {
      const problem = portNumberProblem(value);
      if (problem) this.error(field, problem);
      return problem ? undefined : value;
    }
    if (typeof value === 'string') {
      const problem = portNameProblem(value);
      if (problem) {
        const hint = value.includes('/') ? ' (write the protocol in `protocol:`)' : '';
        this.error(field, `${problem}${hint}`);
        return undefined;
      }
      return value;
    }
    this.error(field, `must be a port number or a container port name, got ${describe(value)}`);
    return undefined;
  }

  private readExpect(value: unknown, field: string): Expectation | undefined {
    if (value === 'allow' || value === 'deny') return value;
    this.error(field, value === undefined || value === null ? 'missing: want allow or deny' : `must be allow or deny, got ${describe(value)}`);
    return undefined;
  }
}
