// Small pieces of nft syntax shared by the renderers.
import type { IPFamily } from '../model/addresses.ts';

/** nft's address match keyword for a family: "ip" or "ip6". */
export const ipKeyword = (f: IPFamily): string => (f === 4 ? 'ip' : 'ip6');

export const addrType = (f: IPFamily): string => (f === 4 ? 'ipv4_addr' : 'ipv6_addr');

/** A comment nft accepts: double quotes removed, at most 128 bytes. */
export function comment(text: string): string {
  const clean = text.replace(/["\\\n]/g, '');
  return `comment "${clean.length > 127 ? `${clean.slice(0, 126)}~` : clean}"`;
}

/** "elements = { a, b }" wrapped for reading, or nothing for an empty set (nft rejects "{ }"). */
export function elementsClause(items: readonly string[], indent: string): string[] {
  if (items.length === 0) return [];
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += 4) lines.push(items.slice(i, i + 4).join(', '));
  return [`${indent}elements = { ${lines.join(`,\n${indent}             `)} }`];
}
