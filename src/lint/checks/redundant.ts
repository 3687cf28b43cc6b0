// redundant-policy, contained-policy, redundant-rule: policies and rules that
// allow nothing beyond what others already allow to the same pods, so that
// removing them changes no verdict (exactly: every flow of every pod they
// select, compared through the engine's own matching on the port and address
// classes the policies make, see redundant-cells.ts).
//
// Several copies of one rule cover each other, but only one of them can go.
// So the checks remove as they go, from the last policy (and rule) of the
// input back to the first, each judged against what is still left: removing
// everything they report together still changes no verdict, and of two
// copies the later one is reported. Policies are judged first, then the rules
// of the policies that stay.
//
// Judged on the pods and workloads of the input; what is judged redundant
// may matter for pods created later. Not judged: policies with errors (they
// fail closed), and rules or policies that allow nothing at all (other checks
// say why: a selector that matches nothing, a port no pod declares; and a
// policy without rules is there to isolate). A policy is redundant only if
// the pods it selects stay isolated without it: an allow-all policy that is
// the only one selecting its pods isolates nothing, but says so on purpose.
import type { Direction, NetworkPolicy } from '../../model/types.ts';
import { policyKey } from '../../model/types.ts';
import { policyTypeOf } from '../../policy/isolation.ts';
import { firstFew, policyFinding, type LintFinding } from '../finding.ts';
import { effectiveRules, type LintContext } from '../lint-context.ts';
import { podGroups, type GroupRule, type PodGroup } from './redundant-cells.ts';

export function checkRedundant(ctx: LintContext): LintFinding[] {
  // Input with policies only (no pods or workloads) gives nothing to judge against.
  if (ctx.pods.length === 0) return [];
  const groups = podGroups(ctx);
  const groupsOf = new Map<NetworkPolicy, PodGroup[]>();
  for (const g of groups) for (const p of g.policies) groupsOf.set(p, [...(groupsOf.get(p) ?? []), g]);
  const judged = ctx.state.policies.filter((p) => p.failClosed !== true && effectiveRules(p).length > 0);
  const removed = new Set<NetworkPolicy>();
  const out: LintFinding[] = [];
  for (const policy of [...judged].reverse()) {
    const finding = judgePolicy(policy, groupsOf.get(policy) ?? [], removed);
    if (finding) {
      removed.add(policy);
      out.push(finding);
    }
  }
  // Rules by their place (a rule object may be shared; its place is not).
  const removedRules = new Map<NetworkPolicy, Set<string>>();
  for (const policy of [...judged].reverse()) {
    if (removed.has(policy)) continue;
    for (const direction of ['egress', 'ingress'] as const) {
      if (!policy.policyTypes.includes(policyTypeOf(direction))) continue;
      const mine = (groupsOf.get(policy) ?? []).filter((g) => g.direction === direction);
      for (let i = policy[direction].length - 1; i >= 0; i--) {
        const finding = judgeRule(policy, direction, i, mine, removed, removedRules);
        if (finding) {
          removedRules.set(policy, (removedRules.get(policy) ?? new Set()).add(`spec.${direction}[${i}]`));
          out.push(finding);
        }
      }
    }
  }
  return out;
}

/**
 * Whether every flow of the group that one of `own` (rule indices) allows is
 * allowed by another live rule too; whether `own` allows any; and the other
 * rules that allow some of it. Only the cells holding an own rule are read.
 */
function coveringOthers(group: PodGroup, own: readonly number[], live: (r: GroupRule) => boolean): { covered: boolean; allowsAny: boolean; by: Set<GroupRule>; cells: number[] } {
  const mine = new Set(own.filter((i) => live(group.rules[i] as GroupRule)));
  const cells = [...new Set([...mine].flatMap((i) => group.cellsOfRule[i] as number[]))];
  const by = new Set<GroupRule>();
  let covered = true;
  for (const c of cells) {
    const others = (group.cells[c] as number[]).filter((i) => !mine.has(i)).map((i) => group.rules[i] as GroupRule).filter(live);
    if (others.length === 0) covered = false;
    for (const r of others) by.add(r);
  }
  return { covered, allowsAny: cells.length > 0, by, cells };
}

