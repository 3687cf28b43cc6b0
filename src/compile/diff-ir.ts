// diffIR: what changes between two tables of a node, as named objects. The
// agent lives on deltas (DESIGN.md, "Change, not rebuild"): an event gives a
// new IR, and instead of replacing the whole table the syncer applies only
// the difference, in one transaction (src/nft/render-delta.ts writes it).
//
// The diff knows no layout: it sees named sets and maps (a head, and
// elements with a key and, for maps, a value) and named chains (a head and a
// rule list), whatever the compiler and renderer make of a policy. The text
// in them is opaque here (the nft stage fills it in and writes it back), so a
// later change of layout (a new set kind, another chain) needs no new delta
// code. Everything is compared as text:
//  - a set or map whose head (type, flags, comment) changed, or whose kind
//    changed, is deleted and created anew, as is a chain whose head (hook,
//    comment) changed: the kernel keeps a chain's comment on "add chain";
//  - otherwise a set or map gets element deletes and adds; a map element
//    whose key stays but whose value (verdict) changes is deleted and added;
//  - a chain whose rule list differs in any way is rewritten whole (flushed
//    and its rules added again): rules have no stable identity to patch;
//  - an object created anew takes its users with it: a kept chain whose rules
//    refer to it is rewritten, a kept map element whose value refers to it is
//    deleted and added, so nothing refers to it at the moment it is deleted.

/** A set or map element: its key, the map value (verdict) if any, and the objects that value refers to. */
export interface TableElement {
  readonly key: string;
  readonly value?: string;
  readonly refs: readonly string[];
}

export interface TableSet {
  readonly kind: 'set' | 'map';
  readonly name: string;
  /** Its declaration without the elements (type, flags, comment). */
  readonly head: readonly string[];
  readonly elements: readonly TableElement[];
}

export interface TableRule {
  readonly text: string;
  /** Chains and sets the rule refers to (jump targets, @sets, vmaps). */
  readonly refs: readonly string[];
}

export interface TableChain {
  readonly name: string;
  /** Its declaration without the rules (base chain hook and policy, comment). */
  readonly head: readonly string[];
  readonly rules: readonly TableRule[];
}

/** A node's table as named objects, in the order the full script declares them. */
export interface TableObjects {
  /** The table's own statements (its comment). */
  readonly head: readonly string[];
  readonly sets: readonly TableSet[];
  readonly chains: readonly TableChain[];
}

export const EMPTY_TABLE: TableObjects = { head: [], sets: [], chains: [] };

/** A set known to be another set with some elements added and deleted (its maker knows; the diff need not compare them). */
export interface TableSetChange {
  readonly from: TableSet;
  readonly add: readonly TableElement[];
  readonly delete: readonly TableElement[];
}

const setChanges = new WeakMap<TableSet, TableSetChange>();

/** Records that `set` is `change.from` with change's elements added and deleted. */
export function noteSetChange(set: TableSet, change: TableSetChange): void {
  setChanges.set(set, change);
  // Only the newest step is kept, so a chain of steps cannot keep every earlier table set alive.
  setChanges.delete(change.from);
}

export interface ElementChange {
  readonly kind: 'set' | 'map';
  readonly name: string;
  readonly delete: readonly TableElement[];
  readonly add: readonly TableElement[];
}

/** Everything sorted by name, so the same pair of tables gives the same delta. */
export interface TableDelta {
  /** The table's own head changed: the table is replaced, and `create` holds all of it. */
  readonly replaceTable: boolean;
  /** The new table's head (written when the table is replaced). */
  readonly head: readonly string[];
  /** Element deletes and adds in sets and maps that stay. */
  readonly elements: readonly ElementChange[];
  /** Sets, maps and chains that are new or created anew; chains with their rules. */
  readonly create: { readonly sets: readonly TableSet[]; readonly chains: readonly TableChain[] };
  /** Sets, maps and chains that go, or are created anew (then also in `create`). */
  readonly delete: { readonly sets: readonly Pick<TableSet, 'kind' | 'name'>[]; readonly chains: readonly string[] };
  /** Chains that stay, with their new rules. */
  readonly rewrite: readonly TableChain[];
}

