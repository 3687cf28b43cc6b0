// metav1.LabelSelector semantics where the engine uses selectors: a policy's
// spec.podSelector, a peer's podSelector, and a peer's namespaceSelector (the
// matcher itself is tested in test/selectors).
import { describe, expect, it } from 'vitest';
import { SELECTOR_ROWS as rows } from '../selectors/selector-rows.ts';
import { ns, nsPeer, pod, podPeer, policy, rule, sel, world } from '../generators/cluster-builders.ts';

// The same table, through the engine, in the three places a selector appears.
// Labels that are pod labels here become namespace labels for namespaceSelector
// (plus the name label every namespace carries; no row's selector mentions it).
describe('in a policy spec.podSelector (decides isolation)', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    const w = world({
      pods: [pod('t/subject', labels), pod('t/client', {})],
      policies: [policy('t/deny', { podSelector: selector, policyTypes: ['Ingress'] })],
    });
    expect(w.engine.isIsolated(w.pod('t/subject'), 'ingress')).toBe(matches);
    expect(w.allows('t/client', 't/subject', 'TCP', 80)).toBe(!matches);
  });
});

describe('in a peer podSelector', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    const w = world({
      pods: [pod('t/server', { role: 'server' }), pod('t/client', labels)],
      policies: [policy('t/p', { podSelector: sel({ role: 'server' }), ingress: [rule([podPeer(selector)])] })],
    });
    expect(w.allows('t/client', 't/server', 'TCP', 80)).toBe(matches);
  });
});

describe('in a peer namespaceSelector', () => {
  it.each(rows)('$name', ({ selector, labels, matches }) => {
    const w = world({
      namespaces: [ns('server'), ns('client', labels)],
      pods: [pod('server/s', {}), pod('client/c', {})],
      policies: [policy('server/p', { ingress: [rule([nsPeer(selector)])] })],
    });
    expect(w.allows('client/c', 'server/s', 'TCP', 80)).toBe(matches);
  });
});
