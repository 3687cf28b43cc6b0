// The connectivity matrix as a query on the engine, without the CLI: every
// cell is the engine's verdict for that ordered pair (self on the diagonal,
// n/a where the asked port does not exist on the destination).
import { describe, expect, it } from 'vitest';
import { computeMatrix, matrixTooLarge } from '../../src/explain/matrix.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { cport, denyAll, objects, pod, podPeer, policy, rule, sel, tcp } from '../generators/cluster-builders.ts';

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
  });
});
