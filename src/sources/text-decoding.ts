// Bytes of a manifest or PolicyTest file -> text, the way kubectl's YAML
// reader takes them: UTF-8 (a leading byte-order mark is dropped), or UTF-16
// when the file starts with a UTF-16 byte-order mark (Windows editors and
// PowerShell's `>` write that). Anything else is refused with a message that
// says what the file is and what to do, never decoded into replacement
// characters that would end up in names and labels.

export type DecodedText =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly message: string; readonly line?: number };

/** A file whose bytes are not text we read. */
export class TextDecodingError extends Error {
  readonly line: number | undefined;
  constructor(message: string, line?: number) {
    super(message);
    this.name = 'TextDecodingError';
    this.line = line;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: false });
const utf16be = new TextDecoder('utf-16be', { fatal: true, ignoreBOM: false });

const SAVE_AS_UTF8 = 'save it as UTF-8';

export function decodeText(bytes: Uint8Array): DecodedText {
  const [b0, b1, b2, b3] = bytes;
  // UTF-32 marks first: FF FE 00 00 also starts like UTF-16LE.
  if ((b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0) || (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff)) {
    return { ok: false, message: `is UTF-32 text (it starts with a UTF-32 byte-order mark), which kubectl does not read either: ${SAVE_AS_UTF8}` };
  }
  if (b0 === 0xff && b1 === 0xfe) return decodeUtf16(utf16le, bytes, 'UTF-16LE');
  if (b0 === 0xfe && b1 === 0xff) return decodeUtf16(utf16be, bytes, 'UTF-16BE');
  // Without a mark, UTF-16 shows as a zero byte beside every ASCII character.
  if (bytes.length >= 2 && (b0 === 0) !== (b1 === 0)) {
    return { ok: false, message: `looks like UTF-16 text without a byte-order mark, which kubectl does not read: ${SAVE_AS_UTF8} (or as UTF-16 with a byte-order mark)` };
  }
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    return { ok: false, line: lineAt(bytes, at), message: `is not UTF-8 text: byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at} is not valid UTF-8 (a binary file, or text in another encoding such as Latin-1?): ${SAVE_AS_UTF8}` };
  }
}

/** decodeText, throwing TextDecodingError when the bytes are not text we read. */
export function decodeTextOrThrow(bytes: Uint8Array): string {
  const d = decodeText(bytes);
  if (!d.ok) throw new TextDecodingError(d.message, d.line);
  return d.text;
}

function decodeUtf16(decoder: InstanceType<typeof TextDecoder>, bytes: Uint8Array, name: string): DecodedText {
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, message: `starts with a ${name} byte-order mark but is not valid ${name} text (an unpaired surrogate, or an odd number of bytes): ${SAVE_AS_UTF8}` };
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    const c1 = bytes[i + 1] as number;
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 > 0x9f) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 > 0x8f)) return i;
    i += need + 1;
  }
  return i;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
