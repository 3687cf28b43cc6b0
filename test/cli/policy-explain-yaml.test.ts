// policy-explain on YAML as users send it (the fixtures in yaml-mistakes/, shown
// in the README): what kubectl reads is read, what it refuses is refused in
// words that say what to do, with exit 2.
import { describe, expect, it } from 'vitest';
import { explain, fixture } from './helpers.ts';

const file = (name: string): string => `${fixture('yaml-mistakes')}/${name}`;

describe('policy-explain and sloppy YAML', () => {
  it('two files concatenated without --- : the duplicate key and where the --- goes', async () => {
    const r = await explain(['-f', file('concatenated.yaml'), 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${file('concatenated.yaml')}:12 doc 1: duplicate key apiVersion (first at line 6): two objects without a '---' line between them? Put '---' on a line of its own before line 12\n`);
  });

  it('a TAB indenting a line: names the TAB', async () => {
    const r = await explain(['-f', file('tab-indented.yaml'), 'lint']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${file('tab-indented.yaml')}:8 doc 0: a TAB indents this line: YAML indents with spaces only; replace the TAB with spaces\n`);
  });

  it('UTF-16 with a byte-order mark and a TAB inside [ … ]: read as kubectl reads it', async () => {
    const r = await explain(['-f', file('utf16.yaml'), '-v', 'pod', 'shop/web']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`debug: ${file('utf16.yaml')}:11 doc 0: a TAB starts a line inside [ … ] or { … }: strict YAML parsers refuse this; read as kubectl reads it\n`);
    expect(r.stdout).toContain('shop/web');
  });
});
