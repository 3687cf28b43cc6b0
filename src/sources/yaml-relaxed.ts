// What kubectl's YAML reader (go-yaml, a port of libyaml) accepts and strict
// YAML 1.2 parsers refuse, in manifests found in the wild:
//  - a TAB starting a line inside a flow collection (`[ … ]`, `{ … }`):
//    libyaml checks no indentation in flow context, and a TAB there is
//    plain white space;
//  - a multi-line quoted string whose continuation lines are indented no
//    deeper than its key (`config: '{` … `}'` with `}'` under `config`):
//    libyaml checks no indentation inside quoted scalars either.
// In both places the YAML rules strip a line's leading white space from the
// value (continuation lines of a flow scalar are folded, and indentation
// means nothing in flow context), so re-indenting those lines with spaces,
// deeper than their owner, changes no value and no line number: it only
// makes the text acceptable to a strict parser. This scan finds those lines;
// it runs only on documents the strict parse refused, and its result is used
// only when it then parses. It also lists lines indented with a TAB in block
// context, which kubectl refuses too, so that the error can name the TAB.

export interface RelaxedText {
  readonly text: string;
  /** 0-based lines (within the text) that were re-indented, with why. */
  readonly reindented: readonly { readonly line: number; readonly why: 'tab-in-flow' | 'flow-indent' | 'quoted-indent' }[];
  /** 0-based lines whose indentation in block context holds a TAB. */
  readonly tabIndented: readonly number[];
}

type Context =
  | { readonly kind: 'block' }
  | { readonly kind: 'flow'; depth: number; readonly owner: number }
  | { readonly kind: 'quoted'; readonly quote: "'" | '"'; readonly owner: number; readonly outer: Context };

/** Column of the innermost block node on a line: past indentation and any `- ` entry indicators. */
function ownerColumn(line: string): number {
  let i = 0;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '-' && (line[i + 1] === ' ' || line[i + 1] === '\t')) i += 1;
    else return i;
  }
}

const isBlank = (ch: string | undefined): boolean => ch === undefined || ch === ' ' || ch === '\t' || ch === '\r';

export function relaxIndentation(text: string): RelaxedText {
  const lines = text.split('\n');
  const reindented: { line: number; why: 'tab-in-flow' | 'flow-indent' | 'quoted-indent' }[] = [];
  const tabIndented: number[] = [];
  let ctx: Context = { kind: 'block' };
  /** Inside a block scalar's content: lines indented deeper than this (or blank) belong to it. */
  let blockScalarParent: number | undefined;
  /** Column of the block node on the last line with content: the owner of a `[` or quote that starts a line. */
  let previousOwner: number | undefined;

  for (let n = 0; n < lines.length; n++) {
    let line = lines[n] as string;
    if (ctx.kind === 'block') {
      const spaces = /^ */.exec(line)?.[0].length ?? 0;
      if (blockScalarParent !== undefined) {
        if (line.trim() === '' || spaces > blockScalarParent) continue;
        blockScalarParent = undefined;
      }
      if (/^[ ]*\t/.test(line) && line.trim() !== '') tabIndented.push(n);
    } else {
      // A continuation line of a flow collection or a quoted scalar.
      const lead = /^[ \t]*/.exec(line)?.[0] ?? '';
      const need = ctx.owner + 1;
      if (line.length > lead.length && (lead.includes('\t') || lead.length < need)) {
        const why = ctx.kind === 'quoted' ? 'quoted-indent' : lead.includes('\t') ? 'tab-in-flow' : 'flow-indent';
        line = ' '.repeat(Math.max(need, lead.length)) + line.slice(lead.length);
        lines[n] = line;
        reindented.push({ line: n, why });
      }
    }
    const wasBlock = ctx.kind === 'block';
    const scanned = scanLine(line, ctx, previousOwner);
    ctx = scanned.ctx;
    if (wasBlock && line.trim() !== '' && !line.trimStart().startsWith('#')) previousOwner = ownerColumn(line);
    if (scanned.blockScalar) blockScalarParent = scanned.blockScalarParent;
  }
  return { text: lines.join('\n'), reindented, tabIndented };
}

