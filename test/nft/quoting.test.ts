// The one quoting function for outside text (src/nft/syntax.ts): names and
// comments from Kubernetes objects must come out as one nft token each,
// whatever they hold, and read back to what went in. Without root this file
// checks the shape of what is written; quoting-nft.test.ts hands the same kind
// of text to the real `nft -c`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, NODE } from '../compile/helpers.ts';
import { denyAll, pod, podPeer, policy, rule, sel } from '../generators/cluster-builders.ts';
import { comment, nftName, quotedText, unescapeName, unquoteText } from '../../src/nft/syntax.ts';
import { hostileText, NAME_TOKEN } from './quoting-arbitraries.ts';

const EVIL = 'evil" } ; flush ruleset ; #';

describe('nftName', () => {
  it('keeps a Kubernetes name as it is', () => {
    expect(nftName('pod-in/shop/api')).toBe('pod-in/shop/api');
    expect(nftName('pods/3f2a9c0d1e4b5a67/v4')).toBe('pods/3f2a9c0d1e4b5a67/v4');
    expect(nftName('pol-out/a.b/c-d.e')).toBe('pol-out/a.b/c-d.e');
  });

  it('escapes what nft would read as syntax, a keyword, or a second token', () => {
    expect(nftName(`pol-in/${EVIL}`)).toBe('pol-in/evil_22_20_7d_20_3b_20flush_20ruleset_20_3b_20_23');
    expect(nftName('pol-in/a\nb')).toBe('pol-in/a_0ab');
    expect(nftName('accept')).toBe('_61ccept');
    expect(nftName('ip6')).toBe('_69p6');
    expect(nftName('9lives')).toBe('_39lives');
    expect(nftName('.')).toBe('_2e');
    expect(nftName('')).toBe('_');
    expect(nftName('x_a')).toBe('x_5fa');
    expect(nftName('café/☃')).toBe('caf_e9/_u002603');
  });

  it('any text: one name token of at most 255 bytes, different texts different names, reversible when not shortened', () => {
    fc.assert(fc.property(hostileText(), hostileText(), (a, b) => {
      const na = nftName(a);
      expect(na).toMatch(NAME_TOKEN);
      expect(na).not.toMatch(/^[A-Za-z0-9]+$/);
      expect(Buffer.byteLength(na)).toBeLessThanOrEqual(255);
      if (a !== b) expect(nftName(b)).not.toBe(na);
      if (!/-[0-9a-f]{16}$/.test(na) || na.length < 255 - 17) expect(unescapeName(na)).toBe(a);
    }), { numRuns: 2000 });
  });
});

describe('comment', () => {
  it('escapes quotes, backslashes, newlines and anything not printable ASCII', () => {
    expect(comment(`x/${EVIL}`)).toBe('comment "x/evil\\q } ; flush ruleset ; #"');
    expect(quotedText('a\\b\nc\td\u0000é')).toBe('a\\\\b\\nc\\td\\u{0}\\u{e9}');
    expect(unquoteText('a\\\\b\\nc\\td\\u{0}\\u{e9}')).toBe('a\\b\nc\td\u0000é');
  });

  it('cuts long text to 127 bytes at an escape boundary, marked so it never reads back as whole', () => {
    const q = quotedText('"'.repeat(100));
    expect(q.length).toBeLessThanOrEqual(127);
    expect(q.endsWith('\\q\\~')).toBe(true);
    expect(unquoteText(q)).toBeUndefined();
    expect(quotedText('a'.repeat(127))).toBe('a'.repeat(127));
  });

  it('any text: printable ASCII without a double quote, at most 127 bytes, read back exactly when not cut', () => {
    fc.assert(fc.property(hostileText(), (text) => {
      const q = quotedText(text);
      expect(q).toMatch(/^[\x20\x21\x23-\x7e]*$/);
      expect(Buffer.byteLength(q)).toBeLessThanOrEqual(127);
      const back = unquoteText(q);
      if (back !== undefined) expect(back).toBe(text);
      else expect(q.endsWith('\\~')).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('the renderer writes names and comments only through them', () => {
  it(`a namespace and policy named ${JSON.stringify(EVIL)} (and with a newline) stay inside their tokens`, () => {
    const ns = `${EVIL}\nx`;
    const { script } = compile({
      pods: [pod(`${ns}/a`, { app: 'a' }, { node: NODE, ips: ['10.244.1.2'] }), pod(`${ns}/b`, {}, { node: NODE, ips: ['10.244.1.3'] })],
      policies: [denyAll(`${ns}/${EVIL}`, ['Egress']), policy(`${ns}/p`, { ingress: [rule([podPeer(sel({ app: 'a' }))])] })],
    });
    // The base chain's declaration is the only statement with ";" in it.
    for (const line of script.split('\n').filter((l) => !l.startsWith('\t\ttype filter hook forward'))) {
      // Outside comments, a line holds no quote, ";" or "#" (nothing that ends a statement or starts a comment).
      const outside = line.replace(/comment "[^"]*"/g, '');
      expect(outside, line).not.toMatch(/["#;]/);
      expect(line.match(/"/g)?.length ?? 0, line).toBeLessThanOrEqual(2);
    }
    expect(script).toContain(`chain ${nftName(`pol-out/${ns}/${EVIL}`)} {`);
  });
});
