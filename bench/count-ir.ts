// What a node IR holds, counted: how big the nft table it renders to will be.
import type { NodeIR } from '../src/compile/ir.ts';

export interface IRCounts {
  pods: number;
  /** Local pods isolated for ingress / egress (they get a pod chain). */
  isolatedIngress: number;
  isolatedEgress: number;
  policyChains: number;
  /** Accept rules in the policy chains. */
  rules: number;
  /** Jumps from pod chains to policy chains. */
  jumps: number;
  sets: number;
  setElements: number;
  /** Elements by set type. */
  addressElements: number;
  prefixElements: number;
  addressPortElements: number;
  /** Sets with distinct contents, and their elements: what sharing equal sets would leave. */
  distinctSets: number;
  distinctSetElements: number;
}

export function countIR(ir: NodeIR): IRCounts {
  const c: IRCounts = {
    pods: ir.pods.length, isolatedIngress: 0, isolatedEgress: 0, policyChains: ir.policyChains.length, rules: 0, jumps: 0,
    sets: ir.sets.length, setElements: 0, addressElements: 0, prefixElements: 0, addressPortElements: 0,
    distinctSets: 0, distinctSetElements: 0,
  };
  const distinct = new Set<string>();
  for (const p of ir.pods) {
    if (p.ingress.isolated) {
      c.isolatedIngress++;
      c.jumps += p.ingress.policyChains.length;
    }
    if (p.egress.isolated) {
      c.isolatedEgress++;
      c.jumps += p.egress.policyChains.length;
    }
  }
  for (const chain of ir.policyChains) c.rules += chain.rules.length;
  for (const s of ir.sets) {
    const n = s.elements.length;
    c.setElements += n;
    if (s.type === 'address') c.addressElements += n;
    else if (s.type === 'prefix') c.prefixElements += n;
    else c.addressPortElements += n;
    const key = `${s.type} ${s.family} ${s.elements.map((e) => (typeof e === 'string' ? e : `${e.address}.${e.protocol}.${e.port}`)).join(',')}`;
    if (!distinct.has(key)) {
      distinct.add(key);
      c.distinctSets++;
      c.distinctSetElements += n;
    }
  }
  return c;
}

