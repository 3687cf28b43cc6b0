// renderDelta on small clusters: the exact script (order is what nft needs:
// references gone before what they point at, declarations before users), an
// empty delta renders nothing, and tableObjects reads every object and
// element of the full table. The kernel test (test/kernel/delta.test.ts)
// applies such scripts to real tables.
import { describe, expect, it } from 'vitest';
import { diffIR, type TableDelta } from '../../src/compile/diff-ir.ts';
import { parseTableBody, referencesOf, renderDelta, renderDeltaScript, tableObjects } from '../../src/nft/render-delta.ts';
import { denyAll, pod, podPeer, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';
import { compile, NODE } from '../compile/helpers.ts';

const a = pod('x/a', { app: 'a' }, { node: NODE, ips: ['10.244.1.2'] });
const b = pod('x/b', { app: 'b' }, { node: NODE, ips: ['10.244.1.3'] });
const c = pod('x/c', { app: 'b' }, { node: NODE, ips: ['10.244.1.4'] });
const allowFromB = policy('x/p', { podSelector: sel({ app: 'a' }), ingress: [rule([podPeer(sel({ app: 'b' }))], [tcp(80)])] });
const before = compile({ pods: [a, b], policies: [allowFromB] });

describe('renderDelta', () => {
  it('the same IR: nothing to write', () => {
    expect(renderDeltaScript(before.ir, compile({ pods: [a, b], policies: [allowFromB] }).ir)).toBe('');
  });

  it('a pod added to a peer set and a policy isolating it: elements, new chains, their rules', () => {
    const after = compile({ pods: [a, b, c], policies: [allowFromB, denyAll('x/d', ['Egress'], sel({ app: 'b' }))] });
    expect(renderDeltaScript(before.ir, after.ir)).toBe([
      'delete element inet nftpol egress-v4 { 10.244.1.3 }',
      'table inet nftpol {',
      '\tchain pod-out/x/b {',
      '\t}',
      '\tchain pod-out/x/c {',
      '\t}',
      '\tchain pol-out/x/d {',
      '\t}',
      '}',
      'add element inet nftpol egress-v4 { 10.244.1.3 : jump pod-out/x/b, 10.244.1.4 : jump pod-out/x/c }',
      'add element inet nftpol ingress-v4 { 10.244.1.4 : accept }',
      'add element inet nftpol pods/f1f29fa85635f7dd/v4 { 10.244.1.4 }',
      'table inet nftpol {',
      '\tchain pod-out/x/b {',
      '\t\tip daddr 10.244.1.3 accept comment "x/b to itself"',
      '\t\tjump pol-out/x/d',
      '\t\tcounter drop comment "egress denied x/b"',
      '\t}',
      '\tchain pod-out/x/c {',
      '\t\tip daddr 10.244.1.4 accept comment "x/c to itself"',
      '\t\tjump pol-out/x/d',
      '\t\tcounter drop comment "egress denied x/c"',
      '\t}',
      '}',
      '',
    ].join('\n'));
  });

  it('the way back: chains flushed, elements deleted, then chains deleted; a verdict back to accept', () => {
    const after = compile({ pods: [a, b, c], policies: [allowFromB, denyAll('x/d', ['Egress'], sel({ app: 'b' }))] });
    expect(renderDeltaScript(after.ir, before.ir)).toBe([
      'flush chain inet nftpol pod-out/x/b',
      'flush chain inet nftpol pod-out/x/c',
      'flush chain inet nftpol pol-out/x/d',
      'delete element inet nftpol egress-v4 { 10.244.1.3, 10.244.1.4 }',
      'delete element inet nftpol ingress-v4 { 10.244.1.4 }',
      'delete element inet nftpol pods/f1f29fa85635f7dd/v4 { 10.244.1.4 }',
      'delete chain inet nftpol pod-out/x/b',
      'delete chain inet nftpol pod-out/x/c',
      'delete chain inet nftpol pol-out/x/d',
      'add element inet nftpol egress-v4 { 10.244.1.3 : accept }',
      '',
    ].join('\n'));
  });

  it('a policy that starts failing closed: its chain declared anew (the kernel keeps a chain comment), the pod chain jumping to it rewritten', () => {
    // As the sources keep a policy with errors: no rules, marked.
    const after = compile({ pods: [a, b], policies: [{ ...allowFromB, ingress: [], failClosed: true }] });
    const script = renderDeltaScript(before.ir, after.ir, { family: 'inet', name: 't' });
    const lines = script.split('\n');
    const at = (text: string): number => {
      const i = lines.indexOf(text);
      expect(i, `${text} in:\n${script}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    // The set the old rule used goes after the rule is flushed; the chain after its user is flushed.
    expect(at('flush chain inet t pod-in/x/a')).toBeLessThan(at('delete chain inet t pol-in/x/p'));
    expect(at('flush chain inet t pol-in/x/p')).toBeLessThan(at('delete set inet t pods/f1f29fa85635f7dd/v4'));
    expect(at('\t\tcomment "x/p has errors: failing closed, allows nothing"')).toBeLessThan(at('\t\tjump pol-in/x/p'));
  });

  it('a table for another node: replaced whole, its own head first', () => {
    const other = compile({ pods: [pod('x/a', {}, { node: 'n2', ips: ['10.244.2.2'] })] }, 'n2');
    const script = renderDeltaScript(before.ir, other.ir);
    expect(script.split('\n').slice(0, 5)).toEqual(['add table inet nftpol', 'delete table inet nftpol', 'table inet nftpol {', '\tcomment "nftpol: NetworkPolicy for node n2"', '}']);
  });

  it('many elements: one command per 256, in order', () => {
    const delta: TableDelta = {
      replaceTable: false, head: [], create: { sets: [], chains: [] }, delete: { sets: [], chains: [] }, rewrite: [],
      elements: [{ kind: 'set', name: 's', delete: [], add: Array.from({ length: 300 }, (_, i) => ({ key: `10.0.${i >> 8}.${i & 255}`, refs: [] })) }],
    };
    const lines = renderDelta(delta, { family: 'inet', name: 't' }).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]?.startsWith('add element inet t s { 10.0.0.0, 10.0.0.1,')).toBe(true);
    expect(lines[1]).toBe(`add element inet t s { ${Array.from({ length: 44 }, (_, i) => `10.0.1.${i}`).join(', ')} }`);
  });
});

describe('tableObjects', () => {
  it('reads every object of the full table, with elements wrapped over lines', () => {
    const pods = Array.from({ length: 9 }, (_, i) => pod(`x/p${i}`, { app: 'b' }, { node: NODE, ips: [`10.244.1.${10 + i}`] }));
    const { ir, body } = compile({ pods: [a, ...pods], policies: [allowFromB] });
    expect(body).toContain('\n\t\t             '); // the elements clause is wrapped
    const objects = tableObjects(ir);
    expect(objects.head).toEqual(['comment "nftpol: NetworkPolicy for node n1"']);
    const peers = objects.sets.find((s) => s.name === 'pods/f1f29fa85635f7dd/v4');
    expect(peers?.elements.map((e) => e.key)).toEqual(pods.map((p) => p.ips[0]));
    expect(peers?.head).toEqual(['type ipv4_addr', 'comment "pods app=b in namespace x"']);
    const ingress = objects.sets.find((s) => s.name === 'ingress-v4');
    expect(ingress?.elements[0]).toEqual({ key: '10.244.1.2', value: 'jump pod-in/x/a', refs: ['pod-in/x/a'] });
    const base = objects.chains.find((c) => c.name === 'ingress');
    expect(base?.head).toEqual(['type filter hook forward priority filter - 5; policy accept;']);
    expect(base?.rules.map((r) => r.refs).flat()).toEqual(['ingress-v4']);
    expect(objects.chains.map((c) => c.name)).toEqual(['pol-in/x/p', 'pod-in/x/a', 'egress', 'ingress']);
  });

  it('from no table, the delta declares every object of the full table, with its elements and rules', () => {
    const objects = tableObjects(before.ir);
    const d = diffIR({ head: [], sets: [], chains: [] }, objects);
    const byName = <T extends { name: string }>(xs: readonly T[]): T[] => [...xs].sort((x, y) => (x.name < y.name ? -1 : 1));
    expect(d.create.sets).toEqual(byName(objects.sets));
    expect(d.create.chains).toEqual(byName(objects.chains));
    const script = renderDelta(d);
    for (const c of objects.chains) for (const r of c.rules) expect(script).toContain(`\t\t${r.text}\n`);
  });

  it('hostile names and comments (quotes, braces, "jump" and "@" in text) read back as one object each, with no false references', () => {
    const evil = 'evil" } ; jump @x ; #\nx';
    const { ir, body } = compile({
      pods: [pod(`${evil}/a`, { app: 'a' }, { node: NODE, ips: ['10.244.1.2'] }), pod(`${evil}/b`, {}, { node: NODE, ips: ['10.244.1.3'] })],
      policies: [{ ...denyAll(`${evil}/broken`, ['Ingress', 'Egress']), failClosed: true as const }, policy(`${evil}/${evil}`, { ingress: [rule([podPeer(sel({ app: 'a' }))], [tcp(80)])] })],
    });
    const objects = tableObjects(ir);
    const declared = body.split('\n').filter((l) => /^\t(set|map|chain) /.test(l)).length;
    expect(objects.sets.length + objects.chains.length).toBe(declared);
    const names = new Set([...objects.sets, ...objects.chains].map((o) => o.name));
    for (const c of objects.chains) for (const r of c.rules) for (const ref of r.refs) expect(names.has(ref), `${ref} in ${r.text}`).toBe(true);
  });

  it('a malformed table text is refused, naming the line', () => {
    expect(() => parseTableBody('table inet t {\n\tset s {\n\t\ttype ipv4_addr\n')).toThrow(/line \d+: set s is not closed/);
    expect(() => parseTableBody('tabel inet t {\n}\n')).toThrow('line 1: not a table block');
    expect(() => parseTableBody('table inet t {\n\tmap m {\n\t\telements = { 1.1.1.1 }\n\t}\n}\n')).toThrow('map element without " : " verdict');
  });

  it('references: jump and goto targets, @sets and vmaps; never inside a comment', () => {
    expect(referencesOf('ip saddr @pods/ab/v4 meta l4proto . th dport @port/cd/v4 counter accept comment "jump @evil"')).toEqual(['pods/ab/v4', 'port/cd/v4']);
    expect(referencesOf('jump pol-in/x/p')).toEqual(['pol-in/x/p']);
    expect(referencesOf('ip daddr vmap @ingress-v4')).toEqual(['ingress-v4']);
  });
});
