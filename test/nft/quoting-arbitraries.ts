// Text for the quoting tests: anything at all, weighted towards what breaks
// a script (quotes, braces, ";", "#", newlines, backslashes, nft keywords,
// NUL, lone surrogates, long runs).
import fc from 'fast-check';

/** One nft name token (nft's scanner: a letter, "_" or "." first, then letters, digits, "/", "-", "_", "."). */
export const NAME_TOKEN = /^[A-Za-z_.][A-Za-z0-9/_.-]*$/;

const KEYWORDS = ['accept', 'drop', 'jump', 'goto', 'ip', 'ip6', 'inet', 'table', 'chain', 'set', 'map', 'comment', 'counter',
  'elements', 'type', 'flags', 'interval', 'vmap', 'ct', 'th', 'tcp', 'udp', 'meta', 'policy', 'hook', 'priority', 'icmpv6', 'flush',
  'ruleset', 'delete', 'add', 'return', 'continue', 'reject', 'log', 'limit', 'define', 'include'];

const SHARP = fc.constantFrom('"', '\\', '\n', '\r', '\t', '\u0000', '{', '}', ';', '#', '$', '@', ' ', '/', '_', '-', '.', '\ud800', '☃', 'é', '\u007f');

export function hostileText(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.oneof(SHARP, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 30 }),
    fc.constantFrom(...KEYWORDS),
    fc.tuple(fc.constantFrom(...KEYWORDS), fc.nat(99)).map(([k, n]) => `${k}${n}`),
    fc.constant('evil" } ; flush ruleset ; #'),
    fc.string({ unit: 'grapheme', minLength: 100, maxLength: 300 }),
  );
}
