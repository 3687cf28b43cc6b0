// The whole table as one nft script. Deterministic: the same IR gives the
// same bytes, so golden files and diffs work. Order matters to nft: sets and
// chains are declared before the rules and maps that refer to them.
import { cidrFamily } from '../model/addresses.ts';
import { nodeFamilies, type NamedSet, type NodeIR } from '../compile/ir.ts';
import { renderBaseChain, renderNodeChain, renderPodChain, renderPolicyChain } from './render-chains.ts';
import { renderClusterChain, renderPassChain, renderTierChains } from './render-tiers.ts';
import { renderDispatchMap, renderPodCidrSet, renderSet, renderTierSet } from './render-sets.ts';
import { comment } from './syntax.ts';

export interface TableName {
  /** nftables family: always inet, so one table covers IPv4 and IPv6. */
  readonly family: 'inet';
  readonly name: string;
}

export const DEFAULT_TABLE: TableName = { family: 'inet', name: 'nftpol' };

/**
 * One part of the table text: a set, a policy chain, a pod's chains, a map.
 * `of` is the IR object it is rendered from alone, when there is one: the
 * same object renders the same lines, so a reader may keep what it made of
 * them (render-delta.ts's tableObjects does).
 */
export interface TablePiece {
  readonly of?: object;
  /** When the piece is a named set: the set. */
  readonly set?: NamedSet;
  lines(): string[];
}

/** The table's head line and its statements, then its pieces in the order the script declares them. */
export function tablePieces(ir: NodeIR, table: TableName = DEFAULT_TABLE): { readonly open: string; readonly head: readonly string[]; readonly pieces: readonly TablePiece[] } {
  // Only the node's address families are written (see nodeFamilies): no IPv6 on an IPv4-only node.
  const families = nodeFamilies(ir);
  const podCidrFamilies = families.filter((f) => ir.podCidrs.some((c) => cidrFamily(c) === f));
  const pieces: TablePiece[] = [];
  for (const f of podCidrFamilies) pieces.push({ lines: () => renderPodCidrSet(f, ir.podCidrs) });
  for (const set of ir.sets) pieces.push({ of: set, set, lines: () => renderSet(set) });
  for (const chain of ir.policyChains) pieces.push({ of: chain, lines: () => renderPolicyChain(chain) });
  for (const chain of ir.clusterChains ?? []) pieces.push({ of: chain, lines: () => renderClusterChain(chain) });
  // The tier chains jump to the policy chains in evaluation order (a reorder rewrites them alone).
  const tiers = ir.tiers;
  if (tiers !== undefined) pieces.push({ lines: () => renderTierChains(tiers, ir.clusterChains ?? []) });
  for (const pod of ir.pods) pieces.push({ of: pod, lines: () => [...renderPodChain(pod, 'egress'), ...renderPodChain(pod, 'ingress')] });
  for (const dir of ['egress', 'ingress'] as const) for (const f of families) pieces.push({ lines: () => renderDispatchMap(ir.pods, dir, f) });
  // The local pods each cluster tier's entry takes, where the node has that tier in that direction.
  for (const dir of ['egress', 'ingress'] as const) {
    for (const tier of ['Admin', 'Baseline'] as const) {
      if ((ir.tiers?.[dir][tier === 'Admin' ? 'admin' : 'baseline'].length ?? 0) === 0) continue;
      for (const f of families) pieces.push({ lines: () => renderTierSet(ir.pods, tier, dir, f) });
    }
  }
  const base = { families, podCidrFamilies, ...(ir.tiers !== undefined && { tiers: ir.tiers }) };
  pieces.push({ lines: () => [...renderBaseChain('egress', base), ...renderBaseChain('ingress', base)] });
  pieces.push({ lines: () => [...renderNodeChain('egress', base), ...renderNodeChain('ingress', base)] });
  // Where an Admin Pass goes: the rest of the base chains after the tier.
  pieces.push({ lines: () => [...renderPassChain('egress', base), ...renderPassChain('ingress', base)] });
  return { open: `table ${table.family} ${table.name} {`, head: [comment(`nftpol: NetworkPolicy for node ${ir.node}`)], pieces };
}

export function renderTableBody(ir: NodeIR, table: TableName = DEFAULT_TABLE): string {
  const { open, head, pieces } = tablePieces(ir, table);
  const lines: string[] = [open, ...head.map((h) => `\t${h}`)];
  for (const piece of pieces) lines.push(...piece.lines());
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
