// semanticDiff: the pairs of pods and workloads whose connection set
// changed between two cluster states, with what was added and removed.
import { describe, expect, it } from 'vitest';
import { comparePairs, hasAnyChange, hasNewAllows, semanticDiff } from '../../src/explain/semantic-diff.ts';
import type { ConnectionSet} from '../../src/explain/connection-set.ts';
import { parseConnectionSet } from '../../src/explain/connection-set.ts';
import { denyAll, pod, podPeer, policy, rule, sel, tcp, udp, world } from '../generators/cluster-builders.ts';

const pods = [
  pod('shop/api', { app: 'api' }, { ips: ['10.244.0.2'] }),
  pod('shop/db', { app: 'db' }, { ips: ['10.244.0.3'] }),
  pod('shop/web', { app: 'web' }, { ips: ['10.244.0.4'] }),
];
const dbFromApi = (ports: Parameters<typeof rule>[1]) =>
  policy('shop/db-in', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'api' }))], ports)] });

const text = (d: ReturnType<typeof semanticDiff>): string[] =>
  d.changes.map((c) => `${c.from} -> ${c.to}: +${c.added.format()} -${c.removed.format()} (${c.before.format()} => ${c.after.format()})`);

describe('semanticDiff', () => {
  it('lists only the pairs whose set changed, with added and removed', () => {
    const before = world({ pods, policies: [dbFromApi([tcp(5432)])] });
    const after = world({ pods, policies: [dbFromApi([tcp(5432, 5433), udp(53)])] });
    const d = semanticDiff(before.state, after.state, { namespace: null });
    expect(text(d)).toEqual(['shop/api -> shop/db: +TCP 5433; UDP 53 -none (TCP 5432 => TCP 5432-5433; UDP 53)']);
    expect(hasNewAllows(d)).toBe(true);
    expect(d.appeared).toEqual([]);
    expect(d.disappeared).toEqual([]);
  });

  it('puts newly allowed pairs first, then those that only lose connections', () => {
    // Before: db open to api on 5432 only; web isolated by nothing. After: db open to all of shop on 80, web denied everything.
    const before = world({ pods, policies: [dbFromApi([tcp(5432)])] });
    const after = world({
      pods,
      policies: [
        policy('shop/db-in', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel())], [tcp(80)])] }),
        denyAll('shop/web-deny', ['Ingress'], sel({ app: 'web' })),
      ],
    });
    expect(text(semanticDiff(before.state, after.state, { namespace: null }))).toEqual([
      'shop/api -> shop/db: +TCP 80 -TCP 5432 (TCP 5432 => TCP 80)',
      'shop/web -> shop/db: +TCP 80 -none (none => TCP 80)',
      'shop/api -> shop/web: +none -all (all => none)',
      'shop/db -> shop/web: +none -all (all => none)',
    ]);
  });

  it('lists pods that appear or disappear as such, not as changed pairs', () => {
    const before = world({ pods: pods.slice(0, 2) });
    const after = world({ pods: pods.slice(1) });
    const d = semanticDiff(before.state, after.state, { namespace: null });
    expect(d.changes).toEqual([]);
    expect(d.appeared).toEqual(['shop/web']);
    expect(d.disappeared).toEqual(['shop/api']);
    expect(hasNewAllows(d)).toBe(false);
    expect(hasAnyChange(d)).toBe(true);
  });

  it('narrows to a namespace as matrix -n does', () => {
    const other = pod('other/x', { app: 'x' }, { ips: ['10.244.0.9'] });
    const before = world({ pods: [...pods, other] });
    const after = world({ pods: [...pods, other], policies: [denyAll('other/deny', ['Ingress'])] });
    expect(semanticDiff(before.state, after.state, { namespace: 'shop' }).changes).toEqual([]);
    expect(semanticDiff(before.state, after.state, { namespace: 'other' }).changes).toEqual([]);
    expect(semanticDiff(before.state, after.state, { namespace: null }).changes.map((c) => c.to)).toEqual(['other/x', 'other/x', 'other/x']);
  });

  it('a diff of a state with itself is empty', () => {
    const w = world({ pods, policies: [dbFromApi([tcp(5432)])] });
    const d = semanticDiff(w.state, w.state, { namespace: null });
    expect(hasAnyChange(d)).toBe(false);
    expect(d.before).toBe(3);
    expect(d.after).toBe(3);
  });
});

describe('comparePairs', () => {
  it('ignores pairs on one side only and equal sets', () => {
    const s = (t: string): ConnectionSet => parseConnectionSet(t);
    const before = new Map([['a\u0000b', s('TCP 80')], ['a\u0000c', s('all')]]);
    const after = new Map([['a\u0000b', s('TCP 80')], ['a\u0000c', s('UDP 53')], ['a\u0000d', s('all')]]);
    const changes = comparePairs(before, after);
    expect(changes.map((c) => [c.from, c.to, c.added.format(), c.removed.format()])).toEqual([['a', 'c', 'none', s('all').difference(s('UDP 53')).format()]]);
  });
});
