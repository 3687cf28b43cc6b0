// `nftpol demo`'s output: text as the run goes (each step's change, how fast it reached
// each node's kernel, the engine's matrix beside the one real packets found), or one
// DemoReport JSON document at the end (docs/demo.md).
import path from 'node:path';
import type { MatrixCell, MatrixResult } from '../../explain/matrix.ts';
import { plain, type Style } from '../../explain/style.ts';
import type { KernelArrival } from '../../demo/kernel-timing.ts';
import type { DemoOutcome, LiveWorldInfo, StepResult } from '../../demo/run-demo.ts';
import type { DemoStep } from '../../demo/scenario.ts';
import { alignColumns } from './columns.ts';
import { MARKS, summarize } from './matrix-output.ts';
import { API_VERSION } from './output.ts';

function mark(c: MatrixCell, s: Style, width: number): string {
  const m = MARKS[c].padEnd(width);
  return c === 'allowed' ? s.green(m) : c === 'denied' ? s.red(m) : s.dim(m);
}

/** One matrix row as a block of marks, each as wide as the largest column number. */
function block(cells: readonly MatrixCell[], s: Style, width: number, differs?: (j: number) => boolean): string {
  return cells.map((c, j) => (differs?.(j) === true ? s.inverse(s.yellow(MARKS[c].padEnd(width))) : mark(c, s, width))).join(' ');
}

const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`);

function arrivalText(a: KernelArrival): string {
  const size = a.bytes === null ? '' : ` (${a.bytes.toLocaleString('en-US')} bytes)`;
  if (a.how === 'unchanged') return `${a.node} unchanged, confirmed in ${ms(a.ms)}`;
  if (a.how === 'unknown') return `${a.node} seen in ${ms(a.seenMs)}`;
  return `${a.node} ${a.how}${size} in ${ms(a.ms)}`;
}

function changeText(step: DemoStep): string {
  const { added, changed, removed } = step.change;
  return [...added.map((f) => `+ ${f}`), ...changed.map((f) => `~ ${f}`), ...removed.map((f) => `- ${f}`)].join(', ');
}

function matrixLines(expected: MatrixResult, live: StepResult['live'], s: Style): string[] {
  const n = expected.endpoints.length;
  const width = String(n).length;
  const numbers = expected.endpoints.map((_, j) => String(j + 1).padEnd(width)).join(' ');
  const liveTitle = live === null ? [] : [`live (${live.probes} probes, ${ms(live.ms)})`];
  const header = ['', '', live === null ? 'expected (engine only)' : 'expected (engine)', ...liveTitle];
  const rows: string[][] = [header, ['', '', numbers, ...(live === null ? [] : [numbers])]];
  expected.endpoints.forEach((e, i) => {
    const exp = expected.cells[i] ?? [];
    const row = [String(i + 1), e.id, block(exp, s, width)];
    if (live !== null) {
      const got = live.cells[i] ?? [];
      const off = got.map((c, j) => (c !== exp[j] ? j : -1)).filter((j) => j >= 0);
      row.push(block(got, s, width, (j) => off.includes(j)));
      if (off.length > 0) row.push(s.yellow(`! differs at ${off.map((j) => j + 1).join(', ')}`));
    }
    rows.push(row);
  });
  return alignColumns(rows, 3).map((l) => `  ${l}`);
}

export function renderStepText(r: StepResult, scenario: string, s: Style = plain): string {
  const { step } = r;
  const lines = [
    `${s.bold(`Step ${step.index}  ${step.title}`)}   ${s.dim(path.join(scenario, step.dir))}`,
    `  ${step.says}`,
    r.live === null ? `  files: ${changeText(step)}` : `  folders: ${changeText(step)}${step.index === 0 ? ' (written before the agents start)' : ''}`,
  ];
  if (r.kernel.length > 0) {
    const note = step.index === 0 ? s.dim('  (first sync: includes starting the agents)') : '';
    lines.push(`  reached the kernel: ${r.kernel.map(arrivalText).join(', ')}${note}`);
  }
  lines.push('', ...matrixLines(step.expected, r.live, s), '');
  const sum = summarize(step.expected);
  const counts = `${sum.allowed} allowed, ${sum.denied} denied`;
  if (r.live === null) lines.push(`  ${counts} ${s.dim('(model only: no packets sent)')}`);
  else if (r.disagree.length === 0) lines.push(`  ${s.green('live = expected')}: ${counts}`);
  else lines.push(`  ${s.red(`live differs from expected in ${r.disagree.length} cell${r.disagree.length === 1 ? '' : 's'}`)}: ${r.disagree.map(([a, b]) => `${a} -> ${b}`).join(', ')}`);
  // The reason is the engine's own line (src/demo/cell-reason.ts), printed as it is.
  if (step.why !== null) lines.push(`  why ${step.why.from} -> ${step.why.to} ${step.why.port}/${step.why.protocol} is now ${step.why.verdict}: ${step.why.reason}`);
  return `${lines.join('\n')}\n\n`;
}

export function renderWorldText(w: LiveWorldInfo, s: Style = plain): string {
  const nodes = w.nodes.map((n) => n.name).join(', ');
  return [
    `${s.bold('world')}   ${w.nodes.length} flannel-style nodes (${nodes}: cni0 bridge, vxlan between them), ${w.pods.length} pods, network namespaces ${w.prefix}* (built in ${ms(w.buildMs)})`,
    `${s.bold('agents')}  nftpol agent --source files:${path.join(w.root, 'NODE')} --node NODE, one in each node's network namespace`,
    `${s.bold('live')}    after each step, a real connection from every pod to every other pod's declared port`,
    `${s.bold('steps')}   each is written into every node's folder (+ added, ~ changed, - removed: atomic renames), then awaited in every agent's /status`,
    '',
    '',
  ].join('\n');
}

