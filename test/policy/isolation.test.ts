// Isolation per direction, additivity, and "a connection needs the source's
// egress AND the destination's ingress". Each row is one cluster and one
// flow with the verdict upstream gives.
import { describe, expect, it } from 'vitest';
import {
  denyAll, ns, pod, podPeer, policy, rule, sel, tcp, world, type ClusterSpec,
} from '../generators/cluster-builders.ts';
import type { NetworkPolicy } from '../../src/model/types.ts';

// Two pods in one namespace, a third elsewhere; rows add policies.
const pods = [
  pod('shop/web', { app: 'web' }),
  pod('shop/db', { app: 'db' }),
  pod('other/client', { app: 'client' }),
];
const namespaces = [ns('shop'), ns('other')];

interface Row {
  name: string;
  policies: NetworkPolicy[];
  from: string;
  to: string;
  port?: number;
  allowed: boolean;
  egressIsolated?: boolean;
  ingressIsolated?: boolean;
}

const rows: Row[] = [
  { name: 'no policies: everything is open', policies: [], from: 'shop/web', to: 'shop/db', allowed: true, egressIsolated: false, ingressIsolated: false },
  { name: 'no policies: across namespaces too', policies: [], from: 'other/client', to: 'shop/db', allowed: true, egressIsolated: false, ingressIsolated: false },
  {
    name: 'ingress deny-all isolates the destination for ingress',
    policies: [denyAll('shop/deny', ['Ingress'])], from: 'shop/web', to: 'shop/db', allowed: false, egressIsolated: false, ingressIsolated: true,
  },
  {
    name: 'policyTypes [Egress] only does not isolate ingress',
    policies: [denyAll('shop/deny-egress', ['Egress'])], from: 'other/client', to: 'shop/db', allowed: true, egressIsolated: false, ingressIsolated: false,
  },
  {
    name: 'policyTypes [Egress] isolates the source for egress',
    policies: [denyAll('shop/deny-egress', ['Egress'])], from: 'shop/db', to: 'other/client', allowed: false, egressIsolated: true, ingressIsolated: false,
  },
  {
    name: 'policyTypes [Ingress] only does not isolate egress',
    policies: [denyAll('shop/deny-ingress', ['Ingress'])], from: 'shop/db', to: 'other/client', allowed: true, egressIsolated: false, ingressIsolated: false,
  },
  {
    name: 'egress rules ignored when policyTypes is explicitly [Ingress]',
    policies: [policy('shop/p', { policyTypes: ['Ingress'], egress: [rule([podPeer(sel({ app: 'nothing' }))])] })],
    from: 'shop/db', to: 'other/client', allowed: true, egressIsolated: false, ingressIsolated: false,
  },
  {
    name: 'ingress rules ignored when policyTypes is explicitly [Egress]',
    policies: [policy('shop/p', { policyTypes: ['Egress'], ingress: [rule([podPeer(sel({ app: 'nothing' }))])], egress: [] })],
    from: 'other/client', to: 'shop/web', allowed: true, egressIsolated: false, ingressIsolated: false,
  },
  {
    name: 'defaulted policyTypes with egress rules isolate egress too',
    policies: [policy('shop/p', { ingress: [rule()], egress: [rule([podPeer(sel({ app: 'web' }))])] })],
    from: 'shop/db', to: 'other/client', allowed: false, egressIsolated: true, ingressIsolated: false,
  },
  {
    name: 'defaulted policyTypes without egress rules: egress open',
    policies: [policy('shop/p', { ingress: [] })],
    from: 'shop/db', to: 'other/client', allowed: true, egressIsolated: false, ingressIsolated: false,
  },
  {
    name: 'policy selects only pods of its own namespace (podSelector {} in shop does not isolate other/client)',
    policies: [denyAll('shop/deny', ['Egress'])], from: 'other/client', to: 'shop/web', allowed: true, egressIsolated: false, ingressIsolated: false,
  },
  {
    name: 'policy podSelector {} isolates every pod of its namespace',
    policies: [denyAll('shop/deny', ['Ingress'])], from: 'other/client', to: 'shop/web', allowed: false, ingressIsolated: true,
  },
  {
    name: 'policy podSelector picks only matching pods: unselected pod stays open',
    policies: [denyAll('shop/deny', ['Ingress'], sel({ app: 'db' }))], from: 'other/client', to: 'shop/web', allowed: true, ingressIsolated: false,
  },
  {
    name: 'policy podSelector picks only matching pods: selected pod isolated',
    policies: [denyAll('shop/deny', ['Ingress'], sel({ app: 'db' }))], from: 'other/client', to: 'shop/db', allowed: false, ingressIsolated: true,
  },
  {
    name: 'a policy in another namespace with the same podSelector does not isolate',
    policies: [denyAll('other/deny', ['Ingress'], sel({ app: 'db' }))], from: 'other/client', to: 'shop/db', allowed: true, ingressIsolated: false,
  },
  {
    name: 'empty ingress rule list allows nothing',
    policies: [policy('shop/p', { podSelector: sel({ app: 'db' }), ingress: [] })], from: 'shop/web', to: 'shop/db', allowed: false,
  },
  {
    name: 'empty egress rule list with Egress type allows nothing',
    policies: [policy('shop/p', { podSelector: sel({ app: 'web' }), policyTypes: ['Egress'], egress: [] })], from: 'shop/web', to: 'shop/db', allowed: false,
  },
  {
    name: 'additive: deny-all plus a policy allowing web -> db allows it',
    policies: [
      denyAll('shop/deny', ['Ingress']),
      policy('shop/allow-web', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))])] }),
    ],
    from: 'shop/web', to: 'shop/db', allowed: true, ingressIsolated: true,
  },
  {
    name: 'additive: order does not matter (allow listed before deny)',
    policies: [
      policy('shop/allow-web', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))])] }),
      denyAll('shop/deny', ['Ingress']),
    ],
    from: 'shop/web', to: 'shop/db', allowed: true,
  },
  {
    name: 'additive: a second policy widens, never narrows',
    policies: [
      policy('shop/allow-web', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [tcp(80)])] }),
      policy('shop/allow-5432', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [tcp(5432)])] }),
    ],
    from: 'shop/web', to: 'shop/db', port: 5432, allowed: true,
  },
  {
    name: 'additive: allowed by neither of two policies is denied',
    policies: [
      policy('shop/allow-web', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [tcp(80)])] }),
      policy('shop/allow-5432', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [tcp(5432)])] }),
    ],
    from: 'shop/web', to: 'shop/db', port: 443, allowed: false,
  },
  {
    name: 'both directions needed: destination ingress allows, source egress denies',
    policies: [
      policy('shop/db-in', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))])] }),
      denyAll('shop/web-out', ['Egress'], sel({ app: 'web' })),
    ],
    from: 'shop/web', to: 'shop/db', allowed: false, egressIsolated: true, ingressIsolated: true,
  },
  {
    name: 'both directions needed: source egress allows, destination ingress denies',
    policies: [
      policy('shop/web-out', { podSelector: sel({ app: 'web' }), policyTypes: ['Egress'], egress: [rule([podPeer(sel({ app: 'db' }))])] }),
      denyAll('shop/db-in', ['Ingress'], sel({ app: 'db' })),
    ],
    from: 'shop/web', to: 'shop/db', allowed: false,
  },
  {
    name: 'both directions needed: both allow',
    policies: [
      policy('shop/web-out', { podSelector: sel({ app: 'web' }), policyTypes: ['Egress'], egress: [rule([podPeer(sel({ app: 'db' }))])] }),
      policy('shop/db-in', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'web' }))])] }),
    ],
    from: 'shop/web', to: 'shop/db', allowed: true, egressIsolated: true, ingressIsolated: true,
  },
  {
    name: 'egress isolation of the source does not affect traffic towards it',
    policies: [denyAll('shop/web-out', ['Egress'], sel({ app: 'web' }))],
    from: 'shop/db', to: 'shop/web', allowed: true, egressIsolated: false, ingressIsolated: false,
  },
];

