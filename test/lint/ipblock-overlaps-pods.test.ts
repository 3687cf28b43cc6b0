import { describe, expect, it } from 'vitest';
import { findings, ipBlock, ns, pod, policy, rule, sel } from './builders.ts';

const ID = 'ipblock-overlaps-pods';
const objects = (cidr: string, except: string[] = []) => ({
  namespaces: [ns('shop')],
  pods: [
    pod('shop/web', { app: 'web' }, { ips: ['10.244.1.5'] }),
    pod('shop/db', { app: 'db' }, { ips: ['10.244.2.7'] }),
    pod('shop/batch', { app: 'batch' }, { kind: 'Deployment' }), // no address: cannot be in a block
  ],
  policies: [policy('shop/web-out', sel({ app: 'web' }), { egress: [rule([ipBlock(cidr, except)])] })],
});

describe('ipblock-overlaps-pods', () => {
  it('warns on a block that contains pod addresses, with their count and names', () => {
    const got = findings(objects('10.244.0.0/16'), ID);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ severity: 'warning', field: 'spec.egress[0].to[0].ipBlock' });
    expect(got[0]?.message).toContain('2 pod(s) (shop/web, shop/db)');
  });

  it('honours except: a block whose except removes every pod is silent', () => {
    expect(findings(objects('10.0.0.0/8', ['10.244.0.0/16']), ID)).toEqual([]);
  });

  it('only informs for a catch-all block', () => {
    const got = findings(objects('0.0.0.0/0'), ID);
    expect(got.map((f) => f.severity)).toEqual(['info']);
  });

  it('is silent for a block outside the pod addresses', () => {
    expect(findings(objects('203.0.113.0/24'), ID)).toEqual([]);
  });
});