export function renderModelOnlyText(missing: readonly string[], s: Style = plain): string {
  return [
    s.yellow(s.bold('MODEL ONLY: no packets are sent. The live run (network namespaces, nftpol agents, real connections) needs:')),
    ...missing.map((m) => `  - ${m}`),
    'Install the system packages and run it as root to see the kernel: ./scripts/system-deps.sh, then ./bin/nftpol demo (sudo ./bin/nftpol demo).',
    'Below, each step\'s matrix as the policy engine expects it.',
    '',
    '',
  ].join('\n');
}

/** A connection to try by hand: the first cell of the last step that is `want`. */
function example(w: LiveWorldInfo, last: StepResult | undefined, want: MatrixCell): string | undefined {
  const m = last?.step.expected;
  if (!m) return undefined;
  for (const [i, row] of m.cells.entries()) {
    const j = row.indexOf(want);
    if (j < 0) continue;
    const from = w.pods.find((p) => p.id === m.endpoints[i]?.id);
    const to = w.pods.find((p) => p.id === m.endpoints[j]?.id);
    if (!from || !to || to.tcpPorts[0] === undefined) continue;
    const says = want === 'allowed' ? `answers "${to.id}"` : 'times out: denied';
    return `  ip netns exec ${from.netns} socat - TCP:${to.ip}:${to.tcpPorts[0]},connect-timeout=1 </dev/null   # ${from.id} -> ${to.id}: ${says}`;
  }
  return undefined;
}

