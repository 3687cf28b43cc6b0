// Reading manifests from files, folders, globs and (injected) stdin.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/model/problems.ts';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import { expandManifestPaths, readManifests } from '../../src/sources/manifest-files.ts';
import { loadManifests } from '../../src/sources/load-cluster.ts';
import { errors } from './helpers.ts';

const ns = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
const pod = (name: string, namespace = 'a'): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nftpol-sources-'));
  await mkdir(path.join(dir, 'sub/deeper'), { recursive: true });
  await writeFile(path.join(dir, 'one.yaml'), `${ns('a')}---\n${pod('p1')}`);
  await writeFile(path.join(dir, 'sub/two.yml'), pod('p2'));
  await writeFile(path.join(dir, 'sub/deeper/three.json'), '{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"metadata": {"name": "p3", "namespace": "a"}\n}\n');
  await writeFile(path.join(dir, 'sub/notes.txt'), 'not a manifest');
  await mkdir(path.join(dir, 'empty'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('paths', () => {
  it('walks folders recursively, sorted, manifests only', async () => {
    const { files, problems } = await expandManifestPaths([dir]);
    expect(problems).toEqual([]);
    expect(files).toEqual(['one.yaml', 'sub/deeper/three.json', 'sub/two.yml'].map((f) => path.join(dir, f)));
  });

  it('expands globs and reads each file once', async () => {
    const { files } = await expandManifestPaths(['sub/**/*.{yml,json}', 'sub/two.yml'], { cwd: dir });
    expect(files).toEqual(['sub/deeper/three.json', 'sub/two.yml']);
  });

  it('reads a named file whatever its extension', async () => {
    const { files } = await expandManifestPaths(['sub/notes.txt'], { cwd: dir });
    expect(files).toEqual(['sub/notes.txt']);
  });

  it('reports missing paths, empty globs and empty folders', async () => {
    const { files, problems } = await expandManifestPaths(['nope.yaml', 'zz*.yaml', 'empty'], { cwd: dir });
    expect(files).toEqual([]);
    expect(problems.map((p) => [p.severity, p.file, p.message])).toEqual([
      ['error', 'nope.yaml', 'no such file or folder'],
      ['error', 'zz*.yaml', 'no files match this pattern'],
      ['warning', 'empty', 'folder has no *.yaml, *.yml or *.json files'],
    ]);
  });
});

describe('documents', () => {
  it('loads a folder into the model, JSON with tabs included', async () => {
    const { objects, problems } = await loadManifests([dir]);
    expect(errors(problems)).toEqual([]);
    expect(objects.namespaces.map((n) => n.name)).toEqual(['a']);
    expect(objects.pods.map((p) => [p.name, p.source])).toEqual([
      ['p1', { file: path.join(dir, 'one.yaml'), document: 1 }],
      ['p3', { file: path.join(dir, 'sub/deeper/three.json'), document: 0 }],
      ['p2', { file: path.join(dir, 'sub/two.yml'), document: 0 }],
    ]);
  });

  it('reads "-" from stdin', async () => {
    const { documents, problems } = await readManifests(['-'], { readStdin: () => Promise.resolve(pod('from-stdin')) });
    expect(problems).toEqual([]);
    expect(documents.map((d) => d.source)).toEqual([{ file: '<stdin>', document: 0 }]);
  });

  it('numbers multi-document files, empty documents included', () => {
    const { documents } = parseManifestText(`# header\n---\n${pod('x')}---\n---\n${pod('y')}`, 'f.yaml');
    expect(documents.map((d) => [d.source.document, d.line])).toEqual([[0, 3], [2, 10]]);
  });

  it('expands kind: List and typed lists, items counting on', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${pod('l1').replace(/\n(?=.)/g, '\n  ')}- ${pod('l2').replace(/\n(?=.)/g, '\n  ')}---\n` +
      'apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: t1, namespace: a}\n---\n' + pod('after');
    const { documents, problems } = parseManifestText(text, 'list.yaml');
    expect(problems).toEqual([]);
    expect(documents.map((d) => d.source.document)).toEqual([0, 1, 2, 3]);
    expect(documents[2]?.value).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 't1', namespace: 'a' } });
    expect(documents.map((d) => d.line)).toEqual([4, 9, 18, 20]);
  });

  it('turns YAML parse errors into problems with document and line', () => {
    const { documents, problems } = parseManifestText(`${pod('ok')}---\nkind: Pod\nmetadata: {name: [x\n---\n${pod('later')}`, 'bad.yaml');
    expect(documents.map((d) => d.source.document)).toEqual([0, 2]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ severity: 'error', file: 'bad.yaml', document: 1 });
    expect(problems[0]?.line).toBeGreaterThanOrEqual(7);
    expect(problems[0]?.message).not.toMatch(/\n/);
  });

  it('reports duplicate keys', () => {
    const { problems } = parseManifestText('apiVersion: v1\nkind: Pod\nkind: Node\n', 'dup.yaml');
    expect(problems).toMatchObject([{ severity: 'error', document: 0, line: 3 }]);
  });

  it('points problems at the line of the field', async () => {
    const file = path.join(dir, 'policy.yaml');
    await writeFile(file, [
      ns('shop'), '---',
      'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata:', '  name: db-allow', '  namespace: shop',
      'spec:', '  ingress:', '  - from:', '    - podSelector: {}', '    - ipBlock:', '        cidr: 192.168.0.0/16',
      '        except:', '        - 10.1.0.0/16', '',
    ].join('\n'));
    const { problems } = await loadManifests([file]);
    expect(errors(problems).map(formatProblem)).toEqual([
      `${file}:19 doc 1: NetworkPolicy shop/db-allow: spec.ingress[0].from[1].ipBlock.except[0]: 10.1.0.0/16 is not inside cidr 192.168.0.0/16`,
    ]);
  });
});