describe('isolation and combination of policies', () => {
  it.each(rows)('$name', (row) => {
    const spec: ClusterSpec = { namespaces, pods, policies: row.policies };
    const w = world(spec);
    expect(w.allows(row.from, row.to, 'TCP', row.port ?? 80)).toBe(row.allowed);
    const v = w.evaluate(row.from, row.to, 'TCP', row.port ?? 80);
    expect(v.allowed).toBe(row.allowed);
    if (row.egressIsolated !== undefined) expect(v.egress.isolated).toBe(row.egressIsolated);
    if (row.ingressIsolated !== undefined) expect(v.ingress.isolated).toBe(row.ingressIsolated);
  });
});

describe('isolatedness of each pod', () => {
  const w = world({
    namespaces, pods, policies: [
      denyAll('shop/in-db', ['Ingress'], sel({ app: 'db' })),
      denyAll('shop/out-web', ['Egress'], sel({ app: 'web' })),
    ],
  });
  it.each([
    { pod: 'shop/db', direction: 'ingress', isolated: true },
    { pod: 'shop/db', direction: 'egress', isolated: false },
    { pod: 'shop/web', direction: 'ingress', isolated: false },
    { pod: 'shop/web', direction: 'egress', isolated: true },
    { pod: 'other/client', direction: 'ingress', isolated: false },
    { pod: 'other/client', direction: 'egress', isolated: false },
  ] as const)('$pod is isolated for $direction: $isolated', ({ pod: ref, direction, isolated }) => {
    expect(w.engine.isIsolated(w.pod(ref), direction)).toBe(isolated);
  });

  it('lists the isolating policies by name in the verdict', () => {
    const v = w.evaluate('shop/web', 'shop/db');
    expect(v.egress.policies).toEqual(['shop/out-web']);
    expect(v.ingress.policies).toEqual(['shop/in-db']);
  });
});
