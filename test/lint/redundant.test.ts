import { describe, expect, it } from 'vitest';
import { lintCluster } from '../../src/lint/lint-cluster.ts';
import type { NetworkPolicy, Pod } from '../../src/model/types.ts';
import { cluster, ipBlock, ns, pod, pods, policy, port, rule, sel } from './builders.ts';

const IDS = new Set(['redundant-rule', 'redundant-policy', 'contained-policy']);
const namespaces = [ns('shop'), ns('ops', { team: 'ops' })];
const web = pod('shop/web', { app: 'web' }, { ips: ['10.244.0.2'], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] });
const api = pod('shop/api', { app: 'api' }, { ips: ['10.244.0.3'] });
const tool = pod('ops/tool', { app: 'tool' }, { ips: ['10.244.1.2'] });

function found(policies: NetworkPolicy[], allPods: Pod[] = [web, api, tool]): string[] {
  return lintCluster(cluster({ namespaces, pods: allPods, policies }))
    .filter((f) => IDS.has(f.id))
    .map((f) => `${f.id} ${f.object.namespace}/${f.object.name} ${f.field}`.trimEnd());
}

describe('redundant-rule', () => {
  it('reports the later of two rules that allow the same, once', () => {
    const p = policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' }))], [port(8080)]), rule([pods(sel({ app: 'api' }))], [port(8080)])] });
    expect(found([p])).toEqual(['redundant-rule shop/web-in spec.ingress[1]']);
  });

  it('sees a port range covered by a wider one, and a named port by its number', () => {
    const p = policy('shop/web-in', sel({ app: 'web' }), {
      ingress: [rule([], [{ ...port(8000), endPort: 9000 }]), rule([], [port(8080), port(8081)]), rule([], [port('http')])],
    });
    expect(found([p])).toEqual(['redundant-rule shop/web-in spec.ingress[2]', 'redundant-rule shop/web-in spec.ingress[1]']);
  });

  it('keeps a rule that allows one port, one protocol or one peer more (and reports the rule it covers)', () => {
    const base = rule([pods(sel({ app: 'api' }))], [port(8080)]);
    for (const extra of [
      rule([pods(sel({ app: 'api' }))], [{ ...port(8080), endPort: 8081 }]), // port 8081
      rule([pods(sel({ app: 'api' }))], [port(8080), port(8080, 'UDP')]), // UDP
      rule([pods(sel({ app: 'api' })), pods(sel(), sel({ team: 'ops' }))], [port(8080)]), // ops/tool
      rule([ipBlock('10.244.0.3/32')], [port(8080)]), // api's address: api, and any other sender using it
    ]) {
      expect(found([policy('shop/web-in', sel({ app: 'web' }), { ingress: [base, extra] })])).toEqual(['redundant-rule shop/web-in spec.ingress[0]']);
    }
  });

  it('matches pods by address for ipBlocks, except included', () => {
    // ops/tool (10.244.1.2) is in the except: the selector rule allows a sender the ipBlock does not.
    const p = policy('shop/web-in', sel({ app: 'web' }), {
      ingress: [rule([pods(sel(), sel({ team: 'ops' }))]), rule([ipBlock('10.244.0.0/16', ['10.244.1.0/24'])])],
    });
    expect(found([p])).toEqual([]);
    // api (10.244.0.3) is inside it: the selector rule adds nothing.
    const q = policy('shop/web-in', sel({ app: 'web' }), {
      ingress: [rule([pods(sel({ app: 'api' }))]), rule([ipBlock('10.244.0.0/16', ['10.244.1.0/24'])])],
    });
    expect(found([q])).toEqual(['redundant-rule shop/web-in spec.ingress[0]']);
    const wider = policy('shop/web-in', sel({ app: 'web' }), {
      ingress: [rule([ipBlock('10.0.0.0/8')]), rule([ipBlock('10.244.0.0/16', ['10.244.1.0/24'])])],
    });
    expect(found([wider])).toEqual(['redundant-rule shop/web-in spec.ingress[1]']);
  });

  it('compares across policies selecting the same pods', () => {
    const all = policy('shop/all-in', sel(), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    const web80 = policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' }))], [port(80)]), rule([pods(sel(), sel({ team: 'ops' }))])] });
    expect(found([all, web80])).toEqual(['redundant-rule shop/web-in spec.ingress[0]']);
  });

  it('does not report a rule that allows nothing (other checks say why)', () => {
    const p = policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'ghost' }))]), rule()] });
    expect(found([p])).toEqual([]);
  });
});

