// YAML the way kubectl reads it: what it accepts is read (with exact lines),
// what it refuses is refused in the user's words, never with a parser's
// follow-on error or a stack overflow.
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/model/problems.ts';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import { readManifests } from '../../src/sources/manifest-files.ts';
import { decodeText } from '../../src/sources/text-decoding.ts';
import { readYamlDocuments } from '../../src/sources/yaml-documents.ts';
import { loadManifests } from '../../src/sources/load-cluster.ts';
import { errors } from './helpers.ts';

const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: a\n`;
const messages = (text: string): string[] => parseManifestText(text, 'f.yaml').problems.map(formatProblem);

describe('two files concatenated without ---', () => {
  it('names the duplicate key, both lines, and where the --- goes', () => {
    // Line 1-5: the first pod; line 6 starts the second, with no '---'.
    expect(messages(`${pod('one')}${pod('two')}`)).toEqual([
      "f.yaml:6 doc 0: duplicate key apiVersion (first at line 1): two objects without a '---' line between them? Put '---' on a line of its own before line 6",
    ]);
  });

  it('finds where the second object starts when it does not start with apiVersion', () => {
    const second = 'kind: Pod\napiVersion: v1\nmetadata: {name: b}\n';
    expect(messages(`${pod('one')}# the next file\n${second}`)).toEqual([
      "f.yaml:7 doc 0: duplicate key kind (first at line 2): two objects without a '---' line between them? Put '---' on a line of its own before line 7",
    ]);
  });

  it('says a nested duplicate is a repeated key, at its line', () => {
    expect(messages('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: b\n  name: c\n')).toEqual([
      'f.yaml:6 doc 0: duplicate key "name" (first at line 4): a key may appear once in a mapping; remove one of them',
    ]);
  });

  it('keeps the other documents of the file', () => {
    const { documents, problems } = parseManifestText(`${pod('ok')}---\n${pod('x')}${pod('y')}---\n${pod('later')}`, 'f.yaml');
    expect(documents.map((d) => d.source.document)).toEqual([0, 2]);
    expect(problems.map((p) => [p.document, p.line])).toEqual([[1, 12]]);
  });
});

describe('encodings', () => {
  const text = `${pod('p')}---\n${pod('q')}`;

  it('reads UTF-16 with a byte-order mark, little- and big-endian, and UTF-8 with one', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    const bom8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const bytes of [le, be, bom8]) expect(decodeText(bytes)).toEqual({ ok: true, text });
  });

  it('loads a UTF-16 manifest from stdin with exact lines', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${pod('p')}---\n${pod('q').replace('namespace: a', 'namespace: a\n  labels: {x: 1}')}`, 'utf16le')]);
    const { documents, problems } = await readManifests(['-'], { readStdin: () => Promise.resolve(bytes) });
    expect(documents.map((d) => d.line)).toEqual([1, 7]);
    expect(problems).toEqual([]);
    const loaded = await loadManifests(['-'], { readStdin: () => Promise.resolve(bytes) });
    expect(errors(loaded.problems).map(formatProblem)).toEqual(['<stdin>:12 doc 1: Pod a/q: metadata.labels.x: must be a string, got number 1 (quote it in YAML)']);
  });

  it('refuses UTF-16 without a mark, UTF-32 and bytes that are not UTF-8, saying what to do', () => {
    const refused = (bytes: Buffer): string => {
      const d = decodeText(bytes);
      return d.ok ? 'read' : d.message;
    };
    expect(refused(Buffer.from(text, 'utf16le'))).toMatch(/^looks like UTF-16 text without a byte-order mark.*save it as UTF-8/);
    expect(refused(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]))).toMatch(/^is UTF-32 text/);
    const latin1 = Buffer.concat([Buffer.from('a: 1\nb: caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect(decodeText(latin1)).toEqual({ ok: false, line: 2, message: expect.stringMatching(/^is not UTF-8 text: byte 0xe9 at offset 11/) });
  });

  it('reports a file that is not text with its name and line, and goes on with the others', async () => {
    const { problems } = await readManifests(['-'], { readStdin: () => Promise.resolve(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a])) });
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(/^<stdin>:1: is not UTF-8 text: byte 0xff/)]);
  });
});

describe('deep nesting', () => {
  it('is a clear error, never a stack overflow, for flow and block nesting', () => {
    const flow = `apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const block = `${pod('a')}spec:\n${Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`;
    for (const text of [flow, block]) {
      const problems = parseManifestText(text, 'deep.yaml').problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]?.message).toMatch(/^nested more than 1000 levels deep: no Kubernetes object nests like this/);
      expect(problems[0]?.line).toBeGreaterThanOrEqual(4);
    }
  });

  it('reads nesting a real object could have', () => {
    const text = `${pod('a')}spec: ${'['.repeat(500)}${']'.repeat(500)}\n`;
    expect(parseManifestText(text, 'f.yaml').problems).toEqual([]);
  });

  it('refuses aliases that expand without bound', () => {
    const levels = Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`);
    const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nl0: &l0 x\n${levels.join('\n')}\n`;
    expect(messages(text)).toEqual([expect.stringMatching(/^f\.yaml:1 doc 0: aliases \(\*name\) expand this document to more than 100,000 nodes/)]);
  });
});

