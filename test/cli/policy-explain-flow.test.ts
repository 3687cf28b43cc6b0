// policy-explain [flow]: verdicts, why-not, and the FlowExplanation formats.
import { describe, expect, it } from 'vitest';
import type { FlowExplanation } from '../../src/cli/format/flow-output.ts';
import { explainShop } from './helpers.ts';

describe('policy-explain flow (text)', () => {
  it('allows the API to reach Postgres by port number and by port name', async () => {
    for (const port of ['5432', 'postgres', '5432/TCP']) {
      const r = await explainShop('--from', 'shop/api', '--to', 'shop/db', '--port', port);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^ALLOWED {2}shop\/api \(10\.244\.\d+\.\d+\) -> shop\/db \(10\.244\.\d+\.\d+\) 5432\/TCP/);
      expect(r.stdout).toContain('allowed by shop/db-ingress spec.ingress[0] (from[0], ports[0])');
      expect(r.stdout).toContain('egress of shop/api: allowed (shop/api is not isolated for egress');
    }
  });

  it('is the default command, and `flow` names it too', async () => {
    const a = await explainShop('--from', 'shop/api', '--to', 'shop/db', '--port', '5432');
    const b = await explainShop('flow', '--from', 'shop/api', '--to', 'shop/db', '--port', '5432');
    expect(b).toEqual(a);
  });

  it('denies web -> db and says why not, naming the failing field', async () => {
    const r = await explainShop('--from', 'shop/web', '--to', 'shop/db', '--port', '5432');
    expect(r.code).toBe(0); // a denial is an answer, not an error
    expect(r.stdout).toMatch(/^DENIED {2}shop\/web/);
    expect(r.stdout).toContain('egress of shop/web: denied (isolated by shop/web-egress)');
    expect(r.stdout).toContain('ingress of shop/db: denied (isolated by shop/default-deny-ingress, shop/db-ingress)');
    expect(r.stdout).toContain(
      'why not: shop/web-egress spec.egress[0].to[0].podSelector: pod shop/db: label app=db, wanted app=api (selector app=api)',
    );
  });

  it('explains a protocol mismatch through the defaulted TCP', async () => {
    const r = await explainShop('--from', 'shop/api', '--to', 'shop/db', '--port', '5432', '--protocol', 'UDP');
    expect(r.stdout).toMatch(/^DENIED .* 5432\/UDP/);
    expect(r.stdout).toContain('why not: shop/db-ingress spec.ingress[0].ports[0].protocol: rule allows TCP (protocol not set, so it defaulted to TCP), flow is UDP');
  });

  it('keeps a podSelector-only peer inside the policy namespace', async () => {
    const r = await explainShop('--from', 'shop-staging/api', '--to', 'shop/db', '--port', '5432');
    expect(r.stdout).toContain('why not: shop/db-ingress spec.ingress[0].from[0].podSelector: pod is in namespace shop-staging');
  });

  it('takes addresses as endpoints: ip:ADDR and bare', async () => {
    const outside = await explainShop('--from', 'ip:203.0.113.9', '--to', 'shop/web', '--port', '8080');
    expect(outside.stdout).toMatch(/^ALLOWED {2}203\.0\.113\.9 -> shop\/web/);
    expect(outside.stdout).toContain('allowed by shop/web-ingress spec.ingress[1]');
    const bare = await explainShop('--from', 'shop/web', '--to', '198.51.100.7', '--port', '443');
    expect(bare.stdout).toMatch(/^DENIED {2}shop\/web \(\S+\) -> 198\.51\.100\.7 443\/TCP/);
    expect(bare.stdout).toContain('ingress of peer: allowed (address 198.51.100.7 is not a pod');
  });

  it('explains an inside address caught by an except', async () => {
    const r = await explainShop('--from', 'ip:10.9.8.7', '--to', 'shop/web', '--port', '8080');
    expect(r.stdout).toMatch(/^DENIED/);
    expect(r.stdout).toContain('shop/web-ingress spec.ingress[1].from[0].ipBlock.except[0]: 10.9.8.7 is in except 10.0.0.0/8');
  });
});

describe('policy-explain flow --output json', () => {
  it('prints a FlowExplanation with the FlowVerdict embedded as is', async () => {
    const r = await explainShop('--from', 'shop/web', '--to', 'shop/db', '--port', 'postgres', '-o', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as FlowExplanation;
    expect(doc.apiVersion).toBe('nftpol.dev/v1alpha1');
    expect(doc.kind).toBe('FlowExplanation');
    expect(doc.query).toEqual({ from: 'shop/web', to: 'shop/db', port: 'postgres', protocol: null, namespace: 'default' });
    expect(doc.allowed).toBe(false);
    expect(doc.whyNot).toContain('shop/web-egress spec.egress[0].to[0].podSelector');
    expect(doc.flow.flow).toMatchObject({ from: { kind: 'pod', pod: 'shop/web' }, to: { kind: 'pod', pod: 'shop/db' }, protocol: 'TCP', port: 5432 });
    expect(doc.flow.decidedBy).toBe('policy');
    expect(doc.flow.egress).toMatchObject({ direction: 'egress', pod: 'shop/web', isolated: true, allowed: false, policies: ['shop/web-egress'] });
    expect(doc.flow.ingress.misses.map((m) => m.policy)).toEqual(['shop/default-deny-ingress', 'shop/db-ingress']);
    expect(doc.flow.ingress.misses[1]?.rules[0]).toMatchObject({ field: 'spec.ingress[0].from[0].podSelector', peerMatched: false });
  });

  it('has whyNot null for an allowed flow, and the rule that allowed it', async () => {
    const doc = JSON.parse((await explainShop('--from', 'shop/web', '--to', 'shop/api', '--port', 'http', '-o', 'json')).stdout) as FlowExplanation;
    expect(doc.allowed).toBe(true);
    expect(doc.whyNot).toBeNull();
    expect(doc.flow.ingress.allowedBy[0]).toMatchObject({ policy: 'shop/api-ingress', rule: 0, field: 'spec.ingress[0]' });
    expect(doc.flow.egress.allowedBy[0]).toMatchObject({ policy: 'shop/web-egress', rule: 0 });
  });
});

describe('policy-explain flow --output markdown', () => {
  it('prints a heading and a table per direction, with the why-not', async () => {
    const r = await explainShop('--from', 'shop/web', '--to', 'shop/db', '--port', '5432', '--output', 'markdown');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^### DENIED: shop\/web \(\S+\) -> shop\/db \(\S+\) 5432\/TCP$/);
    expect(lines).toContain('| direction | pod | isolated by | verdict | reason |');
    expect(lines).toContain('|---|---|---|---|---|');
    expect(lines.find((l) => l.startsWith('| egress | shop/web | shop/web-egress | denied |'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('| ingress | shop/db | shop/default-deny-ingress, shop/db-ingress | denied |'))).toBeDefined();
    expect(r.stdout).toContain('**Why not:** shop/web-egress spec.egress[0].to[0].podSelector');
  });
});