export function isEmptyDelta(d: TableDelta): boolean {
  return !d.replaceTable && d.elements.length === 0 && d.create.sets.length === 0 && d.create.chains.length === 0
    && d.delete.sets.length === 0 && d.delete.chains.length === 0 && d.rewrite.length === 0;
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const sameLines = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sameRules = (a: readonly TableRule[], b: readonly TableRule[]): boolean => a.length === b.length && a.every((r, i) => r.text === b[i]?.text);

function indexByName<T extends { name: string }>(items: readonly T[], what: string): Map<string, T> {
  const m = new Map<string, T>();
  for (const item of items) {
    // Two objects under one name cannot both exist in nft: the input is broken.
    if (m.has(item.name)) throw new Error(`diffIR: two ${what} named ${JSON.stringify(item.name)}`);
    m.set(item.name, item);
  }
  return m;
}

const indexes = new WeakMap<TableObjects, { sets: Map<string, TableSet>; chains: Map<string, TableChain> }>();

/** A table's objects by name, kept with the table: the agent's next diff finds this one's as its previous. */
function indexesOf(t: TableObjects): { sets: Map<string, TableSet>; chains: Map<string, TableChain> } {
  let ix = indexes.get(t);
  if (ix === undefined) indexes.set(t, (ix = { sets: indexByName(t.sets, 'sets or maps'), chains: indexByName(t.chains, 'chains') }));
  return ix;
}

/** The delta that turns table `previous` into table `next`. */
export function diffIR(previous: TableObjects, next: TableObjects): TableDelta {
  const replaceTable = !sameLines(previous.head, next.head);
  if (replaceTable) return { ...diffIR({ ...EMPTY_TABLE, head: next.head }, next), replaceTable: true };

  const { sets: prevSets, chains: prevChains } = indexesOf(previous);
  const { sets: nextSets, chains: nextChains } = indexesOf(next);

  // Objects that go, and objects created anew under the same name.
  const goneSets = previous.sets.filter((s) => {
    const n = nextSets.get(s.name);
    return n === undefined || n.kind !== s.kind || !sameLines(n.head, s.head);
  });
  const goneChains = previous.chains.filter((c) => {
    const n = nextChains.get(c.name);
    return n === undefined || !sameLines(n.head, c.head);
  });
  const goneSetNames = new Set(goneSets.map((s) => s.name));
  const goneChainNames = new Set(goneChains.map((c) => c.name));
  // Sets and chains have separate names in nft; a reference may be to either, so either counts.
  const recreated = new Set([...[...goneSetNames].filter((n) => nextSets.has(n)), ...[...goneChainNames].filter((n) => nextChains.has(n))]);
  const refersToRecreated = (refs: readonly string[]): boolean => refs.some((r) => recreated.has(r));

  const createSets = next.sets.filter((s) => !prevSets.has(s.name) || goneSetNames.has(s.name));
  const createChains = next.chains.filter((c) => !prevChains.has(c.name) || goneChainNames.has(c.name));
  const created = new Set([...createSets, ...createChains].map((o) => o.name));

  const rewrite = next.chains.filter((c) => {
    if (created.has(c.name)) return false;
    const before = prevChains.get(c.name) as TableChain;
    // The same object (an unchanged part of the IR, read once) has the same rules.
    return (before !== c && !sameRules(before.rules, c.rules)) || (recreated.size > 0 && c.rules.some((r) => refersToRecreated(r.refs)));
  });

  const elements: ElementChange[] = [];
  for (const s of next.sets) {
    if (created.has(s.name)) continue;
    const before = prevSets.get(s.name) as TableSet;
    // The same object has the same elements; a set's elements refer to nothing (only a map's verdicts do).
    if (before === s && s.kind === 'set') continue;
    const known = s.kind === 'set' ? setChanges.get(s) : undefined;
    if (known !== undefined && known.from === before) {
      if (known.delete.length > 0 || known.add.length > 0) elements.push({ kind: s.kind, name: s.name, delete: known.delete, add: known.add });
      continue;
    }
    const now = new Map(s.elements.map((e) => [e.key, e]));
    const was = new Map(before.elements.map((e) => [e.key, e]));
    // A value pointing at an object created anew is written again after it is.
    const changed = (e: TableElement): boolean => {
      const other = now.get(e.key);
      return other === undefined || other.value !== e.value || refersToRecreated(other.refs);
    };
    const del = before.elements.filter(changed);
    const add = s.elements.filter((e) => {
      const old = was.get(e.key);
      return old === undefined || old.value !== e.value || refersToRecreated(e.refs);
    });
    if (del.length > 0 || add.length > 0) elements.push({ kind: s.kind, name: s.name, delete: del, add });
  }

  return {
    replaceTable: false,
    head: next.head,
    elements: elements.sort(byName),
    create: { sets: [...createSets].sort(byName), chains: [...createChains].sort(byName) },
    delete: { sets: goneSets.map((s) => ({ kind: s.kind, name: s.name })).sort(byName), chains: goneChains.map((c) => c.name).sort() },
    rewrite: rewrite.sort(byName),
  };
}