/** Indices of the group's rules that satisfy `pick`. */
function ruleIndices(group: PodGroup, pick: (r: GroupRule) => boolean): number[] {
  const out: number[] = [];
  group.rules.forEach((r, i) => {
    if (pick(r)) out.push(i);
  });
  return out;
}

function judgePolicy(policy: NetworkPolicy, groups: readonly PodGroup[], removed: ReadonlySet<NetworkPolicy>): LintFinding | undefined {
  if (groups.length === 0) return undefined; // selects nothing: selects-nothing says so
  const by = new Set<NetworkPolicy>();
  let allowsAny = false;
  // Policies that isolate every pod this one selects, in every direction it isolates, and allow all it allows.
  let containing: Set<NetworkPolicy> | undefined;
  for (const group of groups) {
    const others = group.policies.filter((p) => p !== policy && !removed.has(p));
    if (others.length === 0) return undefined; // without it the pods would not be isolated
    const c = coveringOthers(group, ruleIndices(group, (r) => r.policy === policy), (r) => !removed.has(r.policy));
    if (!c.covered) return undefined;
    allowsAny ||= c.allowsAny;
    for (const r of c.by) by.add(r.policy);
    let here = new Set(containing ?? others);
    for (const cell of c.cells) {
      const inCell = new Set((group.cells[cell] as number[]).map((i) => (group.rules[i] as GroupRule).policy));
      here = new Set([...here].filter((p) => inCell.has(p)));
    }
    containing = new Set(others.filter((p) => here.has(p)));
  }
  if (!allowsAny) return undefined; // allows nothing to the pods it selects: another check's business
  const types = policy.policyTypes.join(' and ');
  const wider = [...(containing ?? [])][0];
  if (wider) {
    return policyFinding('contained-policy', 'info', policy, '',
      `contained in ${policyKey(wider)}, which selects every pod this policy selects, isolates each for ${types} too, and allows everything this policy allows ` +
      `(${policyKey(policy)} ∪ ${policyKey(wider)} = ${policyKey(wider)}); removing this policy changes no verdict`);
  }
  const names = [...by].map(policyKey);
  return policyFinding('redundant-policy', 'info', policy, '',
    `allows nothing beyond what other policies already allow to the pods it selects (${firstFew(names)}), ` +
    `and those pods stay isolated for ${types} without it: removing this policy changes no verdict`);
}

function judgeRule(
  policy: NetworkPolicy, direction: Direction, index: number, groups: readonly PodGroup[],
  removed: ReadonlySet<NetworkPolicy>, removedRules: ReadonlyMap<NetworkPolicy, ReadonlySet<string>>,
): LintFinding | undefined {
  if (groups.length === 0) return undefined;
  const field = `spec.${direction}[${index}]`;
  const by = new Set<string>();
  let allowsAny = false;
  for (const group of groups) {
    const live = (r: GroupRule): boolean => !removed.has(r.policy) && removedRules.get(r.policy)?.has(r.at.field) !== true;
    const c = coveringOthers(group, ruleIndices(group, (r) => r.policy === policy && r.at.field === field), live);
    if (!c.covered) return undefined;
    allowsAny ||= c.allowsAny;
    for (const r of c.by) by.add(r.policy === policy ? r.at.field : `${policyKey(r.policy)} ${r.at.field}`);
  }
  if (!allowsAny) return undefined; // allows nothing: selects-nothing or a named-port check says why
  return policyFinding('redundant-rule', 'info', policy, field,
    `this rule allows nothing that other rules do not already allow to the pods this policy selects (${firstFew([...by])}): removing it changes no verdict`);
}