export function renderKeepText(w: LiveWorldInfo, pid: number, last: StepResult | undefined, s: Style = plain): string {
  const n1 = w.nodes[0];
  const lines = [
    s.bold('The world stays up while this command runs. From another shell, as root:'),
    ...(n1 ? [
      `  ip netns exec ${n1.netns} nft list table inet nftpol   # node ${n1.name}'s table, as its agent wrote it`,
      `  curl -s --unix-socket ${n1.socket} http://agent/status   # its agent's /status`,
    ] : []),
    ...[example(w, last, 'allowed'), example(w, last, 'denied')].filter((l): l is string => l !== undefined),
    ...(n1 ? [`  Edit, add or delete manifests in ${w.nodes.map((n) => `${n.folder}/`).join(' and ')}: each agent applies its folder.`] : []),
    'Pods:',
    ...w.pods.map((p) => `  ${p.id}: ${p.ip} port ${p.tcpPorts.join(', ')}, on ${p.node}, netns ${p.netns}`),
    `Remove it: Ctrl-C here, or kill ${pid} (the namespaces, agents and folders go; if this process is killed with -9, the lab's guardian removes the namespaces).`,
    '',
  ];
  return `${lines.join('\n')}\n`;
}

export function renderSummaryText(o: DemoOutcome, s: Style = plain): string {
  if (o.mode === 'model') return `${o.steps.length} steps, from the policy engine only: no network was built, no packet sent.\n`;
  const lines: string[] = [];
  const changes = o.steps.slice(1).flatMap((r) => r.kernel.filter((k) => k.how === 'delta').map((k) => k.ms)).sort((x, y) => x - y);
  if (o.failure !== null) lines.push(s.red(`The live run stopped: ${o.failure}`));
  else if (o.agree) lines.push(s.green(`${o.steps.length} steps: at every step the kernel, probed with real connections, agreed with the engine.`));
  else lines.push(s.red(`The kernel disagreed with the engine at step${o.steps.filter((r) => r.disagree.length > 0).length === 1 ? '' : 's'} ${o.steps.filter((r) => r.disagree.length > 0).map((r) => r.step.index).join(', ')}.`));
  if (changes.length > 0) lines.push(`Policy changes reached the kernel as deltas in ${ms(changes[0] as number)} to ${ms(changes[changes.length - 1] as number)} (from writing the folders to the agent's apply).`);
  if (o.cleanup !== null && o.world !== null) {
    const left = o.cleanup.netnsLeft;
    lines.push(left.length === 0 && o.cleanup.folderRemoved
      ? `Cleaned up: agents stopped, namespaces ${o.world.prefix}* deleted, ${o.world.root} removed.`
      : s.red(`Cleanup left: ${[...left, ...(o.cleanup.folderRemoved ? [] : [o.world.root])].join(', ')}`));
  }
  return `${lines.join('\n')}\n`;
}

export function renderStepsList(steps: readonly DemoStep[], scenario: string): string {
  const rows = steps.map((st) => [String(st.index), st.dir, st.title]);
  const out = [`The demo's steps (${scenario}: each folder is the whole cluster after its step; the change is the difference from the one before):`, ''];
  alignColumns(rows).forEach((line, i) => {
    const st = steps[i] as DemoStep;
    out.push(line, `     ${st.says}`, `     files: ${changeText(st)}`, '');
  });
  return `${out.join('\n')}`;
}

/** The DemoReport document (`nftpol demo --json`). */
export function demoReport(o: DemoOutcome): unknown {
  return {
    apiVersion: API_VERSION,
    kind: 'DemoReport',
    mode: o.mode,
    missing: o.missing,
    world: o.world,
    steps: o.steps.map((r) => ({
      index: r.step.index, dir: r.step.dir, title: r.step.title, says: r.step.says,
      change: r.step.change, revision: r.revision, why: r.step.why,
      endpoints: r.step.expected.endpoints.map((e) => e.id),
      expected: r.step.expected.cells,
      live: r.live?.cells ?? null,
      probes: r.live === null ? null : { count: r.live.probes, ms: r.live.ms },
      kernel: r.kernel,
      agree: r.live === null ? null : r.disagree.length === 0,
      disagree: r.disagree,
    })),
    agree: o.agree,
    failure: o.failure,
    cleanup: o.cleanup,
  };
}
