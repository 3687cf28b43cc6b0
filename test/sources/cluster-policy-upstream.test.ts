// Every policy of the network-policy-api conformance suite (the shared copy
// of upstream's manifests, both API versions) reads without an error or a
// warning, as the API server accepts them (once the suite's template for
// host ports is filled in): the normalizers refuse nothing upstream writes.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/sources/manifest-documents.ts';
import { normalizeObject } from '../../src/sources/normalize-object.ts';

const ROOT = '/work/shared/upstream/network-policy-api';

function policyFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml') && e.name !== 'manifests.yaml') out.push(p);
    }
  };
  walk(ROOT);
  return out.sort();
}

const files = policyFiles();

/** The suite's one template: host ports, upstream's default list 34345-34352. */
function render(text: string): string {
  return text.replace(/\{\{ index \.HostNetworkPorts (\d) \}\}/g, (_m, i: string) => String(34345 + Number(i)));
}

describe('upstream conformance policies', () => {
  it('are there to read', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(files.map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
    const parsed = parseManifestText(render(readFileSync(file, 'utf8')), file);
    expect(parsed.problems.filter((p) => p.severity !== 'debug')).toEqual([]);
    let policies = 0;
    for (const doc of parsed.documents) {
      const r = normalizeObject(doc);
      expect(r.problems.filter((p) => p.severity !== 'debug')).toEqual([]);
      if (r.object?.type === 'clusterPolicy') {
        policies++;
        expect(r.object.value.failClosed).toBeUndefined();
      }
    }
    expect(policies).toBeGreaterThan(0);
  });
});
