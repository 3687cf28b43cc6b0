// Running one-shot commands, on the host or inside a netns. (Long-lived endpoint processes: servers.ts.)

import { execa, execaSync } from 'execa';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  /** Text fed to stdin. */
  input?: string;
  /** Throw on a non-zero exit (default true). */
  reject?: boolean;
  timeoutMs?: number;
}

/** argv that runs `argv` inside `netns`. */
export function inNetnsArgv(netns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, ...argv];
}

export async function run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('run: empty command');
  const r = await execa(file, args, {
    reject: false,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    ...(options.input === undefined ? {} : { input: options.input }),
    timeout: options.timeoutMs ?? 30_000,
    stripFinalNewline: false,
  });
  const result = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
  if ((options.reject ?? true) && (result.exitCode !== 0 || r.failed)) {
    const why = r.timedOut ? 'timed out' : r.exitCode === undefined ? (r.originalMessage ?? 'failed to start') : `exit ${r.exitCode}`;
    throw new Error(`\`${argv.join(' ')}\` ${why}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

/** Synchronous variant for exit and signal handlers; never throws. */
export function runSync(argv: readonly string[], input?: string): CommandResult {
  const [file, ...args] = argv;
  try {
    const r = execaSync(file ?? 'true', args, {
      reject: false,
      ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
      timeout: 10_000,
    });
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
  } catch (e) {
    return { stdout: '', stderr: String(e), exitCode: -1 };
  }
}

/** Runs iproute2 batch lines (`ip -batch -`), in `netns` if given. */
export async function ipBatch(netns: string | undefined, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await batch('ip', netns, lines);
}

/** Runs `bridge -batch -` lines in `netns`. */
export async function bridgeBatch(netns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await batch('bridge', netns, lines);
}

async function batch(tool: 'ip' | 'bridge', netns: string | undefined, lines: readonly string[]): Promise<void> {
  const argv = [tool, ...(netns === undefined ? [] : ['-n', netns]), '-batch', '-'];
  try {
    await run(argv, { input: `${lines.join('\n')}\n` });
  } catch (e) {
    const numbered = lines.map((l, i) => `${String(i + 1).padStart(3)}  ${l}`).join('\n');
    throw new Error(`${(e as Error).message}\nbatch${netns === undefined ? '' : ` in ${netns}`}:\n${numbered}`, { cause: e });
  }
}

export async function setSysctls(netns: string, settings: Readonly<Record<string, string>>): Promise<void> {
  const pairs = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  if (pairs.length === 0) return;
  await run(inNetnsArgv(netns, ['sysctl', '-q', '-w', ...pairs]));
}

/** Reads sysctls in `netns`; a key that does not exist there reads as undefined. */
export async function readSysctls(netns: string, keys: readonly string[]): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  await Promise.all(
    keys.map(async (k) => {
      const r = await run(inNetnsArgv(netns, ['sysctl', '-n', k]), { reject: false });
      out[k] = r.exitCode === 0 ? r.stdout.trim() : undefined;
    }),
  );
  return out;
}
