// The fast reader (js-yaml events, documents cut at `---`) reads every YAML
// file of this repository to the same values, document for document, as
// the `yaml` package did before it: the examples, the conformance world and
// the fixtures (but yaml-mistakes/, whose files the two read differently on
// purpose: see yaml-kubectl.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { filesUnder } from '../../src/sources/find-files.ts';
import { readYamlDocuments } from '../../src/sources/yaml-documents.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FOLDERS = ['policies-examples', 'test/conformance', 'test/cli/fixtures'];

describe('the YAML reader reads what the yaml package read', async () => {
  const files = (await Promise.all(FOLDERS.map(async (f) => (await filesUnder(path.join(ROOT, f), (n) => /\.(ya?ml|json)$/.test(n))).map((rel) => path.join(f, rel))))).flat()
    .filter((f) => !f.includes('yaml-mistakes'));

  it('finds the files', () => {
    expect(files.length).toBeGreaterThan(80);
  });

  it.each(files)('%s', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const before = parseAllDocuments(text, { merge: true });
    const expected = (Array.isArray(before) ? before : []).map((d) => (d.errors.length > 0 ? 'error' : d.toJS()) as unknown);
    const after = readYamlDocuments(text).map((d) => (d.problems.some((p) => p.severity === 'error') ? 'error' : d.value));
    expect(after).toEqual(expected);
  });
});
