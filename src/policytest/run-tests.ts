// Runs PolicyTests: expands each case's from/to lists into single flows,
// resolves them in the test's world (an endpoint or port that names nothing
// is an input error, not a failed case), asks the dataplane for every flow of
// a world in one call, and compares with `expect`. Failed cases carry the
// policy engine's verdict with its trace, so a report can say why.
//
// A test with steps is run state by state: its starting cases in the world at
// the start, each step's cases in the world after that step (load-test-world.ts
// builds one world per state); results come in that order.
import type { SourceProblem } from '../model/problems.ts';
import type { Flow } from '../policy/engine.ts';
import type { IPFamily } from '../model/addresses.ts';
import { FlowSpecError, lookupEndpoint } from '../policy/flow-spec.ts';
import type { FlowVerdict } from '../policy/trace.ts';
import type { CollectedTests } from './collect-tests.ts';
import { resolveFlowInFamily } from './flow-family.ts';
import type { CheckedBy, VerdictSource, VerdictSourceName, FlowAnswer } from './verdict-source.ts';
import type { TestWorld, TestWorldLoader } from './load-test-world.ts';
import type { Expectation, PolicyTest, PolicyTestCase, PolicyTestStep } from './policy-test.ts';
import { POLICY_TEST_KIND } from './policy-test.ts';

/** One flow of a case: a single from and a single to. */
export interface ExpandedCase {
  readonly test: PolicyTest;
  readonly case: PolicyTestCase;
  readonly from: string;
  readonly to: string;
  /** Field paths of this pair's ends, e.g. "cases[1].from[0]" (or "cases[1].from" for a single endpoint). */
  readonly fromField: string;
  readonly toField: string;
}

export interface CaseResult extends ExpandedCase {
  readonly actual: Expectation;
  readonly passed: boolean;
  /** What decided `actual`: the model, real packets on the kernel, or the kernel's rules read for the flow (no SCTP sockets). */
  readonly checkedBy: CheckedBy;
  /** How the dataplane decided, when it says (kernel: the probe's outcome). */
  readonly detail?: string;
  /** The policy engine's verdict and trace; set for failed cases. */
  readonly verdict?: FlowVerdict;
}

export interface TestResult {
  readonly test: PolicyTest;
  readonly cases: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
}

export interface RunSummary {
  /** Test files that held PolicyTests. */
  readonly files: number;
  readonly tests: number;
  /** Expanded cases: every from/to pair counts once. */
  readonly cases: number;
  readonly passed: number;
  readonly failed: number;
}

export interface TestRun {
  readonly dataplane: VerdictSourceName;
  /** The family every case was decided over (RunOptions.family); absent: each case's own pick. */
  readonly family?: IPFamily;
  readonly tests: readonly TestResult[];
  readonly summary: RunSummary;
  /** Warnings and debug notes from the sources (a run with errors never gets here). */
  readonly problems: readonly SourceProblem[];
}

export type RunOutcome =
  | { readonly ok: true; readonly run: TestRun }
  /** Bad input: nothing was judged. `problems` holds every problem, errors first. */
  | { readonly ok: false; readonly problems: readonly SourceProblem[] };

export interface RunOptions {
  /** What decides each flow (the model, the kernel). */
  readonly verdicts: VerdictSource;
  readonly loader: TestWorldLoader;
  /**
   * Decide every case over this address family: a pod reference means the
   * pod's address of the family, and an end without one is an input error
   * (flow-family.ts). Absent: IPv4 when both ends have it, else IPv6.
   */
  readonly family?: IPFamily;
  /**
   * Streaming: each case's result, in report order, as soon as it is
   * decided (never for a run with bad input: those stop before any case is
   * decided). The run then keeps only counts (TestResult.cases is empty), so
   * its memory does not grow with the number of cases: a verdict source
   * without prepare() (the model) is asked in batches; one with prepare()
   * (the kernel) still sees every flow first.
   */
  readonly onCase?: (result: CaseResult) => void | Promise<void>;
}

/** Flows asked of a verdict source at once when streaming. */
const STREAM_BATCH = 4096;

/** Every from/to pair of a case, in from-major order. */
export function expandCase(test: PolicyTest, c: PolicyTestCase): ExpandedCase[] {
  const base = c.field;
  const out: ExpandedCase[] = [];
  c.from.forEach((from, i) => {
    c.to.forEach((to, j) => {
      out.push({
        test,
        case: c,
        from,
        to,
        fromField: c.fromList ? `${base}.from[${i}]` : `${base}.from`,
        toField: c.toList ? `${base}.to[${j}]` : `${base}.to`,
      });
    });
  });
  return out;
}

/** Every case of a test, the starting state's then each step's. */
function allCases(test: PolicyTest): PolicyTestCase[] {
  return [...test.cases, ...test.steps.flatMap((s) => s.cases)];
}

export function expandCases(test: PolicyTest): ExpandedCase[] {
  return allCases(test).flatMap((c) => expandCase(test, c));
}

