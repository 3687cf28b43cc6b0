// diffIR on small hand-written tables: the diff knows only named sets, maps
// and chains (heads, elements, rules), so these tables use made-up names and
// text; the kernel test (test/kernel/delta.test.ts) checks the real ones.
import { describe, expect, it } from 'vitest';
import { diffIR, EMPTY_TABLE, isEmptyDelta, type TableChain, type TableElement, type TableObjects, type TableSet } from '../../src/compile/diff-ir.ts';

const el = (key: string, value?: string, refs: string[] = []): TableElement => (value === undefined ? { key, refs } : { key, value, refs });
const set = (name: string, keys: string[], head = ['type ipv4_addr']): TableSet => ({ kind: 'set', name, head, elements: keys.map((k) => el(k)) });
const map = (name: string, entries: [string, string][]): TableSet => ({
  kind: 'map', name, head: ['type ipv4_addr : verdict'], elements: entries.map(([k, v]) => el(k, v, v.startsWith('jump ') ? [v.slice(5)] : [])),
});
const chain = (name: string, rules: string[], head: string[] = []): TableChain => ({
  name, head, rules: rules.map((text) => ({ text, refs: [...text.matchAll(/(?:jump |@)(\S+)/g)].map((m) => m[1] as string) })),
});
const table = (sets: TableSet[], chains: TableChain[], head = ['comment "node n1"']): TableObjects => ({ head, sets, chains });

const names = <T extends { name: string }>(xs: readonly T[]): string[] => xs.map((x) => x.name);

