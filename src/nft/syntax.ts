// Small pieces of nft syntax shared by the renderers, and the one place text
// from outside (names and comments, which come from Kubernetes objects) is
// turned into nft tokens. Nothing else may interpolate such text into a
// script: a name like `evil" } ; flush ruleset ; #` must stay one token.
import { createHash } from 'node:crypto';
import type { IPFamily } from '../model/addresses.ts';

/** nft's address match keyword for a family: "ip" or "ip6". */
export const ipKeyword = (f: IPFamily): string => (f === 4 ? 'ip' : 'ip6');

export const addrType = (f: IPFamily): string => (f === 4 ? 'ipv4_addr' : 'ipv6_addr');

/**
 * nft's scanner reads a name (chain, set, map, table) as one token when it
 * starts with a letter, "_" or "." and goes on with letters, digits, "/",
 * "-", "_" and "."; a name is at most 255 bytes (NFT_NAME_MAXLEN 256 with
 * its NUL). A bare word (letters and digits only) may be a keyword ("accept",
 * "ip6", "set", "comment"), which nft will not take as a name.
 */
const NAME_MAX_BYTES = 255;
/** Characters written as they are; "_" is the escape character, so it is escaped itself. */
const NAME_CHAR = /[A-Za-z0-9/.-]/;
const LETTER = /[A-Za-z]/;

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0) as number;
  return code <= 0xff ? `_${code.toString(16).padStart(2, '0')}` : `_u${code.toString(16).padStart(6, '0')}`;
}

/**
 * Any text as an nft name token, the same text always giving the same name
 * and different texts different names (so "x/a" and "x_a" never share a chain):
 *   pod-in/shop/api            -> pod-in/shop/api              (a Kubernetes name is kept as is)
 *   pod-in/evil" } ; flush     -> pod-in/evil_22_20_7d_20_3b_20flush
 *   accept                     -> _61ccept                     (a bare word: its first letter is escaped)
 *   9lives                     -> _39lives                     (must start with a letter or "_")
 *   café                       -> caf_e9;  a character past U+00FF: _u and six hex digits
 * A character outside [A-Za-z0-9/.-] (and "_" itself) becomes "_" and two hex
 * digits of its code point; unescapeName reverses it. A name longer than 255
 * bytes keeps its first 238 bytes and ends in "-" and 16 hex digits of the
 * SHA-256 of the whole text (this alone is not reversible).
 */
/** A name that is already one token and no bare word (every name a valid Kubernetes object gives): kept without a look at each character. */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9/.-]*[/.-][A-Za-z0-9/.-]*$/;

export function nftName(text: string): string {
  if (text.length <= NAME_MAX_BYTES && PLAIN_NAME.test(text)) return text;
  const pieces = [...text].map((ch, i) => (NAME_CHAR.test(ch) && (i > 0 || LETTER.test(ch)) ? ch : escapeChar(ch)));
  if (pieces.length === 0) return '_'; // "" (a lone "_" is never written for "_", which is "_5f")
  // A bare word may be a keyword: escaping its first letter makes it a name.
  if (/^[A-Za-z0-9]+$/.test(pieces.join(''))) pieces[0] = escapeChar(pieces[0] as string);
  const whole = pieces.join('');
  if (whole.length <= NAME_MAX_BYTES) return whole;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  let head = '';
  for (const p of pieces) {
    if (head.length + p.length > NAME_MAX_BYTES - 17) break;
    head += p;
  }
  return `${head}-${hash}`;
}

/** The text an nftName stands for (names that were not shortened). */
export function unescapeName(name: string): string {
  if (name === '_') return '';
  return name.replace(/_u([0-9a-f]{6})|_([0-9a-f]{2})/g, (_m, long: string | undefined, short: string | undefined) =>
    String.fromCodePoint(parseInt(long ?? short ?? '', 16)));
}

/**
 * nft reads a quoted string up to the next double quote, with no escapes of
 * its own, and keeps at most 127 bytes of a comment (NFTNL_UDATA_COMMENT_MAXLEN
 * 128 with its NUL). Inside the quotes we write only printable ASCII other
 * than '"', and our own escapes so the text can be read back:
 *   \\  a backslash      \q  a double quote     \n \r \t
 *   \u{HEX}  any other character outside printable ASCII (é, NUL, DEL, emoji)
 * Longer text is cut at an escape boundary and ends in "\~" (not a valid
 * escape, so a cut comment is never mistaken for a whole one).
 */
const COMMENT_MAX_BYTES = 127;
const CUT = '\\~';

function escapeCommentChar(ch: string): string {
  switch (ch) {
    case '\\': return '\\\\';
    case '"': return '\\q';
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
  }
  const code = ch.codePointAt(0) as number;
  return code >= 0x20 && code <= 0x7e ? ch : `\\u{${code.toString(16)}}`;
}

/** The text of a comment as nft's quoted string, without the quotes. */
/** Printable ASCII without '"' and '\\': needs no escape. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

export function quotedText(text: string): string {
  if (text.length <= COMMENT_MAX_BYTES && PLAIN_TEXT.test(text)) return text;
  const pieces = [...text].map(escapeCommentChar);
  const whole = pieces.join('');
  if (whole.length <= COMMENT_MAX_BYTES) return whole;
  let out = '';
  for (const p of pieces) {
    if (out.length + p.length > COMMENT_MAX_BYTES - CUT.length) break;
    out += p;
  }
  return `${out}${CUT}`;
}

/**
 *   comment "shop/db-allow-api ingress[0] from[0]"
 *   comment "x/evil\q } ; flush ruleset ; #"        (a quote in the name, escaped)
 */
export function comment(text: string): string {
  return `comment "${quotedText(text)}"`;
}

const UNESCAPE = new Map([['\\', '\\'], ['q', '"'], ['n', '\n'], ['r', '\r'], ['t', '\t']]);

/** The text a quotedText stands for; undefined for a cut one (ends in "\~") or malformed escapes. */
export function unquoteText(quoted: string): string | undefined {
  if (quoted.endsWith(CUT)) return undefined;
  let out = '';
  for (let i = 0; i < quoted.length; i++) {
    const ch = quoted.charAt(i);
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = quoted.charAt(i + 1);
    const simple = UNESCAPE.get(next);
    if (simple !== undefined) {
      out += simple;
      i += 1;
      continue;
    }
    const m = /^u\{([0-9a-f]{1,6})\}/.exec(quoted.slice(i + 1));
    if (!m) return undefined;
    out += String.fromCodePoint(parseInt(m[1] as string, 16));
    i += m[0].length;
  }
  return out;
}

/** "elements = { a, b }" wrapped for reading, or nothing for an empty set (nft rejects "{ }"). */
export function elementsClause(items: readonly string[], indent: string): string[] {
  if (items.length === 0) return [];
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += 4) lines.push(items.slice(i, i + 4).join(', '));
  return [`${indent}elements = { ${lines.join(`,\n${indent}             `)} }`];
}

/** nft table names: an identifier, at most 255 bytes (NFT_NAME_MAXLEN with its NUL). */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Why a user-given table name (--table) cannot name our table, or undefined when it can. */
export function tableNameProblem(table: string): string | undefined {
  return TABLE_NAME.test(table) && Buffer.byteLength(table) <= 255
    ? undefined
    : `--table ${JSON.stringify(table)} is not an nftables table name (letters, digits, "_", "." and "-", starting with a letter or "_")`;
}
