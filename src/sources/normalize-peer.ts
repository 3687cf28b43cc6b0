// NetworkPolicyPeer, as API validation allows it: podSelector and/or
// namespaceSelector, or an ipBlock alone. A peer with none of them, or with an
// ipBlock beside a selector, is invalid. An ipBlock's cidr is required; every
// except must be a strict subset of the cidr (same family, longer prefix).
import { childField, indexField } from './field-path.ts';
import { cidrStrictlyInside, parseCidr, type Cidr } from '../model/addresses.ts';
import { normalizeSelector } from './normalize-selector.ts';
import type { ProblemList } from '../model/problems.ts';
import { describe, isRecord, optArray, optRecord } from './raw.ts';
import type { IPBlock, Peer } from '../model/types.ts';

/** One entry of `from`/`to`; undefined when it has errors. */
export function normalizePeer(raw: unknown, field: string, p: ProblemList): Peer | undefined {
  if (!isRecord(raw)) {
    p.error(field, `must be a mapping with podSelector, namespaceSelector or ipBlock, got ${describe(raw)}`);
    return undefined;
  }
  const before = p.errorCount;
  const hasPods = raw.podSelector != null;
  const hasNamespaces = raw.namespaceSelector != null;
  const hasIpBlock = raw.ipBlock != null;
  if (!hasPods && !hasNamespaces && !hasIpBlock) {
    p.error(field, 'peer has nothing: set podSelector, namespaceSelector or ipBlock (an empty peer is invalid)');
    return undefined;
  }
  if (hasIpBlock && (hasPods || hasNamespaces)) {
    p.error(field, 'peer has both ipBlock and a selector: ipBlock must be a peer of its own');
    return undefined;
  }
  if (hasIpBlock) {
    const ipBlock = normalizeIpBlock(raw.ipBlock, childField(field, 'ipBlock'), p);
    return ipBlock && p.errorCount === before ? { kind: 'ipBlock', ipBlock } : undefined;
  }
  const podSelector = normalizeSelector(raw.podSelector, childField(field, 'podSelector'), p);
  const namespaceSelector = normalizeSelector(raw.namespaceSelector, childField(field, 'namespaceSelector'), p);
  return p.errorCount === before ? { kind: 'pods', podSelector, namespaceSelector } : undefined;
}

/** Parses a CIDR field, turning parse warnings into problems. */
function readCidr(value: unknown, field: string, p: ProblemList): Cidr | undefined {
  if (typeof value !== 'string') {
    p.error(field, value == null ? 'cidr is required' : `must be a CIDR string, got ${describe(value)}`);
    return undefined;
  }
  const parsed = parseCidr(value);
  if (!parsed.ok) {
    p.error(field, parsed.message);
    return undefined;
  }
  for (const w of parsed.warnings) p.warn(field, w);
  return parsed;
}

export function normalizeIpBlock(raw: unknown, field: string, p: ProblemList): IPBlock | undefined {
  const rec = optRecord(raw, field, p);
  if (!rec) return undefined;
  const before = p.errorCount;
  const cidr = readCidr(rec.cidr, childField(field, 'cidr'), p);
  const exceptField = childField(field, 'except');
  const except: string[] = [];
  (optArray(rec.except, exceptField, p) ?? []).forEach((value, i) => {
    const itemField = indexField(exceptField, i);
    const ex = readCidr(value, itemField, p);
    if (!ex || !cidr) return;
    if (ex.family !== cidr.family) {
      p.error(itemField, `${ex.cidr} is IPv${ex.family} but cidr ${cidr.cidr} is IPv${cidr.family}`);
    } else if (!cidrStrictlyInside(ex.cidr, cidr.cidr)) {
      const why = ex.cidr === cidr.cidr ? ' (an except must be smaller than the cidr)' : '';
      p.error(itemField, `${ex.cidr} is not ${why ? 'strictly ' : ''}inside cidr ${cidr.cidr}${why}`);
    } else {
      except.push(ex.cidr);
    }
  });
  if (!cidr || p.errorCount > before) return undefined;
  return { cidr: cidr.cidr, except };
}