/** One state of a test and the cases checked in it: 0 the start, i + 1 after steps[i]. */
interface Stage {
  readonly test: PolicyTest;
  readonly state: number;
  readonly cases: readonly PolicyTestCase[];
}

function stagesOf(test: PolicyTest): Stage[] {
  return [{ test, state: 0, cases: test.cases }, ...test.steps.map((s) => ({ test, state: s.index + 1, cases: s.cases }))];
}

/** The step whose state a case checks; undefined for the starting state. */
export function caseStep(c: ExpandedCase): PolicyTestStep | undefined {
  return c.case.step === undefined ? undefined : c.test.steps[c.case.step];
}

/** "shop/api -> shop/db 5432/TCP", with the port as written (a name stays a name). */
export function caseFlowLabel(c: ExpandedCase): string {
  return `${c.from} -> ${c.to} ${c.case.port}/${c.case.protocol}`;
}

/** A problem about a test's field, located in its file. */
export function testProblem(test: PolicyTest, field: string, message: string): SourceProblem {
  const line = test.lineOf(field);
  return {
    severity: 'error',
    file: test.file,
    document: test.document,
    ...(line !== undefined && { line }),
    kind: POLICY_TEST_KIND,
    name: test.name,
    field,
    message,
  };
}

interface Resolved {
  readonly expanded: ExpandedCase;
  readonly flow: Flow;
}

/** Why an endpoint names nothing in a world (undefined when it resolves), asked once per distinct endpoint. */
type EndpointCheck = (spec: string) => string | undefined;

function endpointChecker(world: TestWorld): EndpointCheck {
  const memo = new Map<string, string | undefined>();
  return (spec) => {
    if (memo.has(spec)) return memo.get(spec);
    let problem: string | undefined;
    try {
      lookupEndpoint(world.state, spec);
    } catch (err) {
      if (!(err instanceof FlowSpecError)) throw err;
      problem = err.message;
    }
    memo.set(spec, problem);
    return problem;
  };
}

/**
 * Resolves one test's cases in its world; endpoint and port errors name the
 * field. With `keep` false the flows are only checked (streaming resolves
 * them again, a batch at a time).
 */
function resolveCases(
  stage: Stage, world: TestWorld, check: EndpointCheck, problems: SourceProblem[], family: IPFamily | undefined, keep = true,
): Resolved[] {
  const { test } = stage;
  const out: Resolved[] = [];
  for (const c of stage.cases) {
    const before = problems.length;
    const expanded = expandCase(test, c);
    // Each end once, so a bad endpoint in a list is reported once, at its own index.
    const checked = new Set<string>();
    for (const e of expanded) {
      for (const [spec, field] of [[e.from, e.fromField], [e.to, e.toField]] as const) {
        if (checked.has(field)) continue;
        checked.add(field);
        const problem = check(spec);
        if (problem !== undefined) problems.push(testProblem(test, field, problem));
      }
    }
    if (problems.length > before) continue;
    for (const e of expanded) {
      try {
        const flow = resolveFlowInFamily(world.state, { from: e.from, to: e.to, port: c.port, protocol: c.protocol }, family);
        if (keep) out.push({ expanded: e, flow });
      } catch (err) {
        if (!(err instanceof FlowSpecError)) throw err;
        const field = { from: e.fromField, to: e.toField, port: `${c.field}.port`, pair: c.field }[err.part];
        problems.push(testProblem(test, field, err.message));
      }
    }
  }
  return out;
}

