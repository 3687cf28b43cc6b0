// Named sets shared by what they select. Two policies with the same peer
// (say namespaceSelector team=shop) need the same addresses; one set serves
// both, so a node's table (and the nft command's cost, which grows with it)
// holds each distinct selection once, and a pod change updates one set.
// A set's name is a hash of what it selects, not of its elements: it stays
// stable while pods come and go, which incremental updates rely on.
import { createHash } from 'node:crypto';
import type { IPFamily } from '../model/addresses.ts';
import type { NamedSet } from './ir.ts';

/** JSON with object keys sorted, so equal selections give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type SetKind = 'pods' | 'cidr' | 'port';

/** "pods/<hash of the selection>/v4". */
export function setName(kind: SetKind, selection: unknown, family: IPFamily): string {
  const hash = createHash('sha256').update(canonicalJson(selection)).digest('hex').slice(0, 16);
  return `${kind}/${hash}/v${family}`;
}

export class SetRegistry {
  private readonly sets = new Map<string, NamedSet>();

  /** The set's name; `build` runs only the first time a selection is asked for. */
  name(kind: SetKind, selection: unknown, family: IPFamily, build: () => Omit<NamedSet, 'name' | 'family'>): string {
    const name = setName(kind, selection, family);
    if (!this.sets.has(name)) this.sets.set(name, { name, family, ...build() });
    return name;
  }

  all(): NamedSet[] {
    return [...this.sets.values()];
  }
}