/** Walks one line from the context it starts in; says where it ends and whether a block scalar starts. */
function scanLine(line: string, start: Context, previousOwner: number | undefined): { ctx: Context; blockScalar: boolean; blockScalarParent: number } {
  let ctx = start;
  const column = ownerColumn(line);
  // A quote or bracket that starts the line belongs to the key on an earlier line.
  const ownerAt = (i: number): number => (i === column && previousOwner !== undefined ? Math.min(previousOwner, column) : column);
  // At a node start a quote, bracket or block scalar indicator opens something.
  let nodeStart = ctx.kind !== 'quoted';
  let i = ctx.kind === 'block' ? column : 0;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ctx.kind === 'quoted') {
      if (ctx.quote === '"' && ch === '\\') {
        i += 2;
        continue;
      }
      if (ch === ctx.quote) {
        if (ctx.quote === "'" && line[i + 1] === "'") {
          i += 2;
          continue;
        }
        ctx = ctx.outer;
        nodeStart = false;
      }
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '#' && (i === 0 || isBlank(line[i - 1]))) break;
    if (nodeStart && (ch === '"' || ch === "'")) {
      ctx = { kind: 'quoted', quote: ch, owner: ctx.kind === 'flow' ? ctx.owner : ownerAt(i), outer: ctx };
      i++;
      continue;
    }
    if (ch === '[' || ch === '{') {
      if (ctx.kind === 'flow') ctx.depth++;
      else if (nodeStart) ctx = { kind: 'flow', depth: 1, owner: ownerAt(i) };
      else {
        i = skipPlain(line, i, false);
        continue;
      }
      nodeStart = true;
      i++;
      continue;
    }
    if (ctx.kind === 'flow') {
      if (ch === ']' || ch === '}') {
        ctx.depth--;
        if (ctx.depth === 0) ctx = { kind: 'block' };
        nodeStart = false;
        i++;
      } else if (ch === ',' || ch === ':' || ch === '?') {
        // After ':' a value starts, also right after a quoted key ({"a":"b"}).
        nodeStart = true;
        i++;
      } else {
        i = skipPlain(line, i, true);
        nodeStart = false;
      }
      continue;
    }
    // Block context.
    if ((ch === '-' || ch === '?' || ch === ':') && isBlank(line[i + 1])) {
      nodeStart = true;
      i++;
      continue;
    }
    if (nodeStart && (ch === '|' || ch === '>')) {
      const indicators = /^[|>][-+0-9]*[ \t]*(#.*)?\r?$/.exec(line.slice(i));
      if (indicators) {
        const keyColumn = ownerColumn(line);
        const parent = line[keyColumn] === '|' || line[keyColumn] === '>' ? (/^ */.exec(line)?.[0].length ?? 0) : keyColumn;
        return { ctx, blockScalar: true, blockScalarParent: parent };
      }
    }
    if (nodeStart && (ch === '&' || ch === '!')) {
      // An anchor or a tag: the node starts after it.
      while (i < line.length && !isBlank(line[i])) i++;
      continue;
    }
    i = skipPlain(line, i, false);
    nodeStart = false;
  }
  return { ctx, blockScalar: false, blockScalarParent: 0 };
}

/** Past a plain scalar (or key): up to ": ", " #", the line's end, or in flow context a flow indicator. */
function skipPlain(line: string, from: number, flow: boolean): number {
  let i = from + 1;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === ':' && isBlank(line[i + 1])) return i;
    if (ch === '#' && isBlank(line[i - 1])) return i;
    if (flow && (ch === ',' || ch === '[' || ch === ']' || ch === '{' || ch === '}')) return i;
    i++;
  }
  return i;
}
