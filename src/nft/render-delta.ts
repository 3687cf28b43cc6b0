// A delta between two tables as one nft script: `nft -f` applies a file as
// one transaction, so the old rules enforce until all of it is in.
//
// tableObjects reads the named objects out of the full table text that
// renderTableBody writes, so the delta declares exactly what the full script
// would, and a change of layout in the renderers reaches the delta with no
// new code here. diffIR (src/compile/diff-ir.ts) compares them; renderDelta
// writes the difference. Order inside the transaction matters to nft: a set
// or chain cannot be deleted while a rule or map element still refers to it,
// and a rule cannot refer to one not yet declared. So, in this order:
//
//   flush chain inet nftpol pol-in/x/p                    chains rewritten or going: their references go first
//   delete element inet nftpol ingress-v4 { 10.244.1.5 }  elements that go (a changed verdict: deleted, added below)
//   delete set inet nftpol pods/3f2a9c0d1e4b5a67/v4        sets, maps, then chains that go (or are declared anew)
//   delete chain inet nftpol pod-in/x/a
//   table inet nftpol { chain pod-in/x/b { } }            new chains, empty: jump targets exist before their users
//   table inet nftpol { set pods/... { type ...; elements = { ... } } }   new sets and maps, with their elements
//   add element inet nftpol ingress-v4 { 10.244.1.6 : jump pod-in/x/b }
//   table inet nftpol { chain pol-in/x/p { rule... } }    rules of new and rewritten chains, after all they use
//
// The same pair of tables gives the same bytes; an empty delta is the empty string.
import { diffIR, EMPTY_TABLE, isEmptyDelta, noteSetChange, type TableChain, type TableDelta, type TableElement, type TableObjects, type TableRule, type TableSet } from '../compile/diff-ir.ts';
import type { NamedSet, NodeIR } from '../compile/ir.ts';
import { setChange } from '../compile/set-registry.ts';
import { elementText as setElementText } from './render-sets.ts';
import { DEFAULT_TABLE, tablePieces, type TableName, type TablePiece } from './render-table.ts';
import { elementsClause } from './syntax.ts';

const I = '\t\t';

// -------------------------------------------------------------- reading the full table's text

/** Chain statements that are the chain's declaration, not rules. */
const CHAIN_HEAD = /^(type|policy|comment|flags|devices)\b/;
/** A name as nftName writes it. */
const NAME = '([A-Za-z0-9/._-]+)';
const JUMP = new RegExp(`\\b(?:jump|goto) ${NAME}`, 'g');
const AT = new RegExp(`@${NAME}`, 'g');

/** The chains and sets a rule or verdict refers to; quoted comments are not looked into. */
export function referencesOf(text: string): string[] {
  // Most rules and verdicts refer to nothing ("accept", "counter drop"): skip the regexes.
  if (!text.includes('@') && !text.includes('jump ') && !text.includes('goto ')) return [];
  const code = text.replace(/"[^"]*"/g, '""');
  return [...new Set([...code.matchAll(JUMP), ...code.matchAll(AT)].map((m) => m[1] as string))];
}

function element(text: string, kind: 'set' | 'map'): TableElement {
  if (kind === 'set') return { key: text, refs: [] };
  const at = text.indexOf(' : ');
  if (at < 0) throw new Error(`render-delta: map element without " : " verdict: ${JSON.stringify(text)}`);
  const value = text.slice(at + 3);
  return { key: text.slice(0, at), value, refs: referencesOf(value) };
}

/**
 * The named objects of a table as renderTableBody writes it: one object a
 * block opened by "\t<set|map|chain> NAME {" and closed by "\t}", one
 * statement a line, elements in one "elements = { ... }" clause (possibly
 * wrapped over lines); a line at the table's level outside a block is the
 * table's own head.
 */
