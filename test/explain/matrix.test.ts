// The connectivity matrix as a query on the engine, without the CLI: every
// cell is the engine's verdict for that ordered pair (self on the diagonal,
// n/a where the asked port does not exist on the destination).
import { describe, expect, it } from 'vitest';
import { computeConnectionMatrix, computeMatrix, matrixTooLarge } from '../../src/explain/matrix.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { cport, denyAll, ipBlock, objects, pod, podPeer, policy, rule, sel, tcp, udp } from '../generators/cluster-builders.ts';

const state = new ClusterState(objects({
  pods: [
    pod('shop/api', { app: 'api' }, { ips: ['10.244.0.2'], ports: [cport('http', 8080)] }),
    pod('shop/db', { app: 'db' }, { ips: ['10.244.0.3'], ports: [cport('pg', 5432)] }),
    pod('shop/web', { app: 'web' }, { ips: ['10.244.0.4'] }),
  ],
  policies: [
    denyAll('shop/deny-ingress', ['Ingress']),
    policy('shop/db-from-api', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'api' }))], [tcp(5432)])] }),
  ],
}));

describe('computeMatrix', () => {
  it('asks the engine for each ordered pair on each destination\'s declared ports', () => {
    const m = computeMatrix(state, null, null);
    expect(m.endpoints.map((e) => e.id)).toEqual(['shop/api', 'shop/db', 'shop/web']);
    expect(m.cells).toEqual([
      ['self', 'allowed', 'denied'],
      ['denied', 'self', 'denied'],
      ['denied', 'denied', 'self'],
    ]);
  });

  it('resolves a named port on each destination: n/a where it does not exist', () => {
    const m = computeMatrix(state, { protocol: 'TCP', port: null, name: 'pg' }, null);
    expect(m.cells.map((row) => row[1])).toEqual(['allowed', 'self', 'denied']);
    expect(m.cells.map((row) => row[0])).toEqual(['self', 'n/a', 'n/a']);
  });

  it('keeps to one namespace when asked, and says when a matrix is too large to ask', () => {
    expect(computeMatrix(state, null, 'other').endpoints).toEqual([]);
    const pods = [...state.pods.values()];
    expect(matrixTooLarge(pods, null, 9)).toBeUndefined();
    expect(matrixTooLarge(pods, null, 8)).toMatch(/./);
    // Addresses given with --ip are rows and columns too.
    expect(matrixTooLarge(pods, null, 9, 1)).toMatch(/^a matrix of 3 pods and workloads and 1 address has 16 cells, more than the 9/);
  });
});

describe('computeConnectionMatrix', () => {
  const sets = new ClusterState(objects({
    pods: [
      pod('shop/api', { app: 'api' }, { ips: ['10.244.0.2'] }),
      pod('shop/db', { app: 'db' }, { ips: ['10.244.0.3'], ports: [cport('pg', 5432)] }),
      pod('shop/v6', { app: 'v6' }, { ips: ['fd00::6'] }),
    ],
    policies: [
      policy('shop/db-in', {
        podSelector: sel({ app: 'db' }),
        ingress: [rule([podPeer(sel({ app: 'api' }))], [tcp('pg'), udp(53)]), rule([ipBlock('203.0.113.0/24')], [tcp(8000, 8100)])],
      }),
    ],
  }));

  it('holds each ordered pair\'s exact set; a cell is allowed when its set holds anything', () => {
    const m = computeConnectionMatrix(sets, null, undefined, ['203.0.113.9', '198.51.100.1']);
    expect(m.endpoints.map((e) => e.id)).toEqual(['shop/api', 'shop/db', 'shop/v6', 'ip:203.0.113.9', 'ip:198.51.100.1']);
    expect(m.endpoints[3]).toEqual({ id: 'ip:203.0.113.9', namespace: null, name: '203.0.113.9', kind: 'Address', ip: '203.0.113.9' });
    const text = m.connections?.map((row) => row.map((c) => c?.format() ?? null));
    expect(text).toEqual([
      [null, 'TCP 5432; UDP 53', null, 'all', 'all'],
      ['all', null, null, 'all', 'all'],
      [null, null, null, null, null],
      ['all', 'TCP 8000-8100', null, null, 'all'],
      ['all', 'none', null, 'all', null],
    ]);
    expect(m.cells[0]).toEqual(['self', 'allowed', 'n/a', 'allowed', 'allowed']);
    expect(m.cells[4]).toEqual(['allowed', 'denied', 'n/a', 'allowed', 'self']);
    expect(m.port).toBeNull();
  });

  it('asks an address about a port number only: a named port does not exist on it', () => {
    const m = computeMatrix(sets, { protocol: 'TCP', port: 8000, name: null }, null, undefined, ['203.0.113.9']);
    expect(m.cells[3]).toEqual(['allowed', 'allowed', 'n/a', 'self']);
    const named = computeMatrix(sets, { protocol: 'TCP', port: null, name: 'pg' }, null, undefined, ['203.0.113.9']);
    expect(named.cells.map((row) => row[3])).toEqual(['n/a', 'n/a', 'n/a', 'self']);
    expect(named.cells[3]?.[1]).toBe('denied');
  });
});
