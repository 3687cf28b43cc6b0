import { describe, expect, it } from 'vitest';
import { findings, ipBlock, policy, rule, sel } from './builders.ts';

const ID = 'except-outside-cidr';
const withBlock = (cidr: string, except: string[]) => ({
  policies: [policy('shop/out', sel(), { egress: [rule([ipBlock(cidr, except)])] })],
});

describe('except-outside-cidr', () => {
  it('reports an except outside its cidr, on the except', () => {
    const got = findings(withBlock('10.0.0.0/8', ['10.1.0.0/16', '192.168.0.0/16']), ID);
    expect(got.map((f) => f.field)).toEqual(['spec.egress[0].to[0].ipBlock.except[1]']);
    expect(got[0]?.message).toContain('outside');
  });

  it('reports an except as large as its cidr and one of the other family', () => {
    const got = findings(withBlock('10.0.0.0/8', ['10.0.0.0/8', 'fd00::/64']), ID);
    expect(got.map((f) => f.field)).toEqual(['spec.egress[0].to[0].ipBlock.except[0]', 'spec.egress[0].to[0].ipBlock.except[1]']);
  });

  it('is silent for excepts strictly inside the cidr', () => {
    expect(findings(withBlock('0.0.0.0/0', ['10.0.0.0/8', '172.16.0.0/12']), ID)).toEqual([]);
  });
});
