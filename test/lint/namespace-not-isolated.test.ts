import { describe, expect, it } from 'vitest';
import { findings, ns, pod, policy, rule, sel } from './builders.ts';

const ID = 'namespace-not-isolated';
const namespaces = [ns('shop'), ns('empty')];
const shopPods = [pod('shop/web', { app: 'web' }), pod('shop/db', { app: 'db' })];

describe('namespace-not-isolated', () => {
  it('informs about a namespace with pods and no policy, once for both directions', () => {
    const got = findings({ namespaces, pods: shopPods }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'info', object: { kind: 'Namespace', namespace: 'shop', name: 'shop' }, field: '' });
    expect(got[0]?.message).toContain('ingress or egress');
  });

  it('names only the direction left open', () => {
    const dbIn = policy('shop/db-in', sel({ app: 'db' }), { ingress: [rule()] });
    const got = findings({ namespaces, pods: shopPods, policies: [dbIn] }, ID);
    expect(got.map((f) => f.message)).toEqual([expect.stringContaining('for egress:')]);
  });

  it('is silent when some pod is isolated in each direction', () => {
    const dbBoth = policy('shop/db', sel({ app: 'db' }), { policyTypes: ['Ingress', 'Egress'] });
    expect(findings({ namespaces, pods: shopPods, policies: [dbBoth] }, ID)).toEqual([]);
  });
});
