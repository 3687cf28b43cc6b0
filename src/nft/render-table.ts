// The whole table as one nft script. Deterministic: the same IR gives the
// same bytes, so golden files and diffs work. Order matters to nft: sets and
// chains are declared before the rules and maps that refer to them.
import { cidrFamily } from '../model/addresses.ts';
import { nodeFamilies, type NodeIR } from '../compile/ir.ts';
import { renderBaseChain, renderPodChain, renderPolicyChain } from './render-chains.ts';
import { renderDispatchMap, renderPodCidrSet, renderSet } from './render-sets.ts';
import { comment } from './syntax.ts';

export interface TableName {
  /** nftables family: always inet, so one table covers IPv4 and IPv6. */
  readonly family: 'inet';
  readonly name: string;
}

export const DEFAULT_TABLE: TableName = { family: 'inet', name: 'nftpol' };

/** Only the node's address families are written (see nodeFamilies): no IPv6 on an IPv4-only node. */
export function renderTableBody(ir: NodeIR, table: TableName = DEFAULT_TABLE): string {
  const families = nodeFamilies(ir);
  const podCidrFamilies = families.filter((f) => ir.podCidrs.some((c) => cidrFamily(c) === f));
  const lines: string[] = [`table ${table.family} ${table.name} {`, `\t${comment(`nftpol: NetworkPolicy for node ${ir.node}`)}`];
  for (const f of podCidrFamilies) lines.push(...renderPodCidrSet(f, ir.podCidrs));
  for (const set of ir.sets) lines.push(...renderSet(set));
  for (const chain of ir.policyChains) lines.push(...renderPolicyChain(chain));
  for (const pod of ir.pods) lines.push(...renderPodChain(pod, 'egress'), ...renderPodChain(pod, 'ingress'));
  for (const dir of ['egress', 'ingress'] as const) for (const f of families) lines.push(...renderDispatchMap(ir.pods, dir, f));
  const base = { families, podCidrFamilies };
  lines.push(...renderBaseChain('egress', base), ...renderBaseChain('ingress', base));
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * Replaces the table in one transaction: "add" makes sure it exists so the
 * "delete" cannot fail, then the new table is declared. nft -f applies the
 * file atomically: the old rules enforce until the new ones are complete.
 */
export function renderReplaceScript(ir: NodeIR, table: TableName = DEFAULT_TABLE): string {
  return replaceScriptOf(renderTableBody(ir, table), table);
}

/** The replace script around a table body already rendered (renderTableBody). */
export function replaceScriptOf(body: string, table: TableName = DEFAULT_TABLE): string {
  return `add table ${table.family} ${table.name}\ndelete table ${table.family} ${table.name}\n${body}`;
}

/** Removes the table (uninstall). */
export function renderDeleteScript(table: TableName = DEFAULT_TABLE): string {
  return `add table ${table.family} ${table.name}\ndelete table ${table.family} ${table.name}\n`;
}