describe('diffIR', () => {
  const base = table(
    [set('peers', ['10.0.0.1', '10.0.0.2']), map('ingress', [['10.1.0.1', 'jump pod-a'], ['10.1.0.2', 'accept']])],
    [chain('pol', ['ip saddr @peers accept']), chain('pod-a', ['jump pol', 'drop']), chain('forward', ['ip daddr vmap @ingress'], ['type filter hook forward priority 0; policy accept;'])],
  );

  it('the same table: an empty delta', () => {
    const d = diffIR(base, structuredClone(base));
    expect(isEmptyDelta(d)).toBe(true);
    expect(d).toEqual({ replaceTable: false, head: base.head, elements: [], create: { sets: [], chains: [] }, delete: { sets: [], chains: [] }, rewrite: [] });
  });

  it('set elements added and deleted, nothing else', () => {
    const next = table([set('peers', ['10.0.0.2', '10.0.0.3']), base.sets[1] as TableSet], [...base.chains]);
    const d = diffIR(base, next);
    expect(d.elements).toEqual([{ kind: 'set', name: 'peers', delete: [el('10.0.0.1')], add: [el('10.0.0.3')] }]);
    expect([d.create, d.delete, d.rewrite]).toEqual([{ sets: [], chains: [] }, { sets: [], chains: [] }, []]);
  });

  it('a map element whose verdict changes is deleted and added', () => {
    const next = table([base.sets[0] as TableSet, map('ingress', [['10.1.0.1', 'accept'], ['10.1.0.2', 'accept']])], [...base.chains]);
    expect(diffIR(base, next).elements).toEqual([{ kind: 'map', name: 'ingress', delete: [el('10.1.0.1', 'jump pod-a', ['pod-a'])], add: [el('10.1.0.1', 'accept')] }]);
  });

  it('a chain whose rules change is rewritten with all its new rules', () => {
    const next = table([...base.sets], [chain('pol', ['ip saddr @peers tcp dport 80 accept']), ...base.chains.slice(1)]);
    const d = diffIR(base, next);
    expect(names(d.rewrite)).toEqual(['pol']);
    expect(d.rewrite[0]?.rules.map((r) => r.text)).toEqual(['ip saddr @peers tcp dport 80 accept']);
    expect(d.elements).toEqual([]);
  });

  it('objects created and deleted; a map element pointing at a new chain is added', () => {
    const next = table(
      [set('peers2', ['10.0.0.9']), map('ingress', [['10.1.0.1', 'jump pod-a'], ['10.1.0.2', 'jump pod-b']])],
      [chain('pol2', ['ip saddr @peers2 accept']), chain('pod-a', ['jump pol2', 'drop']), chain('pod-b', ['jump pol2', 'drop']), base.chains[2] as TableChain],
    );
    const d = diffIR(base, next);
    expect(names(d.create.sets)).toEqual(['peers2']);
    expect(names(d.create.chains)).toEqual(['pod-b', 'pol2']);
    expect(d.delete).toEqual({ sets: [{ kind: 'set', name: 'peers' }], chains: ['pol'] });
    expect(names(d.rewrite)).toEqual(['pod-a']);
    expect(d.elements).toEqual([{ kind: 'map', name: 'ingress', delete: [el('10.1.0.2', 'accept')], add: [el('10.1.0.2', 'jump pod-b', ['pod-b'])] }]);
  });

  it('a chain whose head changes is declared anew, and its users with it: chains rewritten, map elements deleted and added', () => {
    const next = table([...base.sets], [chain('pol', ['ip saddr @peers accept']), chain('pod-a', ['jump pol', 'drop'], ['comment "failing closed"']), base.chains[2] as TableChain]);
    const d = diffIR(base, next);
    expect(d.delete.chains).toEqual(['pod-a']);
    expect(names(d.create.chains)).toEqual(['pod-a']);
    expect(d.create.chains[0]?.head).toEqual(['comment "failing closed"']);
    expect(d.elements).toEqual([{ kind: 'map', name: 'ingress', delete: [el('10.1.0.1', 'jump pod-a', ['pod-a'])], add: [el('10.1.0.1', 'jump pod-a', ['pod-a'])] }]);
    expect(d.rewrite).toEqual([]);
  });

  it('a set whose type changes is declared anew, and the chains using it are rewritten', () => {
    const next = table([set('peers', ['10.0.0.1', '10.0.0.2'], ['type ipv4_addr', 'flags interval']), base.sets[1] as TableSet], [...base.chains]);
    const d = diffIR(base, next);
    expect(d.delete.sets).toEqual([{ kind: 'set', name: 'peers' }]);
    expect(names(d.create.sets)).toEqual(['peers']);
    expect(names(d.rewrite)).toEqual(['pol']);
  });

  it('a set that becomes a map of the same name is declared anew', () => {
    const next = table([{ ...map('peers', [['10.0.0.1', 'accept']]) }, base.sets[1] as TableSet], [...base.chains]);
    const d = diffIR(base, next);
    expect(d.delete.sets).toEqual([{ kind: 'set', name: 'peers' }]);
    expect(d.create.sets.map((s) => [s.kind, s.name])).toEqual([['map', 'peers']]);
  });

  it('a table whose own head changes is replaced: everything is created', () => {
    const d = diffIR(base, { ...base, head: ['comment "node n2"'] });
    expect(d.replaceTable).toBe(true);
    expect(d.head).toEqual(['comment "node n2"']);
    expect(names(d.create.sets)).toEqual(['ingress', 'peers']);
    expect(names(d.create.chains)).toEqual(['forward', 'pod-a', 'pol']);
    expect([d.delete, d.rewrite, d.elements]).toEqual([{ sets: [], chains: [] }, [], []]);
  });

  it('from no table at all: the table is created', () => {
    const d = diffIR(EMPTY_TABLE, base);
    expect(d.replaceTable).toBe(true);
    expect(d.create.chains).toHaveLength(3);
  });

  it('two objects under one name: refused, naming it', () => {
    expect(() => diffIR(base, table([set('peers', []), set('peers', [])], []))).toThrow('two sets or maps named "peers"');
    expect(() => diffIR(table([], [chain('c', []), chain('c', [])]), base)).toThrow('two chains named "c"');
  });

  it('deterministic: the delta lists objects by name whatever their order in the tables', () => {
    const next = table([set('b', ['1.1.1.1']), set('a', ['1.1.1.1'])], [chain('z', []), chain('y', [])]);
    const d = diffIR(base, next);
    expect(names(d.create.sets)).toEqual(['a', 'b']);
    expect(names(d.create.chains)).toEqual(['y', 'z']);
    expect(d.delete.chains).toEqual(['forward', 'pod-a', 'pol']);
  });
});
