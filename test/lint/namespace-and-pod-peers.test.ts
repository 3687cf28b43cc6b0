import { describe, expect, it } from 'vitest';
import { findings, ns, pod, pods, policy, rule, sel } from './builders.ts';

const namespaces = [ns('data'), ns('analytics', { team: 'analytics' })];
const allPods = [
  pod('data/reports-db', { app: 'db' }),
  pod('data/reporter', { app: 'reporter' }),
  pod('analytics/notebook', { app: 'notebook' }),
];

describe('separate-namespace-and-pod-peers', () => {
  const ID = 'separate-namespace-and-pod-peers';

  it('warns when one rule has a namespace-only peer and a pod-only peer', () => {
    const p = policy('data/db-in', sel({ app: 'db' }), {
      ingress: [rule([pods(null, sel({ team: 'analytics' })), pods(sel({ app: 'reporter' }))])],
    });
    const got = findings({ namespaces, pods: allPods, policies: [p] }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'warning', field: 'spec.ingress[0].from[0]' });
    expect(got[0]?.message).toContain('ALL pods of namespaces matching team=analytics');
    expect(got[0]?.message).toContain('from[1]');
  });

  it('is silent for one peer with both selectors', () => {
    const p = policy('data/db-in', sel({ app: 'db' }), {
      ingress: [rule([pods(sel({ app: 'reporter' }), sel({ team: 'analytics' }))])],
    });
    expect(findings({ namespaces, pods: allPods, policies: [p] }, ID)).toEqual([]);
  });
});

describe('combined-namespace-and-pod-peer', () => {
  const ID = 'combined-namespace-and-pod-peer';

  it('informs when the AND matches nothing but the podSelector matches pods of the own namespace', () => {
    const p = policy('data/db-in', sel({ app: 'db' }), {
      ingress: [rule([pods(sel({ app: 'reporter' }), sel({ team: 'analytics' }))])],
    });
    const got = findings({ namespaces, pods: allPods, policies: [p] }, ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'info', field: 'spec.ingress[0].from[0]' });
    expect(got[0]?.message).toContain('data/reporter');
  });

  it('is silent when the combined peer matches pods', () => {
    const p = policy('data/db-in', sel({ app: 'db' }), {
      ingress: [rule([pods(sel({ app: 'reporter' }), sel({ team: 'analytics' }))])],
    });
    const withReporter = [...allPods, pod('analytics/reporter', { app: 'reporter' })];
    expect(findings({ namespaces, pods: withReporter, policies: [p] }, ID)).toEqual([]);
  });

  it('is silent when the podSelector alone matches nothing either (a typo, not AND for OR)', () => {
    const p = policy('data/db-in', sel({ app: 'db' }), {
      ingress: [rule([pods(sel({ app: 'reportr' }), sel({ team: 'analytics' }))])],
    });
    expect(findings({ namespaces, pods: allPods, policies: [p] }, ID)).toEqual([]);
  });
});