function dedupe(problems: readonly SourceProblem[]): SourceProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = JSON.stringify(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const SEVERITY_ORDER = { error: 0, warning: 1, debug: 2 } as const;

export async function runPolicyTests(collected: CollectedTests, opts: RunOptions): Promise<RunOutcome> {
  const sourceProblems: SourceProblem[] = [...collected.problems];
  const worlds = new Map<Stage, TestWorld>();
  // Each test's stages (its starting state and one per step), in order.
  const stagesByTest = new Map(collected.tests.map((t) => [t, stagesOf(t)]));
  const stages = [...stagesByTest.values()].flat();
  for (const stage of stages) {
    const loaded = await opts.loader.worldFor(stage.test, stage.state);
    sourceProblems.push(...loaded.problems);
    worlds.set(stage, loaded.world);
  }
  const problems = dedupe(sourceProblems);
  const streaming = opts.onCase !== undefined && opts.verdicts.prepare === undefined;
  const caseProblems: SourceProblem[] = [];
  const byWorld = new Map<TestWorld, Resolved[]>();
  const resolvedOf = new Map<Stage, Resolved[]>();
  const checkers = new Map<TestWorld, EndpointCheck>();
  for (const stage of stages) {
    const world = worlds.get(stage) as TestWorld;
    let check = checkers.get(world);
    if (!check) checkers.set(world, (check = endpointChecker(world)));
    const resolved = resolveCases(stage, world, check, caseProblems, opts.family, !streaming);
    resolvedOf.set(stage, resolved);
    const list = byWorld.get(world);
    if (list) list.push(...resolved);
    else byWorld.set(world, [...resolved]);
  }
  const all = [...problems, ...caseProblems];
  if (all.some((p) => p.severity === 'error')) {
    return { ok: false, problems: all.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]) };
  }

  if (streaming) return { ok: true, run: await streamRun(collected, stagesByTest, worlds, opts, problems) };
  const answers = new Map<Resolved, FlowAnswer>();
  const source = opts.verdicts;
  try {
    await source.prepare?.([...byWorld].map(([world, cases]) => ({ world, cases })));
    for (const [world, resolved] of byWorld) {
      const verdicts = await source.verdicts(world, resolved);
      if (verdicts.length !== resolved.length) throw new Error(`verdict source ${source.name} answered ${verdicts.length} of ${resolved.length} flows`);
      resolved.forEach((r, i) => answers.set(r, verdicts[i] as FlowAnswer));
    }
  } finally {
    await source.close?.();
  }
  const defaultCheck: CheckedBy = source.name === 'kernel' ? 'kernel' : 'model';

  const tests: TestResult[] = [];
  for (const test of collected.tests) {
    const cases = (stagesByTest.get(test) ?? [])
      .flatMap((s) => (resolvedOf.get(s) ?? []).map((r) => caseResult(r, answers.get(r), worlds.get(s) as TestWorld, defaultCheck)));
    const failed = cases.filter((c) => !c.passed).length;
    if (opts.onCase) {
      for (const c of cases) await opts.onCase(c);
      tests.push({ test, cases: [], passed: cases.length - failed, failed });
    } else {
      tests.push({ test, cases, passed: cases.length - failed, failed });
    }
  }
  return { ok: true, run: { dataplane: source.name, ...runFamily(opts), tests, summary: summarize(collected, tests), problems } };
}

function caseResult(r: Resolved, answer: FlowAnswer | undefined, world: TestWorld, defaultCheck: CheckedBy): CaseResult {
  const actual: Expectation = answer?.allowed ? 'allow' : 'deny';
  const passed = actual === r.expanded.case.expect;
  return {
    ...r.expanded,
    actual,
    passed,
    checkedBy: answer?.checkedBy ?? defaultCheck,
    ...(answer?.detail !== undefined && { detail: answer.detail }),
    ...(!passed && { verdict: world.engine.evaluate(r.flow) }),
  };
}

function summarize(collected: CollectedTests, tests: readonly TestResult[]): RunSummary {
  return {
    files: collected.files.length,
    tests: tests.length,
    cases: tests.reduce((n, t) => n + t.passed + t.failed, 0),
    passed: tests.reduce((n, t) => n + t.passed, 0),
    failed: tests.reduce((n, t) => n + t.failed, 0),
  };
}

/**
 * A checked run, decided and handed to onCase a batch at a time: flows are
 * resolved again per batch (the check kept none), and nothing of a batch is
 * kept once its results are out.
 */
async function streamRun(
  collected: CollectedTests, stagesByTest: ReadonlyMap<PolicyTest, readonly Stage[]>, worlds: ReadonlyMap<Stage, TestWorld>, opts: RunOptions,
  problems: readonly SourceProblem[],
): Promise<TestRun> {
  const source = opts.verdicts;
  const onCase = opts.onCase as (result: CaseResult) => void | Promise<void>;
  const defaultCheck: CheckedBy = source.name === 'kernel' ? 'kernel' : 'model';
  const tests: TestResult[] = [];
  try {
    for (const test of collected.tests) {
      let passed = 0;
      let failed = 0;
      let batch: Resolved[] = [];
      let world: TestWorld | undefined;
      const flush = async (): Promise<void> => {
        if (!world) return;
        const answers = await source.verdicts(world, batch);
        if (answers.length !== batch.length) throw new Error(`verdict source ${source.name} answered ${answers.length} of ${batch.length} flows`);
        for (let i = 0; i < batch.length; i++) {
          const result = caseResult(batch[i] as Resolved, answers[i], world, defaultCheck);
          if (result.passed) passed++;
          else failed++;
          await onCase(result);
        }
        batch = [];
      };
      for (const stage of stagesByTest.get(test) ?? []) {
        // A batch holds one world's flows: flush before the next state.
        if (batch.length > 0) await flush();
        world = worlds.get(stage) as TestWorld;
        for (const c of stage.cases) {
          for (const e of expandCase(test, c)) {
            batch.push({ expanded: e, flow: resolveFlowInFamily(world.state, { from: e.from, to: e.to, port: c.port, protocol: c.protocol }, opts.family) });
            if (batch.length >= STREAM_BATCH) await flush();
          }
        }
      }
      if (batch.length > 0) await flush();
      tests.push({ test, cases: [], passed, failed });
    }
  } finally {
    await source.close?.();
  }
  return { dataplane: source.name, ...runFamily(opts), tests, summary: summarize(collected, tests), problems };
}

const runFamily = (opts: RunOptions): { family?: IPFamily } => (opts.family === undefined ? {} : { family: opts.family });