describe('redundant-policy and contained-policy', () => {
  it('reports a policy contained in another for the pods it selects', () => {
    const narrow = policy('shop/web-from-api', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' }))], [port(8080)])] });
    const wide = policy('shop/from-api', sel(), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    expect(found([narrow, wide])).toEqual(['contained-policy shop/web-from-api']);
    const f = lintCluster(cluster({ namespaces, pods: [web, api, tool], policies: [narrow, wide] })).find((x) => x.id === 'contained-policy');
    expect(f?.message).toContain('shop/web-from-api ∪ shop/from-api = shop/from-api');
  });

  it('of two equal policies reports the later one', () => {
    const a = policy('shop/a', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    const b = policy('shop/b', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    expect(found([a, b])).toEqual(['contained-policy shop/b']);
  });

  it('reports a policy that two others cover together, in no single one', () => {
    const both = policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' })), pods(sel(), sel({ team: 'ops' }))])] });
    const fromApi = policy('shop/from-api', sel(), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    const fromOps = policy('shop/from-ops', sel(), { ingress: [rule([pods(null, sel({ team: 'ops' }))])] });
    expect(found([both, fromApi, fromOps])).toEqual(['redundant-policy shop/web-in']);
  });

  it('keeps a policy without which its pods would not be isolated, or isolated in fewer directions', () => {
    const allowAll = policy('shop/allow-all', sel(), { ingress: [rule()] });
    expect(found([allowAll])).toEqual([]);
    // Covered for ingress, but the only one isolating web for egress.
    const inOut = policy('shop/web', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' }))])], egress: [rule([pods(sel({ app: 'api' }))])] });
    const wide = policy('shop/from-api', sel(), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    expect(found([inOut, wide])).toEqual(['redundant-rule shop/web spec.ingress[0]']);
  });

  it('keeps a policy that selects a pod the other does not', () => {
    const narrow = policy('shop/from-api', sel(), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    const wide = policy('shop/web-in', sel({ app: 'web' }), { ingress: [rule([pods(sel({ app: 'api' }))])] });
    // web-in is contained in from-api; from-api selects api too, which web-in does not.
    expect(found([narrow, wide])).toEqual(['contained-policy shop/web-in']);
  });

  it('resolves egress named ports on each destination pod', () => {
    const byName = policy('ops/tool-out', sel({ app: 'tool' }), { egress: [rule([pods(null, sel())], [port('http')])] });
    const byNumber = policy('ops/tool-out-8080', sel({ app: 'tool' }), { egress: [rule([pods(sel({ app: 'web' }), sel())], [port(8080)])] });
    // "http" is 8080 on web only: the named rule allows exactly what the numbered one does.
    expect(found([byNumber, byName])).toEqual(['contained-policy ops/tool-out']);
    const api8080 = { ...api, ports: [{ name: 'http', port: 8080, protocol: 'TCP' as const }] };
    // Once api names 8080 "http" too, the named rule allows more: the numbered one is contained in it.
    expect(found([byNumber, byName], [web, api8080, tool])).toEqual(['contained-policy ops/tool-out-8080']);
  });

  it('resolves egress named ports on every pod a rule reaches, beside rules without peers', () => {
    const apiHttp = (n: number): Pod => ({ ...api, ports: [{ name: 'http', port: n, protocol: 'TCP' }] });
    const byName = policy('ops/tool-to-app', sel({ app: 'tool' }), { egress: [rule([pods(sel({ tier: 'app' }), sel())], [port('http')])] });
    const any8080 = policy('ops/tool-8080', sel({ app: 'tool' }), { egress: [rule([], [port(8080)])] });
    const app = (p: Pod): Pod => ({ ...p, labels: { ...p.labels, tier: 'app' } });
    // "http" is 8080 on web but 9090 on api: tool-to-app allows api:9090, which tool-8080 does not.
    expect(found([byName, any8080], [app(web), app(apiHttp(9090)), tool])).toEqual([]);
    expect(found([byName, any8080], [app(web), app(apiHttp(8080)), tool])).toEqual(['contained-policy ops/tool-to-app']);
  });
});
