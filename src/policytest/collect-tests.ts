// Finds the PolicyTests named on the command line: files, or folders searched
// recursively for YAML files holding documents of kind PolicyTest (manifests
// beside them are skipped). A named file or folder without any PolicyTest is
// an input error: a CI job that tests nothing must not pass.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceProblem } from '../model/problems.ts';
import { filesUnder, readErrorText } from '../sources/find-files.ts';
import { decodeText } from '../sources/text-decoding.ts';
import { mayHoldPolicyTest, parseTestFile } from './parse-test-file.ts';
import { type PolicyTest } from './policy-test.ts';

export interface CollectedTests {
  /** Test files that held at least one PolicyTest, as shown to the user. */
  readonly files: readonly string[];
  readonly tests: readonly PolicyTest[];
  readonly problems: readonly SourceProblem[];
}

const YAML_FILE = /\.ya?ml$/i;

/** `paths` as the user wrote them; relative ones are taken from `cwd`. */
export async function collectPolicyTests(paths: readonly string[], cwd: string): Promise<CollectedTests> {
  const files: string[] = [];
  const tests: PolicyTest[] = [];
  const problems: SourceProblem[] = [];
  const seen = new Set<string>();

  const readTests = async (shown: string, abs: string, named: boolean): Promise<number> => {
    if (seen.has(abs)) return 0;
    seen.add(abs);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(abs);
    } catch (err) {
      problems.push({ severity: 'error', file: shown, message: `cannot read: ${readErrorText(err)}` });
      return 0;
    }
    // Test files are read like manifests: UTF-8, or UTF-16 with a byte-order
    // mark. One that is neither is an error even in a folder: it may be a
    // test that would otherwise be skipped without a word.
    const decoded = decodeText(bytes);
    if (!decoded.ok) {
      problems.push({ severity: 'error', file: shown, ...(decoded.line !== undefined && { line: decoded.line }), message: decoded.message });
      return 0;
    }
    const text = decoded.text;
    if (!named && !mayHoldPolicyTest(text)) return 0;
    const parsed = parseTestFile(text, shown, abs);
    problems.push(...parsed.problems);
    if (!parsed.hasPolicyTest) {
      if (named) problems.push({ severity: 'error', file: shown, message: 'holds no PolicyTest document (apiVersion: nftpol.dev/v1alpha1, kind: PolicyTest)' });
      return 0;
    }
    if (parsed.tests.length > 0) files.push(shown);
    tests.push(...parsed.tests);
    return parsed.hasPolicyTest ? 1 : 0;
  };

  for (const given of paths) {
    const abs = path.resolve(cwd, given);
    let info;
    try {
      info = await stat(abs);
    } catch {
      problems.push({ severity: 'error', file: given, message: 'no such file or folder' });
      continue;
    }
    if (info.isDirectory()) {
      let found = 0;
      for (const rel of await filesUnder(abs, (name) => YAML_FILE.test(name))) found += await readTests(path.join(given, rel), path.join(abs, rel), false);
      if (found === 0) problems.push({ severity: 'error', file: given, message: 'folder holds no PolicyTest (no YAML document with kind: PolicyTest under it)' });
    } else {
      await readTests(given, abs, true);
    }
  }
  return { files, tests, problems };
}