export function parseTableBody(text: string): TableObjects {
  const lines = text.split('\n');
  const head: string[] = [];
  const sets: TableSet[] = [];
  const chains: TableChain[] = [];
  const fail = (i: number, why: string): never => {
    throw new Error(`render-delta: table text line ${i + 1}: ${why}: ${JSON.stringify(lines[i])}`);
  };
  if (!/^table \S+ \S+ \{$/.test(lines[0] ?? '')) fail(0, 'not a table block');
  let i = 1;
  for (; i < lines.length && lines[i] !== '}'; i++) {
    const line = lines[i] as string;
    const open = /^\t(set|map|chain) (\S+) \{$/.exec(line);
    if (!open) {
      if (!/^\t[^\t]/.test(line)) fail(i, 'expected a table statement or an object');
      head.push(line.slice(1));
      continue;
    }
    const [, kind, name] = open as unknown as [string, 'set' | 'map' | 'chain', string];
    const objHead: string[] = [];
    const body: string[] = [];
    let elements: string | undefined;
    for (i++; lines[i] !== '\t}'; i++) {
      if (i >= lines.length) fail(i - 1, `${kind} ${name} is not closed`);
      const stmt = (lines[i] as string).trim();
      if (kind !== 'chain' && stmt.startsWith('elements = {')) {
        // Parts, not one growing string: endsWith on a growing string copies it every line.
        const parts = [stmt.slice('elements = {'.length)];
        while (!(parts[parts.length - 1] as string).endsWith('}')) {
          i++;
          if (i >= lines.length || lines[i] === '\t}') fail(i, `elements of ${kind} ${name} are not closed`);
          parts.push((lines[i] as string).trim());
        }
        elements = parts.join(' ').slice(0, -1).trim();
      } else if (kind !== 'chain' || CHAIN_HEAD.test(stmt)) objHead.push(stmt);
      else body.push(stmt);
    }
    if (kind === 'chain') chains.push({ name, head: objHead, rules: body.map((t): TableRule => ({ text: t, refs: referencesOf(t) })) });
    else sets.push({ kind, name, head: objHead, elements: elements === undefined ? [] : elements.split(',').map((e) => element(e.trim(), kind)) });
  }
  if (i >= lines.length) fail(lines.length - 1, 'the table block is not closed');
  return { head, sets, chains };
}

/** What one piece of the table declares, read from its text alone. */
type PieceObjects = Pick<TableObjects, 'sets' | 'chains'>;
const pieceObjects = new WeakMap<object, PieceObjects>();

/**
 * A set whose maker says how it differs from a set read before: that set's
 * objects with the elements patched (they keep no order; the diff needs none),
 * and the change noted for diffIR.
 */
function patchedSet(set: NamedSet): PieceObjects | undefined {
  const change = setChange(set);
  const from = change === undefined ? undefined : pieceObjects.get(change.from)?.sets[0];
  if (change === undefined || from === undefined) return undefined;
  const gone = new Set(change.delete.map(setElementText));
  const add = change.add.map((e): TableElement => ({ key: setElementText(e), refs: [] }));
  const kept = gone.size === 0 ? from.elements : from.elements.filter((e) => !gone.has(e.key));
  const read: TableSet = { ...from, elements: add.length === 0 ? kept : kept.concat(add) };
  noteSetChange(read, { from, add, delete: [...gone].map((key): TableElement => ({ key, refs: [] })) });
  return { sets: [read], chains: [] };
}

function readPiece(piece: TablePiece): PieceObjects {
  const have = piece.of === undefined ? undefined : pieceObjects.get(piece.of);
  if (have !== undefined) return have;
  const patched = piece.set === undefined ? undefined : patchedSet(piece.set);
  if (patched !== undefined) {
    pieceObjects.set(piece.set as NamedSet, patched);
    return patched;
  }
  const { sets, chains } = parseTableBody(['table inet piece {', ...piece.lines(), '}'].join('\n'));
  const read = { sets, chains };
  if (piece.of !== undefined) pieceObjects.set(piece.of, read);
  return read;
}

/**
 * A node's table as named objects: what the full script for this IR declares
 * (parseTableBody of renderTableBody, read piece by piece). An IR object seen
 * before (the incremental compiler keeps unchanged sets and chains as the
 * same objects) is not rendered or read again, so the cost follows the
 * change, and diffIR skips the objects that are the same.
 */
export function tableObjects(ir: NodeIR, table: TableName = DEFAULT_TABLE): TableObjects {
  const { head, pieces } = tablePieces(ir, table);
  const sets: TableSet[] = [];
  const chains: TableChain[] = [];
  for (const piece of pieces) {
    const read = readPiece(piece);
    sets.push(...read.sets);
    chains.push(...read.chains);
  }
  return { head, sets, chains };
}

// -------------------------------------------------------------- writing a delta

/** Elements per add/delete element command: keeps lines readable, one transaction all the same. */
const ELEMENTS_PER_COMMAND = 256;

const elementText = (e: TableElement): string => (e.value === undefined ? e.key : `${e.key} : ${e.value}`);

function elementCommands(verb: 'add' | 'delete', table: TableName, name: string, items: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += ELEMENTS_PER_COMMAND) {
    out.push(`${verb} element ${table.family} ${table.name} ${name} { ${items.slice(i, i + ELEMENTS_PER_COMMAND).join(', ')} }`);
  }
  return out;
}

/** `table inet nftpol { ...blocks }`, or nothing for no blocks. */
function tableBlock(table: TableName, blocks: readonly string[][]): string[] {
  if (blocks.length === 0) return [];
  return [`table ${table.family} ${table.name} {`, ...blocks.flat(), '}'];
}

const chainBlock = (name: string, statements: readonly string[]): string[] => [`\tchain ${name} {`, ...statements.map((s) => `${I}${s}`), '\t}'];

function setBlock(set: TableSet): string[] {
  return [`\t${set.kind} ${set.name} {`, ...set.head.map((s) => `${I}${s}`), ...elementsClause(set.elements.map(elementText), I), '\t}'];
}

/** The delta as one nft script (see the order at the top of this file); "" when nothing changes. */
export function renderDelta(delta: TableDelta, table: TableName = DEFAULT_TABLE): string {
  if (isEmptyDelta(delta)) return '';
  const t = `${table.family} ${table.name}`;
  const lines: string[] = [];
  if (delta.replaceTable) {
    // The table itself changed: replaced, as renderReplaceScript does; `create` holds all of it.
    lines.push(`add table ${t}`, `delete table ${t}`, `table ${t} {`, ...delta.head.map((h) => `\t${h}`), '}');
  }
  // flush chain inet nftpol pol-in/x/p: rewritten chains and chains that go drop their references first
  const flushed = [...new Set([...delta.rewrite.map((c) => c.name), ...delta.delete.chains])].sort();
  for (const name of flushed) lines.push(`flush chain ${t} ${name}`);
  // delete element inet nftpol ingress-v4 { 10.244.1.5 }: by key, also for a map element whose verdict changes
  for (const change of delta.elements) lines.push(...elementCommands('delete', table, change.name, change.delete.map((e) => e.key)));
  // delete map inet nftpol ingress-v6, then delete chain inet nftpol pod-in/x/a: a map that goes takes its jumps with it
  for (const set of delta.delete.sets) lines.push(`delete ${set.kind} ${t} ${set.name}`);
  for (const name of delta.delete.chains) lines.push(`delete chain ${t} ${name}`);
  // table inet nftpol { chain pod-in/x/b { } }: declared empty (with a base chain's hook, a comment), filled below
  lines.push(...tableBlock(table, delta.create.chains.map((c) => chainBlock(c.name, c.head))));
  // table inet nftpol { set pods/... { type ipv4_addr; comment "..."; elements = { ... } } }
  lines.push(...tableBlock(table, delta.create.sets.map(setBlock)));
  // add element inet nftpol ingress-v4 { 10.244.1.6 : jump pod-in/x/b }
  for (const change of delta.elements) lines.push(...elementCommands('add', table, change.name, change.add.map(elementText)));
  // table inet nftpol { chain pol-in/x/p { ip saddr @pods/... accept } }: a block adds rules to an existing chain
  const withRules = [...delta.create.chains, ...delta.rewrite].filter((c) => c.rules.length > 0).sort((a, b) => (a.name < b.name ? -1 : 1));
  lines.push(...tableBlock(table, withRules.map((c) => chainBlock(c.name, c.rules.map((r) => r.text)))));
  return `${lines.join('\n')}\n`;
}

/** The script that moves the kernel's table from `previous`'s (none: no table yet) to `next`'s. */
export function renderDeltaScript(previous: NodeIR | undefined, next: NodeIR, table: TableName = DEFAULT_TABLE): string {
  return renderDelta(diffIR(previous === undefined ? EMPTY_TABLE : tableObjects(previous, table), tableObjects(next, table)), table);
}
