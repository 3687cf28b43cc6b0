// Hostile text never crashes the YAML reader: every document comes back with
// a value or an error with a line, for arbitrary strings built from YAML's
// own punctuation (quotes, brackets, TABs, document markers, anchors,
// aliases, block scalar headers), and lines asked of any path are in range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readYamlDocuments } from '../../src/sources/yaml-documents.ts';

const PIECES = ['a', 'kind', ':', ': ', '- ', '-', '[', ']', '{', '}', ',', "'", '"', '\\', '\t', ' ', '  ', '\n', '\r\n', '---', '---\n', '...\n',
  '#', '&x ', '*x', '<<: ', '|', '>-', '!!str ', '%YAML 1.2\n', '\u0000', '\uFEFF', '{{ .x }}', '? ', '1', 'null', 'é'];

describe('the YAML reader on hostile text', () => {
  it('returns a value or an error with a line for every document, and never throws', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }), (parts) => {
      const text = parts.join('');
      const lines = text.split('\n').length;
      for (const doc of readYamlDocuments(text)) {
        const errors = doc.problems.filter((p) => p.severity === 'error');
        if (errors.length > 0) {
          expect(doc.value).toBeUndefined();
          for (const e of errors) {
            expect(e.line).toBeGreaterThanOrEqual(1);
            expect(e.line).toBeLessThanOrEqual(lines);
          }
        }
        const line = doc.lineOf(['kind', 0, 'a']);
        if (line !== undefined) expect(line).toBeLessThanOrEqual(lines);
      }
    }), { numRuns: 3000 });
  });
});