describe('what kubectl reads and strict YAML refuses', () => {
  // From np-guard/netpol-analyzer's tests/acs-security-demos-added-workloads/*/deployment.yaml (shape, not copy).
  const tabInFlow = [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: webapp', '  namespace: shop', 'spec:',
    '  selector: {matchLabels: {app: webapp}}', '  template:', '    metadata: {labels: {app: webapp}}', '    spec:', '      containers:',
    '        - name: webapp', '          args:', '            [', '              "-jar",', '\t            "-Dlisten=8080",',
    '              "app.jar",', '            ]', '          ports:', '            - containerPort: 8080', '              name: http', '',
  ].join('\n');
  // From np-guard/netpol-analyzer's tests/nad_test_12/nad.yaml (shape): the closing line under the key, CRLF endings.
  const quotedUnderKey = [
    'apiVersion: "k8s.cni.cncf.io/v1"', 'kind: NetworkAttachmentDefinition', 'metadata:', '  name: macvlan', '  namespace: ns-a', 'spec:',
    "  config: '{", '    "cniVersion": "0.3.1",', '    "type": "macvlan"', "  }'", '---', pod('after').trimEnd(), '',
  ].join('\r\n');

  it('reads a TAB starting a line inside [ … ], with a debug note', () => {
    const { documents, problems } = parseManifestText(tabInFlow, 'deploy.yaml');
    expect(problems.map(formatProblem)).toEqual([
      'deploy.yaml:16 doc 0: a TAB starts a line inside [ … ] or { … }: strict YAML parsers refuse this; read as kubectl reads it',
    ]);
    expect(problems[0]?.severity).toBe('debug');
    const value = documents[0]?.value as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    expect(value.spec.template.spec.containers[0]?.args).toEqual(['-jar', '-Dlisten=8080', 'app.jar']);
    // Lines after the re-indented one are still exact.
    expect(documents[0]?.locate?.('spec.template.spec.containers[0].ports[0].name')).toBe(21);
  });

  it('reads a quoted string continued under its key, CRLF line ends and all', () => {
    const { documents, problems } = parseManifestText(quotedUnderKey, 'nad.yaml');
    expect(problems.map((p) => [p.severity, p.line])).toEqual([['debug', 10]]);
    expect((documents[0]?.value as { spec: { config: string } }).spec.config).toBe('{ "cniVersion": "0.3.1", "type": "macvlan" }');
    expect(documents.map((d) => d.line)).toEqual([1, 12]);
  });

  it('names the TAB when a TAB indents block content, not the parser\'s follow-on error', () => {
    expect(messages('apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n')).toEqual([
      'f.yaml:4 doc 0: a TAB indents this line: YAML indents with spaces only; replace the TAB with spaces',
    ]);
    const earlier = messages('apiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    echo hi\n\techo there\n  other: x\n');
    expect(earlier).toEqual([expect.stringMatching(/^f\.yaml:6 doc 0: a TAB indents this line/)]);
  });

  it('points an unrendered template at the template', () => {
    expect(messages(`${pod('a')}spec:\n  containers:\n  - name: x\n    ports:\n    - containerPort: {{ .Values.port }}\n`)).toEqual([
      'f.yaml:10 doc 0: a mapping or list is used as a key (an unrendered template such as {{ .Values.x }}?): render the template first, or quote the value',
    ]);
  });
});

describe('documents and lines', () => {
  it('counts documents as before: a header comment is no document, empty ones count', () => {
    const docs = readYamlDocuments(`# header\n---\n${pod('x')}---\n---\n${pod('y')}...\n`);
    expect(docs.map((d) => [d.index, d.line, d.value === null])).toEqual([[0, 3], [1, undefined, true], [2, 10, false]].map(([i, l, n]) => [i, l, n ?? false]));
  });

  it('finds field lines lazily, deepest written node first, in Lists too', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${pod('l1').trimEnd().replace(/\n/g, '\n  ')}\n- ${pod('l2').trimEnd().replace(/\n/g, '\n  ')}\n  spec: {containers: [{name: c, ports: [{containerPort: 0}]}]}\n`;
    const { documents } = parseManifestText(text, 'list.yaml');
    expect(documents.map((d) => d.line)).toEqual([4, 9]);
    expect(documents[1]?.locate?.('spec.containers[0].ports[0].containerPort')).toBe(14);
    expect(documents[1]?.locate?.('spec.nodeName')).toBe(14);
    expect(documents[0]?.locate?.('metadata.namespace')).toBe(8);
  });

  it('reads quoted keys and JSON', () => {
    const { documents } = parseManifestText('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {\n    "na\\u006de": "p"\n  }\n}\n', 'p.json');
    expect(documents[0]?.value).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } });
    expect(documents[0]?.locate?.('metadata.name')).toBe(5);
  });
});
